package processors

import (
	"testing"

	"gopkg.in/yaml.v3"
)

func TestMatchKeyYAML(t *testing.T) {
	t.Parallel()
	type doc struct {
		Keys MatchKey `yaml:"keys"`
	}
	in := doc{Keys: KeyEmail | KeyPhone | KeyExternalID}
	b, err := yaml.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := "keys:\n    - em\n    - ph\n    - external_id\n"; string(b) != want {
		t.Fatalf("marshal = %q, want %q", b, want)
	}
	var out doc
	if err := yaml.Unmarshal(b, &out); err != nil || out != in {
		t.Fatalf("round trip = %+v, %v", out, err)
	}
	if err := yaml.Unmarshal([]byte("keys: [em, email]\n"), &out); err == nil {
		t.Fatal("unknown key name accepted")
	}
	if err := yaml.Unmarshal([]byte("keys: []\n"), &out); err != nil || out.Keys != 0 {
		t.Fatalf("empty list = %+v, %v", out, err)
	}
}
