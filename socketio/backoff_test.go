package socketio

import (
	"testing"
	"time"
)

// When a server restarts, every client loses its connection at once; the
// default backoff (1 s, jitter 0.5, drawn by each Manager on its own, as
// socket.io-client's Backoff does) spreads their first attempts over
// [0.5 s, 1.5 s) instead of sending them all together: no tenth of a
// second gets much more than its share of the herd.
func TestAHerdOfManagersSpreadsItsFirstAttempts(t *testing.T) {
	cfg, err := newConfig("http://127.0.0.1:1", Options{})
	if err != nil {
		t.Fatal(err)
	}
	const herd = 2000
	var slots [10]int // tenths of a second from 0.5 s
	for range herd {
		m := newManager(cfg, false)
		d := m.backoff.next()
		if d < 500*time.Millisecond || d >= 1500*time.Millisecond {
			t.Fatalf("first delay %v, want it in [0.5 s, 1.5 s)", d)
		}
		slots[(d-500*time.Millisecond)/(100*time.Millisecond)]++
	}
	for i, n := range slots {
		// A tenth of the herd each, give or take the draw (a share of 20%
		// is over 20 standard deviations away).
		if n > herd/5 || n < herd/20 {
			t.Errorf("%d of %d first attempts in [%v, %v), want about a tenth (all: %v)", n, herd,
				500*time.Millisecond+time.Duration(i)*100*time.Millisecond, 600*time.Millisecond+time.Duration(i)*100*time.Millisecond, slots)
		}
	}
}
