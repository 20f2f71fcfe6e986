package target

import (
	"context"
	"testing"
)

// With ReusePort, several servers share one port, as several `sockload
// serve --reuse-port` processes do; without it, the second is refused.
func TestReusePortSharesTheAddress(t *testing.T) {
	first, err := Start(context.Background(), Config{Addr: "127.0.0.1:0", ReusePort: true})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	second, err := Start(context.Background(), Config{Addr: first.Addr(), ReusePort: true})
	if err != nil {
		t.Fatalf("a second server with ReusePort on %s: %v", first.Addr(), err)
	}
	defer second.Close()
	if _, err := Start(context.Background(), Config{Addr: first.Addr()}); err == nil {
		t.Fatal("a server without ReusePort took a port already in use")
	}
}
