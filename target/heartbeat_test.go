package target

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sockload/sockload/socketio/wire"
)

// The heartbeat tests run the server over in-memory connections inside a
// synctest bubble, so the timers are checked to the millisecond without
// waiting for them.

// pipeListener is a net.Listener whose connections are net.Pipe pairs.
type pipeListener struct {
	conns chan net.Conn
	once  sync.Once
	done  chan struct{}
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 3000} }

func (l *pipeListener) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
		return nil, net.ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// bubbleClient is a websocket client whose packets arrive on a channel, so
// the test can let fake time pass while the server writes.
type bubbleClient struct {
	conn    *websocket.Conn
	v       wire.EngineVersion
	packets chan wire.Packet
	closed  chan error
}

func dialBubble(t *testing.T, srv *Server, ln *pipeListener) *bubbleClient {
	t.Helper()
	d := websocket.Dialer{NetDialContext: ln.dial}
	v := srv.Config().EngineVersion
	conn, _, err := d.Dial(engineURL(srv, "ws", v, "websocket", ""), nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	c := &bubbleClient{conn: conn, v: v, packets: make(chan wire.Packet, 100), closed: make(chan error, 1)}
	go func() {
		for {
			kind, data, err := conn.ReadMessage()
			if err != nil {
				c.closed <- err
				return
			}
			p, err := wire.DecodeFrame(v, data, kind == websocket.BinaryMessage)
			if err != nil {
				c.closed <- err
				return
			}
			c.packets <- p
		}
	}()
	return c
}

func (c *bubbleClient) write(t *testing.T, p wire.Packet) {
	t.Helper()
	frame, _ := wire.AppendFrame(c.v, nil, p)
	if err := c.conn.WriteMessage(websocket.TextMessage, frame); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// drain returns the packets received so far.
func (c *bubbleClient) drain() []wire.PacketType {
	var types []wire.PacketType
	for {
		select {
		case p := <-c.packets:
			types = append(types, p.Type)
		default:
			return types
		}
	}
}

func (c *bubbleClient) isClosed() bool {
	select {
	case err := <-c.closed:
		c.closed <- err
		return true
	default:
		return false
	}
}

func TestHeartbeat(t *testing.T) {
	const interval, timeout = 1000 * time.Millisecond, 500 * time.Millisecond
	tests := []struct {
		name      string
		v         wire.EngineVersion
		answer    bool          // the client keeps the heartbeat
		closesAt  time.Duration // when a silent client is dropped
		wantPings bool          // the server pings (v4)
	}{
		{"v4 server pings and drops a silent client", wire.EngineV4, false, interval + timeout, true},
		{"v4 client answering pongs stays", wire.EngineV4, true, 0, true},
		{"v3 drops a client that stops pinging", wire.EngineV3, false, interval + timeout, false},
		{"v3 client pinging stays", wire.EngineV3, true, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cfg, err := Config{EngineVersion: tt.v, PingInterval: interval, PingTimeout: timeout}.withDefaults()
				if err != nil {
					t.Fatal(err)
				}
				ln := newPipeListener()
				srv := serve(t.Context(), cfg, ln)
				defer srv.Close()
				c := dialBubble(t, srv, ln)
				start := time.Now()
				synctest.Wait()
				c.drain() // open (and the v3 CONNECT)

				step := 100 * time.Millisecond
				for elapsed := step; elapsed <= 5*interval; elapsed += step {
					time.Sleep(time.Until(start.Add(elapsed)))
					synctest.Wait()
					for _, typ := range c.drain() {
						if typ == wire.Ping && !tt.wantPings {
							t.Fatalf("v3 server sent a ping")
						}
						if typ == wire.Ping && tt.answer {
							c.write(t, wire.Packet{Type: wire.Pong})
						}
						if typ == wire.Pong && tt.v == wire.EngineV4 {
							t.Fatalf("v4 server sent a pong")
						}
					}
					if tt.v == wire.EngineV3 && tt.answer && elapsed%interval == 0 {
						c.write(t, wire.Packet{Type: wire.Ping})
						synctest.Wait()
						if got := c.drain(); len(got) != 1 || got[0] != wire.Pong {
							t.Fatalf("v3 ping answered with %v, want a pong", got)
						}
					}
					synctest.Wait()
					wantClosed := !tt.answer && elapsed >= tt.closesAt
					st := srv.Stats()
					if c.isClosed() != wantClosed || (st.OpenSessions == 0) != wantClosed || (st.Closed["ping timeout"] == 1) != wantClosed {
						t.Fatalf("at %v: closed %v, open sessions %d, closed by reason %v; want closed %v by ping timeout",
							elapsed, c.isClosed(), st.OpenSessions, st.Closed, wantClosed)
					}
				}
			})
		})
	}
}

func TestCloseEndsEverything(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg, _ := Config{PushInterval: time.Second}.withDefaults()
		ln := newPipeListener()
		ctx, cancel := context.WithCancel(t.Context())
		srv := serve(ctx, cfg, ln)
		c := dialBubble(t, srv, ln)
		c.write(t, wire.Packet{Type: wire.Message, Data: []byte("0")})
		time.Sleep(3500 * time.Millisecond) // ticks at 1s, 2s and 3s
		cancel()                            // as `sockload serve` does on a signal
		synctest.Wait()
		if !c.isClosed() {
			t.Fatal("the client is still connected after the context ended")
		}
		var ticks int
		for _, typ := range c.drain() {
			if typ == wire.Message {
				ticks++
			}
		}
		if ticks != 4 { // the CONNECT answer and three ticks
			t.Fatalf("got %d messages, want the CONNECT answer and 3 ticks", ticks)
		}
		if _, err := ln.dial(t.Context(), "", ""); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("dial after close: %v, want net.ErrClosed", err)
		}
	})
}

// TestCloseDuringUpgrade checks that Close does not wait for a websocket
// probe that never comes (the upgrade timeout is 10s).
func TestCloseDuringUpgrade(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg, _ := Config{}.withDefaults()
		ln := newPipeListener()
		srv := serve(t.Context(), cfg, ln)
		client := &http.Client{Transport: &http.Transport{DialContext: ln.dial}}
		defer client.CloseIdleConnections()
		resp, err := client.Get(engineURL(srv, "http", wire.EngineV4, "polling", ""))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var hs wire.Handshake
		if err := wire.DecodePayload(wire.EngineV4, body, 0, func(p wire.Packet) (err error) {
			hs, err = wire.ParseHandshake(p.Data)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		d := websocket.Dialer{NetDialContext: ln.dial}
		conn, _, err := d.Dial(engineURL(srv, "ws", wire.EngineV4, "websocket", hs.SID), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		synctest.Wait() // the server now waits for the probe
		start := time.Now()
		srv.Close()
		if waited := time.Since(start); waited != 0 {
			t.Fatalf("Close waited %v for the probe", waited)
		}
	})
}
