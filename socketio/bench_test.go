package socketio

import (
	"context"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sockload/sockload/internal/refserver"
)

// cpuTime is the CPU time (user + system) this process used so far. The
// reference server is another process, so this is the client's share.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkEmitAck measures one emit-to-ack round trip against socket.io 4.x
// over websocket; cpu-µs/op is the client's CPU per round trip.
func BenchmarkEmitAck(b *testing.B) {
	srv := refserver.Start(b, refserver.V4)
	ctx := context.Background()
	s, err := Dial(ctx, srv.URL, "/", Options{Transports: []string{TransportWebsocket}})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for range 100 { // warm up the pools and the server's JIT
		if _, err := s.EmitWithAck(ctx, "echo", "warm-up"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	start := cpuTime(b)
	n := 0
	for b.Loop() {
		ack, err := s.EmitWithAck(ctx, "echo", "payload", 42)
		if err != nil {
			b.Fatal(err)
		}
		_ = ack
		n++
	}
	used := cpuTime(b) - start
	b.ReportMetric(float64(used.Microseconds())/float64(n), "cpu-µs/op")
}

// BenchmarkEmitAckParallel is BenchmarkEmitAck with 16 clients at once, as
// a load test runs them: wake-ups are shared, so the CPU per round trip is
// what a generator pays at load.
func BenchmarkEmitAckParallel(b *testing.B) {
	srv := refserver.Start(b, refserver.V4)
	ctx := context.Background()
	var mu sync.Mutex
	var sockets []*Socket
	defer func() {
		for _, s := range sockets {
			s.Close()
		}
	}()
	b.SetParallelism(8) // 8 × GOMAXPROCS clients
	b.ReportAllocs()
	start := cpuTime(b)
	var n atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		s, err := Dial(ctx, srv.URL, "/", Options{Transports: []string{TransportWebsocket}})
		if err != nil {
			b.Error(err)
			return
		}
		mu.Lock()
		sockets = append(sockets, s)
		mu.Unlock()
		for pb.Next() {
			if _, err := s.EmitWithAck(ctx, "echo", "payload", 42); err != nil {
				b.Error(err)
				return
			}
			n.Add(1)
		}
	})
	used := cpuTime(b) - start
	b.ReportMetric(float64(used.Microseconds())/float64(n.Load()), "cpu-µs/op")
}

// BenchmarkIdleClients measures the memory of idle connected websocket
// clients: heap in use plus goroutine stacks, after a GC, per client, on the
// poller and, side by side, read by a goroutine each (as over TLS or
// without the poller). Run it with -benchtime=1x: each iteration connects
// idleClients clients.
func BenchmarkIdleClients(b *testing.B) {
	srv := refserver.Start(b, refserver.V4)
	b.Run("poller", func(b *testing.B) { benchmarkIdleClients(b, srv, nil) })
	b.Run("goroutine-reader", func(b *testing.B) { benchmarkIdleClients(b, srv, goroutineReaderDialer(nil)) })
}

func benchmarkIdleClients(b *testing.B, srv *refserver.Server, dial func(context.Context, string, string) (net.Conn, error)) {
	const idleClients = 1000
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for b.Loop() {
		heapBefore, stackBefore := inUse()
		sockets := make([]*Socket, idleClients)
		var wg sync.WaitGroup
		errs := make(chan error, idleClients)
		const parallel = 8
		for w := range parallel {
			wg.Go(func() {
				for i := w; i < idleClients; i += parallel {
					s, err := Dial(ctx, srv.URL, "/", Options{Transports: []string{TransportWebsocket}, DialContext: dial})
					if err != nil {
						errs <- err
						return
					}
					sockets[i] = s
				}
			})
		}
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond) // let handshake leftovers become garbage
		heapAfter, stackAfter := inUse()
		heap, stack := heapAfter-heapBefore, stackAfter-stackBefore
		b.ReportMetric(float64(heap+stack)/idleClients, "bytes/client")
		b.ReportMetric(float64(stack)/idleClients, "stack-bytes/client")
		for _, s := range sockets {
			if !s.Connected() {
				b.Fatal("a client disconnected while idle")
			}
			s.Close()
		}
	}
}

// inUse is the heap in use and the goroutine stacks, after collecting
// garbage (each collection may halve a stack that uses under a quarter of
// it, so several are made).
func inUse() (heap, stack int64) {
	var ms runtime.MemStats
	for range 4 {
		runtime.GC()
	}
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapInuse), int64(ms.StackInuse)
}

// BenchmarkEmitAckBaseline is the floor BenchmarkEmitAck is measured
// against: the same round trip with hand-made frames over a bare gorilla
// websocket and a reader goroutine, no protocol logic. The difference in
// cpu-µs/op is what the client itself costs.
func BenchmarkEmitAckBaseline(b *testing.B) {
	srv := refserver.Start(b, refserver.V4)
	u := "ws" + strings.TrimPrefix(srv.URL, "http") + "/socket.io/?EIO=4&transport=websocket"
	c, _, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	acks := make(chan []byte, 1)
	joined := make(chan struct{})
	go func() {
		for {
			_, msg, err := c.ReadMessage()
			if err != nil {
				close(acks)
				return
			}
			switch {
			case string(msg) == "2":
				c.WriteMessage(websocket.TextMessage, []byte("3"))
			case strings.HasPrefix(string(msg), "40"):
				close(joined)
			case strings.HasPrefix(string(msg), "43"):
				acks <- msg
			}
		}
	}()
	if err := c.WriteMessage(websocket.TextMessage, []byte("40")); err != nil {
		b.Fatal(err)
	}
	<-joined // the server drops events for a namespace not yet joined
	emit := []byte(`421["echo","payload",42]`)
	for range 100 {
		c.WriteMessage(websocket.TextMessage, emit)
		<-acks
	}
	start := cpuTime(b)
	n := 0
	for b.Loop() {
		if err := c.WriteMessage(websocket.TextMessage, emit); err != nil {
			b.Fatal(err)
		}
		if _, ok := <-acks; !ok {
			b.Fatal("connection closed")
		}
		n++
	}
	used := cpuTime(b) - start
	b.ReportMetric(float64(used.Microseconds())/float64(n), "cpu-µs/op")
}

// BenchmarkArrival measures what a load test's arrival costs the client:
// a new websocket connection, one acknowledged emit, leaving; cpu-µs/op is
// the client's CPU per arrival.
func BenchmarkArrival(b *testing.B) {
	srv := refserver.Start(b, refserver.V4)
	ctx := context.Background()
	opts := Options{Transports: []string{TransportWebsocket}, DisableReconnection: true}
	arrive := func() {
		s, err := Dial(ctx, srv.URL, "/", opts)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.EmitWithAck(ctx, "echo", "payload"); err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
	for range 100 { // warm up the pools and the server's JIT
		arrive()
	}
	b.ReportAllocs()
	start := cpuTime(b)
	n := 0
	for b.Loop() {
		arrive()
		n++
	}
	used := cpuTime(b) - start
	b.ReportMetric(float64(used.Microseconds())/float64(n), "cpu-µs/op")
}
