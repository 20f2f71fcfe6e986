package socketio

import (
	"testing"
	"time"

	"github.com/sockload/sockload/internal/refserver"
)

// TestReconnectsAfterEachLoss ends a Manager's connection again after
// each reconnection: the one reconnection timer, reset for every attempt,
// brings it back every time, and the namespace is joined again each time.
func TestReconnectsAfterEachLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the Node reference servers")
	}
	srv := refserver.Start(t, refserver.V4)
	connected := make(chan struct{}, 1)
	reconnected := make(chan struct{}, 1)
	opts := Options{
		Transports:        []string{TransportWebsocket},
		ReconnectionDelay: 10 * time.Millisecond, ReconnectionDelayMax: 20 * time.Millisecond,
		OnConnect:   func(string) { connected <- struct{}{} },
		OnReconnect: func(int) { reconnected <- struct{}{} },
	}
	s, err := Dial(testContext(t), srv.URL, "/", opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Manager().Close()
	<-connected
	ctx := testContext(t)
	wait := func(loss int, what string, ch <-chan struct{}) {
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("loss %d: no %s", loss, what)
		}
	}
	for loss := 1; loss <= 5; loss++ {
		endTCP(t, s.Manager())
		wait(loss, "reconnection", reconnected)
		wait(loss, "join of \"/\" again", connected)
	}
	if got := srv.Stats().Connections; got != 6 {
		t.Errorf("the server saw %d connections to \"/\", want 6", got)
	}
}
