package socketio

import (
	"net/http"
	"testing"
	"time"
)

// BenchmarkManagerOfPrepared compares, side by side in one run, what making
// one VU's Manager costs when the server URL and options are parsed and
// checked for each (NewManager) and when they were prepared once
// (Prepared.NewManager), with the per-connection fields a load test's VU
// gives its own: a jar and callbacks.
func BenchmarkManagerOfPrepared(b *testing.B) {
	const target = "http://user:secret@127.0.0.1:3000/"
	opts := Options{Transports: []string{TransportWebsocket}, ReconnectWait: time.Second}
	conn := func() Options {
		o := opts
		o.Jar = NewJar()
		o.OnOpen = func(string, http.Header) {}
		o.OnDisconnect = func(string, string, error) {}
		return o
	}
	p, err := Prepare(target, opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("NewManager", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := NewManager(target, conn()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Prepared", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p.NewManager(conn())
		}
	})
}
