package target

import (
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sockload/sockload/socketio/wire"
)

// openIdle opens n websocket sessions connected to "/" and returns their
// connections; nothing reads them afterwards.
func openIdle(tb testing.TB, srv *Server, n int) []*websocket.Conn {
	tb.Helper()
	url := engineURL(srv, "ws", srv.Config().EngineVersion, "websocket", "")
	connect, _ := wire.AppendConnectPacket(nil, "/", nil)
	frame, _ := wire.AppendFrame(srv.Config().EngineVersion, nil, wire.Packet{Type: wire.Message, Data: connect})
	conns := make([]*websocket.Conn, 0, n)
	for range n {
		c, _, err := websocket.DefaultDialer.Dial(url, nil)
		if err != nil {
			tb.Fatalf("dial: %v", err)
		}
		_ = c.SetReadDeadline(time.Now().Add(ioTimeout))
		if _, _, err := c.ReadMessage(); err != nil { // open
			tb.Fatal(err)
		}
		if err := c.WriteMessage(websocket.TextMessage, frame); err != nil {
			tb.Fatal(err)
		}
		if _, _, err := c.ReadMessage(); err != nil { // CONNECT answer
			tb.Fatal(err)
		}
		conns = append(conns, c)
	}
	return conns
}

// TestIdleConnectionsCostOneGoroutine checks the design rule that an idle
// connection holds exactly one goroutine on the server (its reader): no
// writer, no ticker, no timer goroutine.
func TestIdleConnectionsCostOneGoroutine(t *testing.T) {
	const n = 200
	srv := startServer(t, Config{})
	before := runtime.NumGoroutine()
	conns := openIdle(t, srv, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	// Flusher goroutines end once their queue is empty.
	waitFor(t, "flushers to end", func() bool { return runtime.NumGoroutine()-before <= n })
	if got := srv.Stats().OpenSessions; got != n {
		t.Fatalf("%d open sessions, want %d", got, n)
	}
}

// BenchmarkIdleConnections reports what an idle websocket session costs:
// heap bytes (server and client sides together, in one process) and
// goroutines per connection. Run with -benchtime=1x.
func BenchmarkIdleConnections(b *testing.B) {
	const n = 2000
	for range b.N {
		srv := startServerB(b, Config{})
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		goroutines := runtime.NumGoroutine()
		conns := openIdle(b, srv, n)
		time.Sleep(100 * time.Millisecond)
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapInuse+after.StackInuse-before.HeapInuse-before.StackInuse)/n, "bytes/conn")
		b.ReportMetric(float64(runtime.NumGoroutine()-goroutines)/n, "goroutines/conn")
		for _, c := range conns {
			c.Close()
		}
		srv.Close()
	}
}

// BenchmarkAckThroughput reports the acks per second an unlimited target
// answers to 16 connections emitting "ping" as fast as acks return (each
// connection keeps 32 in flight).
func BenchmarkAckThroughput(b *testing.B) {
	const conns, inFlight = 16, 32
	srv := startServerB(b, Config{})
	clients := openIdle(b, srv, conns)
	perConn := b.N/conns + 1
	text, _, _ := wire.AppendEventPacket(nil, "/", 1, "ping", nil)
	frame, _ := wire.AppendFrame(wire.EngineV4, nil, wire.Packet{Type: wire.Message, Data: text})
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			credits := make(chan struct{}, inFlight)
			for range inFlight {
				credits <- struct{}{}
			}
			go func() {
				for range perConn {
					<-credits
					if c.WriteMessage(websocket.TextMessage, frame) != nil {
						return
					}
				}
			}()
			for got := 0; got < perConn; {
				_ = c.SetReadDeadline(time.Now().Add(ioTimeout))
				_, data, err := c.ReadMessage()
				if err != nil {
					b.Error(err)
					return
				}
				if len(data) > 1 && data[0] == '4' {
					got++
					credits <- struct{}{}
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(perConn*conns)/time.Since(start).Seconds(), "acks/s")
}

func startServerB(b *testing.B, cfg Config) *Server {
	b.Helper()
	cfg.Addr = "127.0.0.1:0"
	srv, err := Start(b.Context(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	return srv
}
