package socketio

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sockload/sockload/socketio/wire"
)

// breakableConn fails every write once broken, as a socket whose peer reset
// it does, while reads still return what arrived before.
type breakableConn struct {
	net.Conn
	mu  sync.Mutex
	err error
}

func (c *breakableConn) breakWrites(errno syscall.Errno) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.err = &net.OpError{Op: "write", Net: "tcp", Err: os.NewSyscallError("write", errno)}
}

func (c *breakableConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	err := c.err
	c.mu.Unlock()
	if err != nil {
		return 0, err
	}
	return c.Conn.Write(b)
}

// TestWriteFailureLeavesReasonToReader: when a write fails because the
// server has already ended the connection, the disconnect carries the
// server's reason, which the reader finds after the write failed (here a
// 1009 close for a message over maxHttpBufferSize), not the write's
// symptom. If the reader never gets to it, the write's error closes the
// connection after WriteTimeout.
func TestWriteFailureLeavesReasonToReader(t *testing.T) {
	tests := []struct {
		name       string
		errno      syscall.Errno
		holdReader bool // the handler holds the reader past WriteTimeout
		wantReason string
		wantErr    string
	}{
		{"reset", syscall.ECONNRESET, false, ReasonTransportClose, "maxHttpBufferSize"},
		{"broken pipe", syscall.EPIPE, false, ReasonTransportClose, "maxHttpBufferSize"},
		{"reader held", syscall.ECONNRESET, true, ReasonTransportError, "connection reset"},
	}
	for _, v := range []wire.EngineVersion{wire.EngineV4, wire.EngineV3} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("EIO%d %s", v, tt.name), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					p := &peer{v: v, beats: 100, pingInterval: time.Minute, pingTimeout: time.Minute, misbehave: "too big"}
					var conn *breakableConn
					dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
						c, err := p.dial(ctx, network, addr)
						conn = &breakableConn{Conn: c}
						return conn, err
					}
					var mu sync.Mutex
					var got []disconnect
					m, err := NewManager("http://127.0.0.1:9", Options{
						EngineVersion: v, Transports: []string{TransportWebsocket}, DialContext: dial,
						DisableReconnection: true, WriteTimeout: 5 * time.Second,
						OnDisconnect: func(ns, reason string, err error) {
							mu.Lock()
							defer mu.Unlock()
							got = append(got, disconnect{ns, reason, err})
						},
					})
					if err != nil {
						t.Fatal(err)
					}
					defer m.Close()
					s := m.Socket("/")
					if err := s.Connect(t.Context()); err != nil {
						t.Fatal(err)
					}
					release := make(chan struct{})
					s.On("hold", func(Message) { <-release })
					if err := s.Emit("go"); err != nil {
						t.Fatal(err)
					}
					synctest.Wait() // the reader holds; the server's close waits
					conn.breakWrites(tt.errno)
					if err := s.Emit("more", strings.Repeat("z", 2000)); err == nil {
						t.Fatal("Emit on a reset connection succeeded")
					}
					if err := s.Emit("again"); err == nil {
						t.Fatal("a second Emit on a reset connection succeeded")
					}
					if !tt.holdReader {
						close(release)
					}
					time.Sleep(10 * time.Second) // past WriteTimeout
					if tt.holdReader {
						// The disconnect is reported after the reader's
						// last message.
						close(release)
						synctest.Wait()
					}
					mu.Lock()
					defer mu.Unlock()
					if len(got) != 1 || got[0].reason != tt.wantReason || !strings.Contains(fmt.Sprint(got[0].err), tt.wantErr) {
						var seen []string
						for _, d := range got {
							seen = append(seen, fmt.Sprintf("%s (%v)", d.reason, d.err))
						}
						t.Fatalf("disconnects %q, want one %q naming %q", seen, tt.wantReason, tt.wantErr)
					}
				})
			})
		}
	}
}
