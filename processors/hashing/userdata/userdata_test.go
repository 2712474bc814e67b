package userdata

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/sstaudit/sstaudit/schemas"
)

func sha(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

// REFERENCE §4 and §6.3 vectors.
func TestNormalizeVectors(t *testing.T) {
	meta, google := schemas.DestinationMeta, schemas.DestinationGA4
	cases := []struct {
		dest  schemas.Destination
		field Field
		raw   string
		norm  string
		hash  string
	}{
		{meta, FieldPhone, "+49 30 1234567", "49301234567", "2f9fbc550b12cbc0e6242384cc472bd1e4f058a8b773f189f7acb86d202655ce"},
		{google, FieldPhone, "+49 30 1234567", "+49301234567", "74bd805bcc47f8603082430ca056311389e38b74fcdfbc32bcb5c6a9269ff3bf"},
		{meta, FieldPhone, "+1 (650)555-1212", "16505551212", "e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176"},
		{google, FieldPhone, "+1 (650)555-1212", "+16505551212", "1e231c66011e7a2d867a9cfae267a6aff103cf4913640b6e71a99850fc0ffbc8"},
		{meta, FieldEmail, "John.Smith@gmail.com", "john.smith@gmail.com", "d0c648bc36f12061bec770df216cea2ab95851b9350fd54b658de53b0407767a"},
		{google, FieldEmail, "John.Smith@gmail.com", "johnsmith@gmail.com", "3586de92bb3636d0885a12eff961429a32e4ebd764b96f50d85d016f9338d586"},
		{meta, FieldEmail, "Ana.Lima@Example.org", "ana.lima@example.org", "c380883a7f5bd30f9566377252d7a73542e94bed90a654681412c7a0bfa0d409"},
		{google, FieldEmail, " Ana.Lima@Example.org ", "ana.lima@example.org", "c380883a7f5bd30f9566377252d7a73542e94bed90a654681412c7a0bfa0d409"},
		{meta, FieldEmail, "John_Smith@gmail.com", "john_smith@gmail.com", "62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f"},
		{meta, FieldFirstName, "Mary", "mary", "6915771be1c5aa0c886870b6951b03d7eafc121fea0e80a5ea83beb7c449f4ec"},
		{meta, FieldFirstName, "Valéry", "valéry", "08e1996b5dd49e62a4b4c010d44e4345592a863bb9f8e3976219bac29417149c"},
		{meta, FieldDOB, "1997-02-16", "19970216", "01acdbf6ec7b4f478a225f1a246e5d6767eeab1a7ffa17f025265b5b94f40f0c"},
		{meta, FieldCountry, "US", "us", "79adb2a2fce5c6ba215fe5f27f532d4e7edbac4b6a5e09e1ef3a08084a904621"},
		{meta, FieldGender, "Male", "m", "62c66a7a5dd70c3146618063c344e531e6d4b59e379808443ce962b3abd63c5a"},
		{meta, FieldZip, "94035-1234", "94035", "1794327a4d443904421f5ca1f3d72d0a62ba2f0770d80755ec2220fc0efb052e"},
		{meta, FieldState, "California", "ca", "6959097001d10501ac7d54c0bdb8db61420f658f2922cc26e46d536119a31126"},
		{meta, FieldCity, "New York", "newyork", ""},
		{google, FieldCity, "New York 10", "new york", ""},
		{meta, FieldLastName, "O'Brien", "obrien", ""},
	}
	for _, c := range cases {
		got, ok := Normalize(c.dest, c.field, c.raw)
		if !ok || got != c.norm {
			t.Errorf("Normalize(%s, %d, %q) = %q, %v; want %q", c.dest, c.field, c.raw, got, ok, c.norm)
			continue
		}
		if c.hash != "" && sha(got) != c.hash {
			t.Errorf("sha256(%q) = %s, want %s", got, sha(got), c.hash)
		}
	}
	if got := NormalizePhone("(650)555-1212", "1", false); got != "16505551212" {
		t.Errorf("national with calling code = %q", got)
	}
	if got := NormalizePhone("030 1234567", "49", true); got != "+49301234567" {
		t.Errorf("national with trunk 0 = %q", got)
	}
	if _, ok := Normalize(google, FieldDOB, "19970216"); ok {
		t.Error("Google has no db normalisation")
	}
	if _, ok := Normalize(meta, FieldGender, "x"); ok {
		t.Error("unknown gender normalised")
	}
}

func TestClassify(t *testing.T) {
	h := sha("x")
	up := []byte(h)
	for i := range up {
		if up[i] >= 'a' && up[i] <= 'f' {
			up[i] -= 32
		}
	}
	cases := map[string]Shape{
		"":         ShapeEmpty,
		h:          ShapeSHA256,
		string(up): ShapeSHA256Upper,
		"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=": ShapeSHA256Base64,
		"47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU=": ShapeSHA256Base64,
		"47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU":  ShapeSHA256Base64,
		"d41d8cd98f00b204e9800998ecf8427e":             ShapeMD5,
		"da39a3ee5e6b4b0d3255bfef95601890afd80709":     ShapeSHA1,
		h[:56]:     ShapeSHA224,
		h + h[:32]: ShapeSHA384,
		h + h:      ShapeSHA512,
		h[:63]:     ShapeOther,
		"1234567890123456789012345678901234567890123456789012345678901234": ShapeDigits64,
		"ana.lima@example.org": ShapePlaintext,
		"+49 30 1234567":       ShapePlaintext,
		"de":                   ShapePlaintext,
		"f":                    ShapePlaintext,
		"19970216":             ShapePlaintext,
		"valéry":               ShapePlaintext,
	}
	for v, want := range cases {
		if got := Classify(v); got != want {
			t.Errorf("Classify(%q) = %s, want %s", v, got, want)
		}
	}
	var buf [64]byte
	d := Digest("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", ShapeSHA256Base64, &buf)
	if hex.EncodeToString(d) != sha("") {
		t.Errorf("base64 digest = %x", d)
	}
	d = Digest(string(up), ShapeSHA256Upper, &buf)
	if hex.EncodeToString(d) != h {
		t.Errorf("upper digest = %x", d)
	}
}

func TestLookup(t *testing.T) {
	if f, r := Lookup(schemas.DestinationMeta, "country", "data[0].user_data.country[0]"); f != FieldCountry || r != RuleMetaHashed {
		t.Error("meta country")
	}
	if f, r := Lookup(schemas.DestinationGA4, "country", "user_data.address[0].country"); f != FieldCountry || r != RuleGoogleUnhashed {
		t.Error("ga4 country")
	}
	if _, r := Lookup(schemas.DestinationMeta, "value", "custom_data.value"); r != RuleNone {
		t.Error("value is no user data")
	}
}
