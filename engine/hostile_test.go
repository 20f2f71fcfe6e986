package engine

import (
	"context"
	"testing"

	"github.com/sockload/sockload/internal/hostile"
)

// Emits a server received but never acknowledged are emits: an overloaded
// target must not look like a generator that stopped sending.
func TestEmitsWithoutAckAreCounted(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run of over a second; go test without -short runs it")
	}
	srv, err := hostile.Start(hostile.Config{Mode: hostile.NoAcks})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	s := loadScript(t, srv.URL(), `
config:
  target: "%s"
  timeout: 1
  phases:
    - duration: 1
      arrivalCount: 3
  socketio:
    transports: ["websocket"]
scenarios:
  - flow:
      - emit: ["ping"]
        acknowledge: {}
`)
	_, snap := runScript(t, context.Background(), s)
	if got, sent := snap.Counters[MetricEmit], srv.Received(); got != 3 || sent != 3 {
		t.Errorf("socketio.emit = %d with %d events received by the server, want 3 and 3", got, sent)
	}
	expectCounters(t, snap, map[string]int64{MetricVUsersFailed: 3})
}
