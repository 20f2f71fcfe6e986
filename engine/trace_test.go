package engine

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/sockload/sockload/metrics"
)

func TestTraceRoundTrip(t *testing.T) {
	tok := traceToken{run: 0xdeadbeef01234567, id: 0x0000000100000002, sent: 1_700_000_000_000_000_000}
	text := appendTrace(nil, tok)
	if len(text) != traceLen {
		t.Fatalf("token %q is %d bytes, want %d", text, len(text), traceLen)
	}
	cases := []struct {
		name string
		raw  string
		ok   bool
	}{
		{"as relayed", `["chat",{"room":"r","trace":"` + string(text) + `"}]`, true},
		{"after a forged marker", `["chat","slt1.zz","` + string(text) + `"]`, true},
		{"truncated", `["chat","` + string(text[:traceLen-1]) + `"]`, false},
		{"bad separator", `["chat","` + strings.Replace(string(text), ".", "-", 2) + `"]`, false},
		{"none", `["chat","hello"]`, false},
	}
	for _, c := range cases {
		got, ok := findTrace([]byte(c.raw))
		if ok != c.ok || ok && got != tok {
			t.Errorf("%s: findTrace = %+v, %v; want %+v, %v", c.name, got, ok, tok, c.ok)
		}
	}
}

// FuzzFindTrace feeds the decoder what a hostile server could send. The
// oracle: it never panics, and a token it returns is in the payload.
func FuzzFindTrace(f *testing.F) {
	valid := string(appendTrace(nil, traceToken{run: 1, id: 2, sent: 3}))
	for _, seed := range []string{
		`["chat",{"trace":"` + valid + `"}]`,
		`["chat","slt1.","slt1.0000000000000001.","` + valid + `"]`,
		strings.Repeat("slt1.", 1000),
		`slt1.ffffffffffffffff.ffffffffffffffff.ffffffffffffffff`,
		`slt1.GGGGGGGGGGGGGGGG.0000000000000000.0000000000000000`,
		"",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		tok, ok := findTrace(raw)
		if !ok {
			return
		}
		if !bytes.Contains(bytes.ToLower(raw), appendTrace(nil, tok)) {
			t.Fatalf("findTrace(%q) = %+v, which is not in the payload", raw, tok)
		}
	})
}

func TestForgedTracesGrowNothing(t *testing.T) {
	reg := metrics.New(time.Now(), metrics.Options{})
	tr := newTraces(reg, 7, time.Second)
	// Forged ids of this very process, as a hostile server could echo.
	for i := range uint64(100_000) {
		if got := tr.deliver(uint64(tr.tag)<<32|i, i); got != deliveredLate {
			t.Fatalf("a forged id was taken for a followed message: %v", got)
		}
	}
	for i := range tr.shards {
		if n := len(tr.shards[i].msgs); n != 0 {
			t.Fatalf("shard %d holds %d messages after forged deliveries", i, n)
		}
	}
	// Following stops at maxPendingTraces, however fast a run emits.
	ev := newEventMetrics(reg, ".chat")
	followed := 0
	for range maxPendingTraces + 100 {
		if tr.follow(tr.newToken(time.Now()), ev, nil) {
			followed++
		}
	}
	if followed != maxPendingTraces || tr.pending.Load() != maxPendingTraces {
		t.Errorf("followed %d (pending %d), want %d", followed, tr.pending.Load(), maxPendingTraces)
	}
	tr.settle(0, true)
	if tr.pending.Load() != 0 || len(tr.queue) != 0 {
		t.Errorf("after settling: pending %d, queue %d", tr.pending.Load(), len(tr.queue))
	}
}

func TestSettleCountsMissingAndExcusesThoseWhoLeft(t *testing.T) {
	reg := metrics.New(time.Now(), metrics.Options{})
	tr := newTraces(reg, 7, time.Second)
	g := newGroups()
	for vu := uint64(1); vu <= 4; vu++ {
		g.join("r", vu)
	}
	ev := newEventMetrics(reg, ".chat")
	tok := tr.newToken(time.Now())
	tr.follow(tok, ev, g.snapshot("r", 1)) // sent by VU 1 to the others: 2, 3, 4
	tr.deliver(tok.id, 2)
	tr.deliver(tok.id, 2) // a duplicate
	tr.deliver(tok.id, 1) // the sender: not expected
	g.leave("r", 3, tok.sent+1)
	// 4 never gets it: missing.
	tr.settle(tok.sent+int64(2*time.Second), false)
	snap := reg.Rotate(time.Now())
	want := map[string]int64{
		MetricExpected + ".chat": 2, MetricDelivered + ".chat": 1, MetricMissing + ".chat": 1, MetricDuplicates + ".chat": 1,
		MetricExpected: 2, MetricMissing: 1,
	}
	for name, n := range want {
		if snap.Counters[name] != n {
			t.Errorf("%s = %d, want %d", name, snap.Counters[name], n)
		}
	}
}
