package schemas

import (
	"fmt"
	"io"
	"strings"
)

// Describe writes every embedded schema for people (sstaudit schemas): its
// full name, version, sstaudit-schema header value, CRC-64-AVRO fingerprint
// and single-object header, then the schema JSON as embedded. Schemas come in
// name order, separated by a blank line.
func Describe(w io.Writer) error {
	list, err := Schemas()
	if err != nil {
		return err
	}
	var b strings.Builder
	for i, s := range list {
		if i > 0 {
			b.WriteByte('\n')
		}
		h := s.header
		fmt.Fprintf(&b, "# %s\n", s.Name)
		fmt.Fprintf(&b, "#   version:         %s\n", s.Version)
		fmt.Fprintf(&b, "#   sstaudit-schema: %s\n", s.HeaderValue())
		fmt.Fprintf(&b, "#   file:            schemas/%s\n", s.File)
		fmt.Fprintf(&b, "#   fingerprint:     %016x (CRC-64-AVRO)\n", s.Fingerprint)
		fmt.Fprintf(&b, "#   header:          % x (single-object encoding)\n", h[:])
		b.WriteString(strings.TrimRight(s.JSON, "\n"))
		b.WriteByte('\n')
	}
	_, err = io.WriteString(w, b.String())
	return err
}
