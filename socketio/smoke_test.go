package socketio

import (
	"context"
	"testing"
	"time"

	"github.com/sockload/sockload/internal/refserver"
	"github.com/sockload/sockload/socketio/wire"
)

func TestSmoke(t *testing.T) {
	for _, v := range refserver.Versions {
		for _, tr := range [][]string{{"websocket"}, {"polling"}, nil} {
			srv := refserver.Start(t, v, "--namespaces", "/,/chat")
			ev := wire.EngineV4
			if v == refserver.V2 {
				ev = wire.EngineV3
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			s, err := Dial(ctx, srv.URL, "/", Options{EngineVersion: ev, Transports: tr})
			if err != nil {
				t.Fatal(v, tr, err)
			}
			ack, err := s.EmitWithAck(ctx, "echo", "hi", 1, []byte{1, 2})
			if err != nil {
				t.Fatal(v, tr, err)
			}
			args, err := ack.Args()
			t.Log(v, tr, args, err, s.Manager().Transport(), ack.ReceivedAt.Sub(ack.SentAt))
			time.Sleep(300 * time.Millisecond)
			t.Log(s.Manager().Transport())
			s.Close()
		}
	}
}
