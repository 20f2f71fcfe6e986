package engine

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sockload/sockload/internal/refserver"
	"github.com/sockload/sockload/metrics"
	"github.com/sockload/sockload/socketio"
	"github.com/sockload/sockload/socketio/wire"
)

// reconnectScenario: ten VUs join a room, then wait for thirty "news"
// broadcasts to it, pinging the server between them. %[2]s is the
// scenario's extra socketio options, %[3]s its onReconnect steps.
const reconnectScenario = `
config:
  target: "%[1]s"
  timeout: 8
  phases:
    - duration: 1
      arrivalCount: 10
  socketio:
    serverVersion: %[4]d
    reconnectionDelay: 100
    reconnectionDelayMax: 300
%[2]s
scenarios:
  - name: news
%[3]s
    flow:
      - emit: ["join", "room"]
        acknowledge: {}
      - loop:
%[5]s
          - emit: ["ping"]
            acknowledge:
              data: "pong"
        count: 30
`

// waitForNews is the loop's wait in reconnectScenario; thinking instead
// makes the VUs emit during the outage.
const (
	waitForNews = `          - waitFor:
              event: "news"`
	thinkALittle = `          - think: 0.1`
)

const rejoinSteps = `    onReconnect:
      - emit: ["join", "room"]
        acknowledge: {}`

// TestVUsRideOutAServerRestart stops a Node server in the middle of a run
// and starts it again, as a node of a deployment dies and comes back, while
// a client of the test broadcasts "news" to the VUs' room every 50 ms.
// With reconnection as configured by default, no VU fails: the emits wait
// for the reconnection and each reconnection is timed; with the
// onReconnect steps re-joining the room (which the new server does not
// know), deliveries resume and every VU completes; without them, the VUs
// wait for news in vain. With emitWhileReconnecting: fail, emits during the
// outage fail their VUs at once.
func TestVUsRideOutAServerRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("restarts a Node reference server during a run")
	}
	for _, tc := range []struct {
		name        string
		v           refserver.Version
		options     string
		onReconnect string
		wait        string
		check       func(t *testing.T, snap metrics.Snapshot)
	}{
		{"rejoin/v4", refserver.V4, "", rejoinSteps, waitForNews, expectRecovered},
		{"rejoin/v2", refserver.V2, "", rejoinSteps, waitForNews, expectRecovered},
		{"rejoin/v4/websocket", refserver.V4, `    transports: ["websocket"]`, rejoinSteps, waitForNews, expectRecovered},
		{"emitting/v4", refserver.V4, "", rejoinSteps, thinkALittle, expectRecovered},
		{"emitting/v2/polling", refserver.V2, `    transports: ["polling"]`, rejoinSteps, thinkALittle, expectRecovered},
		{"no-rejoin", refserver.V4, "", "", waitForNews, func(t *testing.T, snap metrics.Snapshot) {
			expectCounters(t, snap, map[string]int64{MetricVUsersFailed: 10, MetricErrors + "waitFor timeout": 10})
		}},
		{"fail-fast", refserver.V4, `    emitWhileReconnecting: fail
    transports: ["websocket"]`, rejoinSteps, thinkALittle, func(t *testing.T, snap metrics.Snapshot) {
			if snap.Counters[MetricErrors+"not connected"] == 0 {
				t.Errorf("no emit failed while reconnecting (counters %v)", snap.Counters)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := refserver.Start(t, tc.v)
			version := 4
			if tc.v == refserver.V2 {
				version = 2
			}
			s := loadScript(t, srv.URL, fmt.Sprintf(reconnectScenario, "%s", tc.options, tc.onReconnect, version, tc.wait))
			reg := metrics.New(time.Now(), metrics.Options{Rates: Rates})
			r, err := New(Config{Script: s, Plan: PlanOf(s), Registry: reg, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			ev := wire.EngineV4
			if tc.v == refserver.V2 {
				ev = wire.EngineV3
			}
			news, err := socketio.Dial(ctx, srv.URL, "/", socketio.Options{EngineVersion: ev,
				Transports: []string{socketio.TransportWebsocket}, ReconnectWait: 10 * time.Second,
				ReconnectionDelay: 50 * time.Millisecond, ReconnectionDelayMax: 100 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			defer news.Manager().Close()
			var sent atomic.Int64
			stopNews := make(chan struct{})
			go func() {
				tick := time.NewTicker(50 * time.Millisecond)
				defer tick.Stop()
				for {
					select {
					case <-stopNews:
						return
					case <-tick.C:
						// An emit crossing the server's end fails (its
						// write meets the closed connection); the next
						// ones wait for the reconnection. Stopping at
						// the first failure left the VUs without news.
						_ = news.Emit("broadcast", "room", "news", sent.Add(1))
					}
				}
			}()
			defer close(stopNews)
			done := make(chan Result, 1)
			go func() {
				res, _ := r.Run(ctx)
				done <- res
			}()
			for st := srv.Stats(); st.Received["/"]["join"] < 10 || st.Received["/"]["ping"] < 30; st = srv.Stats() {
				time.Sleep(20 * time.Millisecond) // polling the server's counters, not timing
			}
			srv.Stop()
			eventually(t, "the broadcaster notices", news.Reconnecting)
			// Down long enough for every VU's next ping (every 0.1 s) to
			// find its connection lost.
			time.Sleep(300 * time.Millisecond)
			srv.Restart()
			res := <-done
			snap := reg.Rotate(time.Now())
			if res.Interrupted || res.Launched != 10 {
				t.Fatalf("result %+v", res)
			}
			tc.check(t, snap)
		})
	}
}

func expectRecovered(t *testing.T, snap metrics.Snapshot) {
	t.Helper()
	expectCounters(t, snap, map[string]int64{MetricVUsersCompleted: 10, MetricVUsersFailed: 0, MetricReconnects: 10})
	if snap.Counters[MetricReconnectFlows] != 10 {
		t.Errorf("onReconnect ran %d times, want 10", snap.Counters[MetricReconnectFlows])
	}
	if h := snap.Histograms[MetricReconnectTime]; h == nil || h.TotalCount() != 10 {
		t.Errorf("socketio.reconnect_time missing or not one value per VU")
	}
	var disconnects int64
	for name, n := range snap.Counters {
		if len(name) > len(MetricDisconnects) && name[:len(MetricDisconnects)] == MetricDisconnects {
			disconnects += n
		}
	}
	if disconnects != 10 {
		t.Errorf("%d disconnects counted, want 10 (%v)", disconnects, snap.Counters)
	}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 20s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
