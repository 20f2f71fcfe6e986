package engine

import (
	"fmt"
	"runtime/metrics"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	smetrics "github.com/sockload/sockload/metrics"
	"github.com/sockload/sockload/phases"
)

// Each namespace's reconnection time runs from its own first loss to its
// own rejoining: a second loss before the rejoining keeps the first
// instant, a rejoining without a loss (a first connect) records nothing,
// and a VU that reconnects again and again allocates nothing more for it
// after its first loss.
func TestReconnectTimeIsPerNamespace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		begin := time.Now()
		reg := smetrics.New(begin, smetrics.Options{})
		r, err := New(Config{Script: ioFreeFlow(t, "    flow: [{think: 1}]\n"),
			Plan: phases.Plan{{Duration: time.Second, ArrivalCount: 1}}, Registry: reg, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		v := r.newVU(1, 0, 0)
		v.joined("/a") // connected, never lost: not a reconnection
		v.connectionLost("/a", "transport close")
		time.Sleep(time.Second)
		v.connectionLost("/b", "ping timeout")
		time.Sleep(time.Second)
		v.connectionLost("/a", "transport close")      // still lost since 0 s
		v.connectionLost("/c", "io client disconnect") // left on purpose: no reconnection follows
		time.Sleep(time.Second)
		v.joined("/b") // lost at 1 s: 2 s
		time.Sleep(time.Second)
		v.joined("/a") // lost at 0 s: 4 s
		v.joined("/a") // already counted
		v.joined("/c")

		h := reg.Rotate(time.Now()).Histograms[MetricReconnectTime]
		if h == nil || h.TotalCount() != 2 {
			t.Fatalf("reconnect times: %v, want 2 of them", h)
		}
		if lo, hi := h.Min(), h.Max(); !h.ValuesAreEquivalent(lo, 2_000_000) || !h.ValuesAreEquivalent(hi, 4_000_000) {
			t.Errorf("reconnect times %d..%d us, want 2 s and 4 s", lo, hi)
		}
		if n := testing.AllocsPerRun(100, func() {
			v.connectionLost("/a", "transport close")
			v.joined("/a")
		}); n != 0 {
			t.Errorf("a reconnection after the first allocated %v times for its loss, want 0", n)
		}
	})
}

// A VU's first lost connection keeps a few dozen bytes for its
// reconnection time, not a map (about 350 B a VU for its one namespace).
func TestFirstLossKeepsLittle(t *testing.T) {
	reg := smetrics.New(time.Now(), smetrics.Options{})
	r, err := New(Config{Script: ioFreeFlow(t, "    flow: [{think: 1}]\n"),
		Plan: phases.Plan{{Duration: time.Second, ArrivalCount: 1}}, Registry: reg, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	vus := make([]*vu, 1000)
	for i := range vus {
		vus[i] = r.newVU(uint64(i+1), 0, 0)
	}
	before := allocatedBytes()
	for _, v := range vus {
		v.connectionLost("/", "transport close")
	}
	if per := (allocatedBytes() - before) / uint64(len(vus)); per > 150 {
		t.Errorf("a first loss allocated %d B a VU, want at most 150", per)
	}
}

func allocatedBytes() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// Config.Losses hears of every connection lost that a reconnection may
// bring back, once until it is joined again, with the VUs running, and
// of its return or its VU's end; not of a VU's own leaving nor of the
// server's disconnect, nor of a first connect.
func TestConnectionLostIsHeardOncePerLoss(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var w lossLog
		r, err := New(Config{Script: ioFreeFlow(t, "    flow: [{think: 1}]\n"),
			Plan: phases.Plan{{Duration: time.Second, ArrivalCount: 1}}, Registry: smetrics.New(time.Now(), smetrics.Options{}), Seed: 1,
			Losses: &w})
		if err != nil {
			t.Fatal(err)
		}
		r.active.Store(3)
		v := r.newVU(1, 0, 0)
		v.connectionLost("/", "transport close")
		v.connectionLost("/", "transport close") // still lost
		v.connectionLost("/chat", "ping timeout")
		v.connectionLost("/admin", "io client disconnect")
		v.connectionLost("/admin", "io server disconnect")
		v.joined("/")
		v.joined("/") // already back
		v.joined("/admin")
		v.connectionLost("/", "transport error")
		v.giveUpLosses() // the VU's end, with / and /chat lost
		v.giveUpLosses()
		if want := []string{"lost of 3", "lost of 3", "regained", "lost of 3", "regained", "regained"}; !slices.Equal(w.heard, want) {
			t.Errorf("heard %q, want %q: the losses of / (twice, joined between) and /chat, both given up at the end", w.heard, want)
		}
	})
}

// lossLog is a LossWatcher that notes what it hears.
type lossLog struct{ heard []string }

func (l *lossLog) Lost(running int64) { l.heard = append(l.heard, fmt.Sprintf("lost of %d", running)) }
func (l *lossLog) Regained()          { l.heard = append(l.heard, "regained") }
