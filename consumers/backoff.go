package consumers

import (
	"math/rand/v2"
	"time"
)

// backoff yields exponentially growing delays with full jitter, capped at
// max: the n-th delay is uniform in [base·2ⁿ/2, base·2ⁿ]. Not safe for
// concurrent use.
type backoff struct {
	base, max time.Duration
	n         int
}

func newBackoff(base, max time.Duration) *backoff { return &backoff{base: base, max: max} }

func (b *backoff) next() time.Duration {
	d := b.base << min(b.n, 20)
	if d <= 0 || d > b.max {
		d = b.max
	}
	b.n++
	half := d / 2
	return half + time.Duration(rand.Int64N(int64(half)+1))
}

func (b *backoff) reset() { b.n = 0 }
