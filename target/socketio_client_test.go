package target

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sockload/sockload/socketio"
	"github.com/sockload/sockload/socketio/wire"
)

// TestSocketIOClient runs the project's own client against the target, for
// both protocol generations and every transport choice, upgrade included.
func TestSocketIOClient(t *testing.T) {
	transports := [][]string{{"websocket"}, {"polling"}, nil}
	for _, v := range versions {
		for _, tr := range transports {
			name := fmt.Sprintf("EIO%d/%s", v, strings.Join(tr, "+"))
			if tr == nil {
				name = fmt.Sprintf("EIO%d/polling-then-websocket", v)
			}
			t.Run(name, func(t *testing.T) {
				srv := startServer(t, Config{EngineVersion: v, PushInterval: 20 * time.Millisecond})
				ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
				defer cancel()
				opts := socketio.Options{EngineVersion: v, Transports: tr, DisableReconnection: true}
				if v == wire.EngineV4 {
					opts.Auth = map[string]any{"token": "t1"}
				}
				s, err := socketio.Dial(ctx, srv.URL(), "/chat", opts)
				if err != nil {
					t.Fatalf("dial: %v", err)
				}
				defer s.Close()

				ack, err := s.EmitWithAck(ctx, "echo", "hi", 1, []byte{1, 2})
				if err != nil {
					t.Fatal(err)
				}
				if args, err := ack.Args(); err != nil || !reflect.DeepEqual(args, []any{"hi", 1.0, []byte{1, 2}}) {
					t.Fatalf("echo ack %v (%v)", args, err)
				}
				if _, err := s.WaitFor(ctx, "tick", 2); err != nil {
					t.Fatalf("waiting for pushed ticks: %v", err)
				}
				if tr == nil {
					waitFor(t, "the upgrade to websocket", func() bool { return s.Manager().Transport() == "websocket" })
				}
				ack, err = s.EmitWithAck(ctx, "ping")
				if args, _ := ack.Args(); err != nil || !reflect.DeepEqual(args, []any{"pong"}) {
					t.Fatalf("ping ack %v (%v)", args, err)
				}
				st := srv.Stats()
				if st.Received["/chat"]["echo"] != 1 || st.Received["/chat"]["ping"] != 1 {
					t.Fatalf("stats %+v", st)
				}
			})
		}
	}
}
