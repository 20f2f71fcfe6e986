package engine

import (
	"context"
	"testing"
	"time"

	"github.com/sockload/sockload/metrics"

	"github.com/sockload/sockload/target"
)

// startTarget starts the built-in target on a free loopback port.
func startTarget(t *testing.T) *target.Server {
	t.Helper()
	srv, err := target.Start(context.Background(), target.Config{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func TestWaitsSkipEventsThatDoNotMatch(t *testing.T) {
	srv := startTarget(t)
	cases := []struct {
		name      string
		step      string
		completed int64
		timeouts  int64
		unmatched int64
	}{
		{"waitFor finds the fourth", `
      - waitFor:
          event: "n"
          match: {json: "$.0", value: 3}`, 1, 0, 3},
		{"waitFor with none matching times out", `
      - waitFor:
          event: "n"
          timeout: "300ms"
          match: {json: "$.0", value: 99}`, 0, 1, 5},
		{"waitFor data filters too", `
      - waitFor:
          event: "n"
          count: 2
          timeout: "300ms"
          data: 4`, 0, 1, 4},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := loadScript(t, srv.URL(), `
config:
  target: "%s"
  phases:
    - duration: "100ms"
      arrivalCount: 1
  socketio: {transports: ["websocket"]}
scenarios:
  - engine: socketio
    flow:
      - emit: ["push", "n", 5]
        acknowledge: {data: 5}`+c.step+`
`)
			_, snap := runScript(t, context.Background(), s)
			expectCounters(t, snap, map[string]int64{
				MetricVUsersCompleted:            c.completed,
				MetricErrors + "waitFor timeout": c.timeouts,
				MetricUnmatched + "n":            c.unmatched,
				MetricEvents + "n":               5,
			})
			if h := snap.Histograms[MetricWaitTime+"n"]; (h != nil) != (c.completed == 1) {
				t.Errorf("wait_time.n is %v, want values only when the wait succeeded", h)
			}
		})
	}
}

func TestResponseSkipsEventsThatDoNotMatch(t *testing.T) {
	srv := startTarget(t)
	s := loadScript(t, srv.URL(), `
config:
  target: "%s"
  phases:
    - duration: "100ms"
      arrivalCount: 1
  socketio: {transports: ["websocket"]}
scenarios:
  - engine: socketio
    flow:
      - emit: ["push", "n", 5]
        response:
          channel: "n"
          match: {json: "$.0", value: 2}
`)
	_, snap := runScript(t, context.Background(), s)
	expectCounters(t, snap, map[string]int64{MetricVUsersCompleted: 1, MetricUnmatched + "n": 2})
}

func TestTracedChatReachesEveryMember(t *testing.T) {
	if testing.Short() {
		t.Skip("a 4-second run; skipped in -short mode")
	}
	srv := startTarget(t)
	cases := []struct {
		name, emit, extra, event string
		perMessage               int64
	}{
		{"socket.to(room): the others", `["chat", {room: "r", trace: "{{ $trace }}"}]`, "", "chat", 9},
		{"io.to(room): everyone", `["broadcast", "r", "chat", {room: "r", trace: "{{ $trace }}"}]`, "\n        includeSender: true", "broadcast", 10},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := loadScript(t, srv.URL(), `
config:
  target: "%s"
  timeout: 2
  phases:
    - duration: 1
      arrivalCount: 10
  socketio: {transports: ["websocket"]}
scenarios:
  - engine: socketio
    flow:
      - emit: ["join", "r"]
        acknowledge: true
        joinGroup: "r"
      - think: 2
      - emit: `+c.emit+`
        to: "r"`+c.extra+`
      - think: 2
`)
			_, snap := runScript(t, context.Background(), s)
			n := 10 * c.perMessage
			expectCounters(t, snap, map[string]int64{
				MetricVUsersCompleted: 10,
				// Reach is named by the emit's event, delivery time
				// by the event received.
				MetricExpected + "." + c.event:   n,
				MetricDelivered + "." + c.event:  n,
				MetricMissing + "." + c.event:    0,
				MetricDuplicates + "." + c.event: 0,
				MetricExpected:                   n,
				MetricDelivered:                  n,
				MetricLate:                       0,
				MetricTracesUnfollowed:           0,
			})
			if h := snap.Histograms[MetricDeliveryTime+".chat"]; h == nil || h.TotalCount() != n {
				t.Errorf("delivery_time.chat holds %v values, want %d", h, n)
			}
		})
	}
}

func TestListenersHearEventsWhileTheVUThinks(t *testing.T) {
	srv := startTarget(t)
	s := loadScript(t, srv.URL(), `
config:
  target: "%s"
  phases:
    - duration: "100ms"
      arrivalCount: 1
  socketio: {transports: ["websocket"]}
scenarios:
  - engine: socketio
    listen:
      - event: "n"
        match: {json: "$.0", value: 3}
        capture: {json: "$.0", as: "heard"}
      - "n"
    flow:
      - emit: ["push", "n", 5]
        acknowledge: true
      - think: "300ms"
      - log: "heard {{ heard }}"
`)
	reg := metrics.New(time.Now(), metrics.Options{Rates: Rates})
	var logged []string
	r, err := New(Config{Script: s, Plan: PlanOf(s), Registry: reg, Seed: 1, Log: func(m string) { logged = append(logged, m) }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	snap := reg.Rotate(time.Now())
	// The matching listener hears one event, the plain one all five.
	expectCounters(t, snap, map[string]int64{MetricVUsersCompleted: 1, MetricListened + "n": 6, MetricEvents + "n": 5})
	if len(logged) != 1 || logged[0] != "heard 3" {
		t.Errorf("logged %q, want the capture of the listener", logged)
	}
}

// TestADisconnectedMemberIsNoLongerExpected has every member send one
// traced message and be disconnected by the server at once: the messages
// of those sent later cannot reach it, and are not missing, since it left.
func TestADisconnectedMemberIsNoLongerExpected(t *testing.T) {
	if testing.Short() {
		t.Skip("a 3-second run; skipped in -short mode")
	}
	srv := startTarget(t)
	s := loadScript(t, srv.URL(), `
config:
  target: "%s"
  timeout: 1
  phases:
    - duration: "100ms"
      arrivalCount: 5
  socketio: {transports: ["websocket"], reconnection: false}
scenarios:
  - engine: socketio
    flow:
      - emit: ["join", "r"]
        acknowledge: true
        joinGroup: "r"
      - think: 1
      - emit: ["chat", {room: "r", trace: "{{ $trace }}"}]
        to: "r"
      - emit: ["disconnect-me"]
      - think: 2
`)
	_, snap := runScript(t, context.Background(), s)
	delivered, expected := snap.Counters[MetricDelivered], snap.Counters[MetricExpected]
	if snap.Counters[MetricMissing] != 0 || delivered != expected || delivered >= 20 {
		t.Errorf("delivered %d of %d expected, missing %d: want the disconnected not expected, and some deliveries missed by them",
			delivered, expected, snap.Counters[MetricMissing])
	}
	if snap.Counters[MetricVUsersCompleted] != 5 {
		t.Errorf("counters %v", snap.Counters)
	}
}
