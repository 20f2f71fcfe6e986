package socketio

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/sockload/sockload/internal/refserver"
	"github.com/sockload/sockload/socketio/wire"
)

// TestConnectPacketAsSocketIOClient checks the CONNECT a socket sends, as
// the server reads it: "0" and the namespace with no data when there is no
// Auth, as socket.io-client sends it, and the Auth object otherwise; the
// server accepts both.
func TestConnectPacketAsSocketIOClient(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the Node reference servers")
	}
	srv := refserver.Start(t, refserver.V4, "--namespaces", "/,/chat")
	for _, tc := range []struct {
		nsp  string
		auth map[string]any
		want string
	}{
		{"/", nil, "0"},
		{"/chat", nil, "0/chat,"},
		{"/", map[string]any{"token": "x"}, `0{"token":"x"}`},
	} {
		var mu sync.Mutex
		var connects []string
		trace := func(ev TraceEvent) {
			if ev.IsPacket() && ev.Sent && ev.Type == wire.Message && len(ev.Data) > 0 && ev.Data[0] == '0' {
				mu.Lock()
				connects = append(connects, string(ev.Data))
				mu.Unlock()
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		s, err := Dial(ctx, srv.URL, tc.nsp, Options{Transports: []string{TransportWebsocket}, Auth: tc.auth, Trace: trace})
		cancel()
		if err != nil {
			t.Fatalf("%s, auth %v: %v", tc.nsp, tc.auth, err)
		}
		s.Close()
		mu.Lock()
		if len(connects) != 1 || connects[0] != tc.want {
			t.Errorf("%s, auth %v: the CONNECTs sent were %q, want [%q]", tc.nsp, tc.auth, connects, tc.want)
		}
		mu.Unlock()
	}
}
