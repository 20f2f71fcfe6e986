package socketio

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/sockload/sockload/internal/refserver"
)

// BenchmarkReconnection measures one reconnection over websocket against
// socket.io 4.x: the client ends its side of the TCP connection (the server
// then closes it, as when a node goes away), and the Manager dials, makes
// the handshakes and joins its namespace again. B/op and allocs/op are
// what a reconnection wave costs a VU (the whole process is counted: the
// reader's and the timer's goroutines too).
func BenchmarkReconnection(b *testing.B) {
	srv := refserver.Start(b, refserver.V4)
	connected := make(chan struct{}, 1)
	opts := Options{
		Transports:        []string{TransportWebsocket},
		ReconnectionDelay: time.Millisecond, ReconnectionDelayMax: time.Millisecond, RandomizationFactor: -1,
		OnConnect: func(string) { connected <- struct{}{} },
	}
	s, err := Dial(context.Background(), srv.URL, "/", opts)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Manager().Close()
	<-connected
	// One timer for every wait, so that the loop allocates nothing of its
	// own.
	timeout := time.NewTimer(time.Hour)
	defer timeout.Stop()
	reconnect := func() {
		endTCP(b, s.Manager())
		timeout.Reset(10 * time.Second)
		select {
		case <-connected:
		case <-timeout.C:
			b.Fatal("not reconnected within 10 s")
		}
	}
	for range 50 { // warm up the pools and the server's JIT
		reconnect()
	}
	b.ReportAllocs()
	for b.Loop() {
		reconnect()
	}
}

// endTCP ends the client's side of m's websocket (a FIN): the server then
// closes the connection, and m reconnects.
func endTCP(tb testing.TB, m *Manager) {
	tb.Helper()
	m.mu.Lock()
	e := m.eng
	m.mu.Unlock()
	if e == nil {
		tb.Fatal("no connection to end")
	}
	ws, ok := e.current().(*wsTransport)
	if !ok {
		tb.Fatalf("transport %s, want websocket", e.transportName())
	}
	tc, ok := ws.conn.(*net.TCPConn)
	if !ok {
		tb.Fatalf("connection %T, want *net.TCPConn", ws.conn)
	}
	if err := tc.CloseWrite(); err != nil {
		tb.Fatal(err)
	}
}
