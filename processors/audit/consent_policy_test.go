package audit

import (
	"encoding/base64"
	"slices"
	"testing"

	"github.com/sstaudit/sstaudit/processors"
	"github.com/sstaudit/sstaudit/processors/consent"
	"github.com/sstaudit/sstaudit/processors/internal/eventtest"
	"github.com/sstaudit/sstaudit/schemas"
)

// tcfConsenting is a TCF v2 core segment consenting to purposes ps only.
func tcfConsenting(ps ...int) string {
	var b [24]byte
	b[0] = 2 << 2 // version 2
	for _, p := range ps {
		i := 152 + p - 1 // PurposesConsent
		b[i/8] |= 0x80 >> (i % 8)
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// TestTCFPurposesPolicy: consent.tcf_purposes reaches the snapshot, so the
// purposes house policy requires decide ConsentTCFDenied and with it the
// pair check CONSENT_MISMATCH (browser denied, server sent user data), as
// they decide the per-event CONSENT_PII_WITHOUT_CONSENT.
func TestTCFPurposesPolicy(t *testing.T) {
	server := eventtest.DecodeOne(t, schemas.SideServer, eventtest.CleanCAPI)
	cases := []struct {
		name     string
		purposes map[schemas.Destination][]int // nil: the default policy
		consent  []int                         // purposes the browser's TC string consents to
		denied   bool
	}{
		{"default, all of 1 3 4 7", nil, []int{1, 3, 4, 7}, false},
		{"default, 7 missing", nil, []int{1, 3, 4}, true},
		{"policy drops 7", map[schemas.Destination][]int{schemas.DestinationMeta: {1, 3, 4}}, []int{1, 3, 4}, false},
		{"policy adds 10", map[schemas.Destination][]int{schemas.DestinationMeta: {1, 3, 4, 7, 10}}, []int{1, 3, 4, 7}, true},
		{"policy adds 10, consented", map[schemas.Destination][]int{schemas.DestinationMeta: {1, 3, 4, 7, 10}}, []int{1, 3, 4, 7, 10}, false},
		{"meta not listed needs none", map[schemas.Destination][]int{schemas.DestinationGA4: {1, 3, 4, 7}}, nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := NewDefaultPolicy()
			if c.purposes != nil {
				p.Consent.TCFPurposes = c.purposes
			}
			a, err := New(p, []byte("k"))
			if err != nil {
				t.Fatal(err)
			}
			client := eventtest.DecodeOne(t, schemas.SideClient,
				"id=1&ev=Purchase&eid=ORD-77120&gdpr=1&gdpr_consent="+tcfConsenting(c.consent...)+"&ud[em]="+eventtest.HashedEmail)
			cs, ss := a.Snapshot(client), a.Snapshot(server)
			if got := cs.Consent&processors.ConsentTCFDenied != 0; got != c.denied {
				t.Errorf("ConsentTCFDenied = %v, want %v", got, c.denied)
			}
			if got := hasCode(a.Pair(&cs, &ss, nil), "CONSENT_MISMATCH"); got != c.denied {
				t.Errorf("CONSENT_MISMATCH = %v, want %v", got, c.denied)
			}
			if got := hasCode(a.Event(client, nil), consent.CodePIIWithoutConsent); got != c.denied {
				t.Errorf("per-event %s = %v, want %v (the two checks must read the policy alike)", consent.CodePIIWithoutConsent, got, c.denied)
			}
		})
	}
}

func hasCode(fs []schemas.Finding, code string) bool {
	return slices.ContainsFunc(fs, func(f schemas.Finding) bool { return f.Code == code })
}
