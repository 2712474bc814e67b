package eventtest

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// StrictYAML decodes doc into v as a policy section is decoded: a key v has
// no field for is an error. Keys doc leaves out keep v's values.
func StrictYAML(doc string, v any) error {
	dec := yaml.NewDecoder(strings.NewReader(doc))
	dec.KnownFields(true)
	return dec.Decode(v)
}

// DecodeYAML is StrictYAML that stops the test on error.
func DecodeYAML(t testing.TB, doc string, v any) {
	t.Helper()
	if err := StrictYAML(doc, v); err != nil {
		t.Fatal(err)
	}
}
