package engine

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sockload/sockload/internal/refserver"
)

// roundRobin is a load balancer that is not sticky: each request (a poll,
// a POST, a websocket handshake) goes to the next backend in turn, as
// HAProxy's balance roundrobin without a cookie does.
func roundRobin(t *testing.T, backends ...*refserver.Server) *httptest.Server {
	t.Helper()
	var proxies []*httputil.ReverseProxy
	for _, b := range backends {
		u, err := url.Parse(b.URL)
		if err != nil {
			t.Fatal(err)
		}
		proxies = append(proxies, httputil.NewSingleHostReverseProxy(u))
	}
	var next atomic.Uint64
	lb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxies[next.Add(1)%uint64(len(proxies))].ServeHTTP(w, r)
	}))
	t.Cleanup(lb.Close)
	return lb
}

// TestNonStickyBalancerIsNamed runs polling VUs through a round-robin
// balancer over two Node servers: the servers refuse the requests that
// reach the one that does not hold the session with 400 "Session ID
// unknown", and the VUs fail with that code rather than "not connected" or
// "connect error".
func TestNonStickyBalancerIsNamed(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two Node reference servers")
	}
	a, b := refserver.Start(t, refserver.V4), refserver.Start(t, refserver.V4)
	lb := roundRobin(t, a, b)
	s := loadScript(t, lb.URL, `
config:
  target: "%s"
  phases:
    - duration: 1
      arrivalCount: 6
  socketio:
    transports: ["polling"]
    reconnection: false
scenarios:
  - flow:
      - loop:
          - emit: ["ping"]
            acknowledge: {}
        count: 3
`)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, snap := runScript(t, ctx, s)
	expectCounters(t, snap, map[string]int64{
		MetricVUsersFailed:                6,
		MetricErrors + CodeSessionUnknown: 6,
		MetricErrors + CodeNotConnected:   0,
		MetricErrors + CodeConnect:        0,
	})
}

// stripUpgrade is a proxy that does not pass the websocket upgrade: it
// drops the Upgrade and Connection headers, so the server sees a plain GET
// for transport=websocket.
func stripUpgrade(t *testing.T, backend *refserver.Server) *httptest.Server {
	t.Helper()
	u, err := url.Parse(backend.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	lb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Del("Upgrade")
		r.Header.Del("Connection")
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(lb.Close)
	return lb
}

const transportsScenario = `
config:
  target: "%s"
  phases:
    - duration: 1
      arrivalCount: 5
scenarios:
  - flow:
      - loop:
          - emit: ["ping"]
            acknowledge: {}
          - think: 0.2
        count: 3
`

// TestTransportsAreCounted runs default (polling, then upgrade) VUs
// directly against a Node server, where every connection upgrades, and
// through a proxy that strips the Upgrade header, where every upgrade
// fails with the server's 400 and the VUs stay on polling.
func TestTransportsAreCounted(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Node reference server")
	}
	srv := refserver.Start(t, refserver.V4)
	for _, tc := range []struct {
		name   string
		target string
		want   map[string]int64
	}{
		{"direct", srv.URL, map[string]int64{
			MetricSessions + "polling": 5, MetricUpgrades: 5, MetricUpgradeFailed + "http_400": 0, MetricVUsersCompleted: 5,
		}},
		{"upgrade stripped", stripUpgrade(t, srv).URL, map[string]int64{
			MetricSessions + "polling": 5, MetricUpgrades: 0, MetricUpgradeFailed + "http_400": 5, MetricVUsersCompleted: 5,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, snap := runScript(t, ctx, loadScript(t, tc.target, transportsScenario))
			expectCounters(t, snap, tc.want)
			// By the transport in use when the namespace connected: polling,
			// or websocket when the upgrade was quicker.
			var timed int64
			for _, tr := range []string{"polling", "websocket"} {
				if h := snap.Histograms[MetricConnectTimeOf+tr]; h != nil {
					timed += h.TotalCount()
				}
			}
			if timed != 5 {
				t.Errorf("socketio.connect_time.<transport> holds %d connects, want 5", timed)
			}
		})
	}
}
