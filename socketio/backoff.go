package socketio

import (
	"math"
	"math/rand/v2"
	"time"
)

// backoff computes reconnection delays as socket.io-client's Backoff does:
//
//	d = min · 2^attempt
//	deviation = ⌊r · jitter · d⌋ for r uniform in [0, 1)
//	d ± deviation, minus when ⌊10r⌋ is even
//	capped at max
//
// so with the defaults (1 s, 5 s, jitter 0.5) the first delay falls in
// [0.5 s, 1.5 s) and later ones settle at 5 s. Not safe for concurrent use.
type backoff struct {
	min, max time.Duration
	jitter   float64
	attempts int
	random   func() float64 // rand.Float64 unless a test fixes it
}

// next returns the delay before the next attempt and counts it.
func (b *backoff) next() time.Duration {
	r := rand.Float64
	if b.random != nil {
		r = b.random
	}
	d := backoffDelay(b.min, b.max, b.jitter, b.attempts, r())
	b.attempts++
	return d
}

func (b *backoff) reset() { b.attempts = 0 }

// backoffDelay is the delay before attempt (0-based) given the random draw r.
func backoffDelay(min, max time.Duration, jitter float64, attempt int, r float64) time.Duration {
	d := float64(min) * math.Pow(2, float64(attempt))
	if jitter > 0 {
		deviation := math.Floor(r * jitter * d)
		if int(math.Floor(r*10))&1 == 0 {
			d -= deviation
		} else {
			d += deviation
		}
	}
	if d > float64(max) || math.IsInf(d, 0) || math.IsNaN(d) {
		return max
	}
	return time.Duration(d)
}
