package socketio

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sockload/sockload/internal/refserver"
)

// TestAWriteThatWaitsHasItsDeadline: a write that goes at once sets no
// deadline on a connection on the poller, but one that must wait for a
// server that reads nothing fails within WriteTimeout.
func TestAWriteThatWaitsHasItsDeadline(t *testing.T) {
	srv := refserver.Start(t, refserver.V4)
	s, err := Dial(t.Context(), srv.URL, "/", Options{Transports: []string{TransportWebsocket},
		WriteTimeout: 300 * time.Millisecond, DisableReconnection: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Manager().Close()
	if err := s.Emit("echo", "at once"); err != nil {
		t.Fatal(err)
	}
	resume := srv.Pause()
	defer resume()
	payload := strings.Repeat("x", 256<<10)
	failed := make(chan error, 1)
	go func() {
		for {
			if err := s.Emit("echo", payload); err != nil {
				failed <- err
				return
			}
		}
	}()
	select {
	case err := <-failed:
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("the stalled write failed with %v, want its deadline", err)
		}
	case <-time.After(time.Minute): // a bound for a hang, not a figure
		t.Fatal("a write to a server that reads nothing never ended")
	}
}
