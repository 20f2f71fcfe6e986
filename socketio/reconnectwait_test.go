package socketio

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sockload/sockload/internal/refserver"
)

// TestEmitWaitsForTheReconnection stops a Node server under connected
// clients, emits while they reconnect, and starts it again: with
// ReconnectWait the emits are sent once the connection is back (the server
// receives them), as socket.io-client's buffered emits are; without it they
// fail at once; and a wait that runs out fails with ErrNotConnected.
func TestEmitWaitsForTheReconnection(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the Node reference servers")
	}
	for _, v := range refserver.Versions {
		for _, tc := range transportCases {
			t.Run(string(v)+"/"+tc.name, func(t *testing.T) {
				srv := refserver.Start(t, v)
				open := func(wait time.Duration) *Socket {
					o := Options{EngineVersion: engineVersionOf(v), Transports: tc.transports,
						ReconnectionDelay: 50 * time.Millisecond, ReconnectionDelayMax: 100 * time.Millisecond,
						ReconnectWait: wait}
					s, err := Dial(testContext(t), srv.URL, "/", o)
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { s.Manager().Close() })
					return s
				}
				waiting, failFast, shortWait := open(time.Minute), open(0), open(time.Millisecond)
				srv.Stop()
				for _, s := range []*Socket{waiting, failFast, shortWait} {
					eventually(t, "the disconnect", s.Reconnecting)
				}
				if err := failFast.Emit("hello", "fail-fast"); !errors.Is(err, ErrNotConnected) {
					t.Errorf("fail-fast emit while reconnecting: %v, want ErrNotConnected", err)
				}
				if err := shortWait.Emit("hello", "short"); !errors.Is(err, ErrNotConnected) {
					t.Errorf("emit whose wait ran out: %v, want ErrNotConnected", err)
				}
				emitted := make(chan error, 1)
				acked := make(chan error, 1)
				go func() { emitted <- waiting.Emit("hello", "buffered") }()
				go func() {
					ack, err := waiting.EmitWithAck(context.Background(), "echo", "buffered")
					if err == nil {
						if args, aerr := ack.Args(); aerr != nil || len(args) != 1 || args[0] != "buffered" {
							err = errors.New("wrong ack")
						}
					}
					acked <- err
				}()
				select {
				case err := <-emitted:
					t.Fatalf("the emit returned (%v) while the server was down", err)
				case err := <-acked:
					t.Fatalf("the acknowledged emit returned (%v) while the server was down", err)
				default:
				}
				srv.Restart()
				ctx := testContext(t)
				for what, ch := range map[string]chan error{"emit": emitted, "acknowledged emit": acked} {
					select {
					case err := <-ch:
						if err != nil {
							t.Errorf("%s after the reconnection: %v", what, err)
						}
					case <-ctx.Done():
						t.Fatalf("%s: still waiting after the server came back", what)
					}
				}
				eventually(t, "the buffered emit at the server", func() bool {
					st := srv.Stats()
					return st.Received["/"]["hello"] == 1 && st.Received["/"]["echo"] == 1
				})
			})
		}
	}
}
