package params_test

import (
	"fmt"
	"testing"

	"github.com/sstaudit/sstaudit/processors/params"
	"github.com/sstaudit/sstaudit/schemas"
)

// A Measurement Protocol purchase whose transaction_id is an unresolved
// template and whose value has a decimal comma.
func ExampleCheck() {
	evs, err := schemas.Decode(schemas.Message{Side: schemas.SideServer, Value: []byte(
		`{"client_id":"1.2","events":[{"name":"purchase","params":{"transaction_id":"{{transaction_id}}",` +
			`"currency":"EUR","value":"84,50","session_id":"1","engagement_time_msec":1}}]}`)}, schemas.DecodeOptions{})
	if err != nil {
		panic(err)
	}
	for _, f := range params.Check(&evs[0], nil, nil) {
		fmt.Println(f.Code, f.Severity, f.Path)
	}
	// Output:
	// PARAM_VALUE_INVALID fail events[0].params.value
	// GA4_TRANSACTION_ID_EMPTY fail events[0].params.transaction_id
}

// FuzzCheck: whatever the decoder accepts, Check neither panics nor reports
// a finding without code, severity, path, detector and message.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{
		`{"data":[{"event_name":"purchase","action_source":"Website","custom_data":{"value":"1,2","currency":"€€€"}}]}`,
		`{"client_id":"1","events":[{"name":"_x","params":{"ga_":1,"items":[{"a":{"b":[1]}}],"transaction_id":"{{"}}]}`,
		"id=1&ev=Purchase&cd[value]=-1&cd[currency]=eu&cd[a][b]=c&cd[",
		"v=2&en=1&ep.=x&epn.value=NaN&cu=usd",
		`{"event_name":"","x-ga-gcd":"","params.":{"custom_data.":1}}`,
	} {
		f.Add(s)
	}
	cfg := params.NewDefaultConfig()
	cfg.NamespaceSeverity = schemas.SeverityInfo
	cfg.SchemaVersionSeverity = schemas.SeverityInfo
	f.Fuzz(func(t *testing.T, s string) {
		evs, err := schemas.Decode(schemas.Message{Value: []byte(s), Side: schemas.SideServer}, schemas.DecodeOptions{})
		if err != nil {
			return
		}
		for i := range evs {
			for _, c := range []*params.Config{nil, cfg} {
				for _, fd := range params.Check(&evs[i], c, nil) {
					if fd.Code == "" || fd.Severity.Rank() == 0 || fd.Path == "" || fd.Detector == "" || fd.Message == "" {
						t.Fatalf("incomplete finding %+v", fd)
					}
				}
			}
		}
	})
}
