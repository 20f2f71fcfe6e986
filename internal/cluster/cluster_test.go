package cluster

import (
	"net/http"
	"testing"
)

func TestClusterStartsAndStops(t *testing.T) {
	if testing.Short() {
		t.Skip("starts redis-server, haproxy and three Node processes; skipped in -short mode")
	}
	cases := []struct {
		opts  Options
		nodes int
	}{
		{Options{Adapter: true, Sticky: true}, 3},
		{Options{Nodes: 2}, 2},
	}
	for _, tc := range cases {
		opts := tc.opts
		c := Start(t, opts)
		if len(c.Nodes) != tc.nodes {
			t.Fatalf("%d nodes for %+v, want %d", len(c.Nodes), opts, tc.nodes)
		}
		if (c.RedisAddr != "") != opts.Adapter {
			t.Errorf("redis %q with adapter %v", c.RedisAddr, opts.Adapter)
		}
		resp, err := http.Get(c.URL + "/socket.io/?EIO=4&transport=polling")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("handshake through haproxy: %s", resp.Status)
		}
		if sticky := resp.Header.Get("Set-Cookie") != ""; sticky != opts.Sticky {
			t.Errorf("Set-Cookie %q with sticky %v", resp.Header.Get("Set-Cookie"), opts.Sticky)
		}
		for _, s := range c.Stats(t) {
			if s.Name == "" {
				t.Errorf("stats without a name: %+v", s)
			}
		}
	}
}
