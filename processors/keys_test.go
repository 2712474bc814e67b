package processors

import (
	"strings"
	"testing"
)

// TestSipHash24Vectors checks sipHash24 against the reference vectors of the
// SipHash paper (key 00 01 … 0f, message 00 01 … n-1), at lengths that cover
// an empty message, every tail length, block boundaries and several blocks.
func TestSipHash24Vectors(t *testing.T) {
	const k0, k1 = 0x0706050403020100, 0x0f0e0d0c0b0a0908
	vectors := map[int]uint64{
		0:  0x726fdb47dd0e0e31,
		1:  0x74f839c593dc67fd,
		2:  0x0d6c8009d9a94f5a,
		3:  0x85676696d7fb7e2d,
		4:  0xcf2794e0277187b7,
		5:  0x18765564cd99a68d,
		6:  0xcbc9466e58fee3ce,
		7:  0xab0200f58b01d137,
		8:  0x93f5f5799a932462,
		9:  0x9e0082df0ba9e4b0,
		15: 0xa129ca6149be45e5,
		63: 0x958a324ceb064572,
	}
	var m [64]byte
	for i := range m {
		m[i] = byte(i)
	}
	for n, want := range vectors {
		if got := sipHash24(k0, k1, string(m[:n])); got != want {
			t.Errorf("len %d: got %#016x, want %#016x", n, got, want)
		}
	}
}

func TestDigester(t *testing.T) {
	d := NewDigester([]byte("k"))
	if d.Sum("") != 0 {
		t.Error("the empty string must digest to 0 (absent)")
	}
	if d.Sum("a") == 0 || d.Sum("a") != NewDigester([]byte("k")).Sum("a") {
		t.Error("a digest must be non-zero and stable for one key")
	}
	if d.Sum("a") == d.Sum("b") || d.Sum("a") == NewDigester([]byte("other")).Sum("a") || d.Sum("a") == NewDigester(nil).Sum("a") {
		t.Error("digests must depend on the value and the key")
	}
	long := strings.Repeat("x", 2000)
	for _, v := range []string{"fb.1.1771574400000.1388405713", strings.Repeat("a1", 32), long} {
		if n := testing.AllocsPerRun(100, func() { _ = d.Sum(v) }); n != 0 {
			t.Errorf("Sum of %d bytes allocates %v times", len(v), n)
		}
	}
}
