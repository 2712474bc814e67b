package params

import (
	"strings"
	"testing"

	"github.com/sstaudit/sstaudit/processors/internal/eventtest"
	"github.com/sstaudit/sstaudit/schemas"
)

func TestPolicyYAML(t *testing.T) {
	t.Parallel()
	cfg := NewDefaultConfig()
	eventtest.DecodeYAML(t, `
custom_event_names: [NewsletterSignup]
namespace_prefix: zz_
namespace_severity: info
standard_params: {meta: [plan]}
schema_version_severity: warn
extra_currencies: [XBT]
transaction_id_placeholders: [pending]
mp_session_note: false
max_params: 30
value_length_exceptions: {page_title: 300, link_text: 200}
`, cfg)
	if cfg.NamespacePrefix != "zz_" || cfg.NamespaceSeverity != schemas.SeverityInfo || cfg.MaxParams != 30 || cfg.MPSessionNote ||
		cfg.ValueLengthExceptions["link_text"] != 200 || cfg.SchemaVersionParam != schemas.DefaultSchemaVersionParam ||
		cfg.StandardParams[schemas.DestinationMeta][0] != "plan" || cfg.CustomNameSeverity != schemas.SeverityWarn {
		t.Errorf("decoded %+v", cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Error(err)
	}
	// The decoded policy takes effect.
	ev := eventtest.DecodeOne(t, schemas.SideServer, mp("purchase", `"transaction_id":"pending","currency":"XBT","value":1`, true))
	got := Check(ev, cfg, nil)
	var codes []string
	for _, f := range got {
		codes = append(codes, f.Code)
	}
	if strings.Join(codes, ",") != CodeTransactionIDEmpty+","+CodeSchemaVersion {
		t.Errorf("codes %v", codes)
	}
}
