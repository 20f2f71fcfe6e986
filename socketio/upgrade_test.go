package socketio

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/sockload/sockload/internal/refserver"
	"github.com/sockload/sockload/socketio/wire"
)

// TestWritesDuringTheUpgradeWaitForTheWebsocket emits without pause while a
// polling-first connection upgrades, against the Node servers, and checks
// that once the probe is answered no packet is posted over polling: those
// writes wait for the switch and go over the websocket, as
// engine.io-client holds its writes while upgrading, so the server does not
// answer them on polls it would otherwise serve. The emits need no answer,
// so the poll the upgrade waits for ends only by the server's forced polling
// cycle (100 ms): without the wait, dozens of POSTs fall in that window.
func TestWritesDuringTheUpgradeWaitForTheWebsocket(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the Node reference servers")
	}
	for _, tc := range []struct {
		v      refserver.Version
		engine wire.EngineVersion
	}{
		{refserver.V4, wire.EngineV4},
		{refserver.V2, wire.EngineV3},
	} {
		t.Run(string(tc.v), func(t *testing.T) {
			srv := refserver.Start(t, tc.v)
			var mu sync.Mutex
			probed, postedAfter, upgraded := false, 0, false // probed: the answer came
			trace := func(ev TraceEvent) {
				mu.Lock()
				defer mu.Unlock()
				switch {
				case !ev.IsPacket():
				case !ev.Sent && ev.Transport == TransportWebsocket && ev.Type == wire.Pong && string(ev.Data) == "probe":
					probed = true
				case ev.Sent && ev.Transport == TransportPolling && probed:
					postedAfter++
				}
			}
			done := make(chan struct{})
			m, err := NewManager(srv.URL, Options{EngineVersion: tc.engine, Trace: trace,
				OnUpgrade: func(err *UpgradeError) {
					if err != nil {
						t.Errorf("upgrade: %v", err)
					}
					mu.Lock()
					upgraded = true
					mu.Unlock()
					close(done)
				}})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			s := m.Socket("/")
			if err := s.Connect(ctx); err != nil {
				t.Fatal(err)
			}
			emitted := 0
			for {
				select {
				case <-done:
				case <-ctx.Done():
					t.Fatal("no upgrade within 10 s")
				default:
					if err := s.Emit("hello", emitted); err != nil {
						t.Fatal(err)
					}
					emitted++
					time.Sleep(time.Millisecond)
					continue
				}
				break
			}
			if _, err := s.EmitWithAck(ctx, "ping"); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if !probed || !upgraded {
				t.Fatalf("probe answered %v, upgraded %v", probed, upgraded)
			}
			// One write may have passed the wait just before the answer.
			if postedAfter > 1 {
				t.Errorf("%d packets posted over polling after the probe was answered (%d emits in all), want at most 1", postedAfter, emitted)
			}
		})
	}
}
