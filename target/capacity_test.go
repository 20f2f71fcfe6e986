package target

import (
	"reflect"
	"sort"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sockload/sockload/socketio/wire"
)

func TestPacerAdmit(t *testing.T) {
	ms := time.Millisecond
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		rate     int
		burst    int
		limit    int
		arrivals []time.Duration // offsets from t0, in order
		want     []time.Duration // start offsets; -1 means refused
	}{
		{
			name: "below the rate nothing waits", rate: 10, limit: 2,
			arrivals: []time.Duration{0, 150 * ms, 300 * ms, 450 * ms},
			want:     []time.Duration{0, 150 * ms, 300 * ms, 450 * ms},
		},
		{
			name: "a burst is spaced by the interval", rate: 10, limit: 3,
			arrivals: []time.Duration{0, 0, 0, 0},
			want:     []time.Duration{0, 100 * ms, 200 * ms, 300 * ms},
		},
		{
			name: "past the limit events are refused", rate: 10, limit: 2,
			arrivals: []time.Duration{0, 0, 0, 0, 0},
			want:     []time.Duration{0, 100 * ms, 200 * ms, -1, -1},
		},
		{
			name: "the queue drains with time", rate: 10, limit: 1,
			arrivals: []time.Duration{0, 0, 0, 100 * ms, 250 * ms},
			want:     []time.Duration{0, 100 * ms, -1, 200 * ms, 300 * ms},
		},
		{
			name: "a burst starts at once, then the rate holds", rate: 10, burst: 3, limit: 2,
			arrivals: []time.Duration{0, 0, 0, 0, 0, 0},
			want:     []time.Duration{0, 0, 0, 100 * ms, 200 * ms, -1},
		},
		{
			name: "the burst comes back after a quiet spell", rate: 10, burst: 2, limit: 0,
			arrivals: []time.Duration{0, 0, 0, 150 * ms, 200 * ms, 400 * ms, 400 * ms, 400 * ms},
			want:     []time.Duration{0, 0, -1, 150 * ms, 200 * ms, 400 * ms, 400 * ms, -1},
		},
		{
			name: "an idle pacer does not bank capacity", rate: 100, limit: 0,
			arrivals: []time.Duration{0, 1000 * ms, 1000 * ms, 1010 * ms},
			want:     []time.Duration{0, 1000 * ms, -1, 1010 * ms},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPacer(tt.rate, tt.burst, tt.limit)
			var got []time.Duration
			for _, at := range tt.arrivals {
				start, ok := p.admit(t0.Add(at))
				if !ok {
					got = append(got, -1)
					continue
				}
				got = append(got, start.Sub(t0))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("starts %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPacerWaiting(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := newPacer(10, 1, 10)
	for range 4 {
		p.admit(t0)
	}
	for _, c := range []struct {
		at   time.Duration
		want int
	}{{0, 4}, {50 * time.Millisecond, 4}, {100 * time.Millisecond, 3}, {399 * time.Millisecond, 1}, {400 * time.Millisecond, 0}, {time.Second, 0}} {
		if got := p.waiting(t0.Add(c.at)); got != c.want {
			t.Errorf("waiting at %v: %d, want %d", c.at, got, c.want)
		}
	}
}

// TestWorkerPacing runs the worker on fake time: jobs start exactly at the
// pacer's instants, in order, and a full queue refuses at once.
func TestWorkerPacing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWorker(10, 1, 4)
		defer w.stop()
		start := time.Now()
		var mu sync.Mutex
		var ran []time.Duration
		admitted := 0
		for range 8 {
			if w.submit(func() {
				mu.Lock()
				ran = append(ran, time.Since(start))
				mu.Unlock()
			}) {
				admitted++
			}
		}
		if admitted != 5 {
			t.Fatalf("admitted %d of 8 with a queue of 4, want 5 (one starts, 4 wait)", admitted)
		}
		if got := w.queued(); got != 5 {
			t.Fatalf("queued %d before any ran, want 5", got)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		ms := time.Millisecond
		if want := []time.Duration{0, 100 * ms, 200 * ms, 300 * ms, 400 * ms}; !reflect.DeepEqual(ran, want) {
			t.Fatalf("ran at %v, want %v", ran, want)
		}
		if w.queued() != 0 || !w.submit(func() {}) {
			t.Fatal("the drained worker does not admit again")
		}
	})
}

// loadResult is what offerLoad saw.
type loadResult struct {
	acked         []time.Duration // latency of each successful ack, in send order
	overloads     int             // error acks
	missing       int             // events never answered
	firstOverload int             // index in acked of the first success after the first error ack; -1 if none
}

// offerLoad emits "ping" with an ack at rate events per second for
// duration over one websocket, then waits for the answers.
func offerLoad(t *testing.T, srv *Server, rate int, duration time.Duration) loadResult {
	t.Helper()
	c := dialWebsocket(t, srv)
	c.connect("/", nil)
	total := int(duration.Seconds() * float64(rate))
	sent := make([]time.Time, total)
	answered := make([]time.Time, total)
	overloaded := make([]bool, total)
	var mu sync.Mutex // guards sent against the reader

	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		for got := 0; got < total; {
			_ = c.conn.SetReadDeadline(time.Now().Add(ioTimeout))
			kind, data, err := c.conn.ReadMessage()
			if err != nil {
				return
			}
			now := time.Now()
			p, err := wire.DecodeFrame(c.v, data, kind == websocket.BinaryMessage)
			if err != nil || p.Type != wire.Message {
				continue
			}
			sp, err := wire.DecodeSocketPacket(p.Data)
			if err != nil || sp.Type != wire.Ack || sp.ID < 0 || sp.ID >= int64(total) {
				continue
			}
			mu.Lock()
			answered[sp.ID] = now
			overloaded[sp.ID] = string(sp.Data) != `["pong"]`
			mu.Unlock()
			got++
		}
	}()

	interval := time.Second / time.Duration(rate)
	begin := time.Now()
	for i := range total {
		time.Sleep(time.Until(begin.Add(time.Duration(i) * interval)))
		text, _, _ := wire.AppendEventPacket(nil, "/", int64(i), "ping", nil)
		frame, _ := wire.AppendFrame(c.v, nil, wire.Packet{Type: wire.Message, Data: text})
		mu.Lock()
		sent[i] = time.Now()
		mu.Unlock()
		if err := c.conn.WriteMessage(websocket.TextMessage, frame); err != nil {
			t.Fatalf("write: %v", err)
		}
	}
	<-readerDone

	mu.Lock()
	defer mu.Unlock()
	r := loadResult{firstOverload: -1}
	for i := range total {
		switch {
		case answered[i].IsZero():
			r.missing++
		case overloaded[i]:
			if r.overloads == 0 {
				r.firstOverload = len(r.acked)
			}
			r.overloads++
		default:
			r.acked = append(r.acked, answered[i].Sub(sent[i]))
		}
	}
	return r
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// TestCapacityBreakingPoint offers a target of capacity N a quarter of N,
// then three times N: below, nothing is shed and nothing waits long; above,
// latency climbs until the queue is full and only then are events shed.
// The claims hold however the sender is scheduled on a busy machine: a late
// sender sends a burst, which fills the queue sooner but in the same order.
func TestCapacityBreakingPoint(t *testing.T) {
	if testing.Short() {
		t.Skip("offers load for a few seconds")
	}
	const capacity, queue = 200, 100 // the queue holds half a second of work
	srv := startServer(t, Config{Capacity: capacity, QueueLimit: queue})

	below := offerLoad(t, srv, capacity/4, time.Second)
	if below.overloads != 0 || below.missing != 0 || srv.Stats().Shed != 0 {
		t.Fatalf("at N/4: %d overloaded, %d missing, want none", below.overloads, below.missing)
	}

	above := offerLoad(t, srv, 3*capacity, 2*time.Second)
	st := srv.Stats()
	if above.missing != 0 {
		t.Fatalf("at 3N: %d events unanswered", above.missing)
	}
	if above.overloads == 0 || int64(above.overloads) != st.Shed {
		t.Fatalf("at 3N: %d error acks, %d shed; want the excess shed and answered", above.overloads, st.Shed)
	}
	// Nothing is shed before the queue has filled: the first error ack
	// follows at least queue admitted events.
	if above.firstOverload < queue {
		t.Fatalf("at 3N: the first error ack came after %d admitted events, want at least %d", above.firstOverload, queue)
	}
	// The admitted events run at about N per second: about 2N+queue of the
	// 6N offered get through.
	if n := len(above.acked); n < capacity || n > 4*capacity {
		t.Fatalf("at 3N: %d events handled in 2s, want about %d", n, 2*capacity+queue)
	}
	// The events admitted just before shedding began waited for a full
	// queue: about queue/N = 500ms, far more than anything below N.
	beforeShed := median(above.acked[above.firstOverload-queue/4 : above.firstOverload])
	if beforeShed < 10*median(below.acked) || beforeShed < 100*time.Millisecond {
		t.Fatalf("latency did not grow with the queue: median %v below N, %v just before shedding", median(below.acked), beforeShed)
	}
	t.Logf("N=%d, queue %d: median ack latency %v at N/4, %v at 3N just before shedding; at 3N %d handled, %d shed",
		capacity, queue, median(below.acked), beforeShed, len(above.acked), above.overloads)
}
