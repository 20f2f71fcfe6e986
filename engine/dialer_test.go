package engine

import (
	"context"
	"net"
	"testing"

	"github.com/sockload/sockload/scenario"
)

// Connections through a RotatingDialer come from each source address in
// turn.
func TestRotatingDialerRotates(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	seen := make(chan string, 6)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			host, _, _ := net.SplitHostPort(c.RemoteAddr().String())
			seen <- host
			c.Close()
		}
	}()
	addrs, _ := scenario.ParseSourceAddrs("127.0.0.2-127.0.0.4")
	d := NewRotatingDialer(addrs)
	for range 6 {
		c, err := d.DialContext(context.Background(), "tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
	want := []string{"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.2", "127.0.0.3", "127.0.0.4"}
	for i, w := range want {
		if got := <-seen; got != w {
			t.Errorf("connection %d from %s, want %s", i, got, w)
		}
	}
}
