package consumers

import (
	"testing"
	"time"
)

func TestBackoffGrowsWithJitterAndCaps(t *testing.T) {
	t.Parallel()
	b := newBackoff(100*time.Millisecond, 2*time.Second)
	prevHi := time.Duration(0)
	for i := range 12 {
		d := b.next()
		hi := min(100*time.Millisecond<<i, 2*time.Second)
		if d < hi/2 || d > hi {
			t.Fatalf("delay %d = %s, want in [%s, %s]", i, d, hi/2, hi)
		}
		if hi < prevHi {
			t.Fatalf("upper bound shrank")
		}
		prevHi = hi
	}
	b.reset()
	if d := b.next(); d > 100*time.Millisecond {
		t.Fatalf("after reset delay = %s", d)
	}
}
