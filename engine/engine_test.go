package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sockload/sockload/internal/refserver"
	"github.com/sockload/sockload/metrics"
	"github.com/sockload/sockload/scenario"
)

// loadScript writes a scenario file with target filled in and loads it.
func loadScript(t testing.TB, target, yml string) *scenario.Script {
	t.Helper()
	path := filepath.Join(t.TempDir(), "scenario.yml")
	if err := os.WriteFile(path, []byte(fmt.Sprintf(yml, target)), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := scenario.Load(path, scenario.Options{})
	if err != nil {
		t.Fatalf("loading the scenario: %v", err)
	}
	return s
}

// runScript runs a script to its end and returns the whole run's metrics.
func runScript(t *testing.T, ctx context.Context, s *scenario.Script) (Result, metrics.Snapshot) {
	t.Helper()
	reg := metrics.New(time.Now(), metrics.Options{Rates: Rates})
	r, err := New(Config{Script: s, Plan: PlanOf(s), Registry: reg, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return res, reg.Rotate(time.Now())
}

// expectCatalogued fails for every name snap holds that the catalogue
// does not list, or lists with another kind.
func expectCatalogued(t *testing.T, snap metrics.Snapshot, catalogue []Metric) {
	t.Helper()
	kindOf := func(name string) MetricKind {
		for _, m := range catalogue {
			if m.Matches(name) {
				return m.Kind
			}
		}
		return 0
	}
	for name := range snap.Counters {
		if kindOf(name) != Counter {
			t.Errorf("the run recorded counter %q, which the catalogue does not list as a counter", name)
		}
	}
	for name := range snap.Histograms {
		if kindOf(name) != Summary {
			t.Errorf("the run recorded histogram %q, which the catalogue does not list as a summary", name)
		}
	}
	for name := range snap.Rates() {
		if kindOf(name) != Rate {
			t.Errorf("the run reported rate %q, which the catalogue does not list as a rate", name)
		}
	}
}

func expectCounters(t *testing.T, snap metrics.Snapshot, want map[string]int64) {
	t.Helper()
	for name, n := range want {
		if got := snap.Counters[name]; got != n {
			t.Errorf("%s = %d, want %d (all counters: %v)", name, got, n, snap.Counters)
		}
	}
}

const countsScenario = `
config:
  target: "%s"
  phases:
    - duration: 1
      arrivalCount: 12
  socketio:
    transports: ["websocket"]
    serverVersion: %d
scenarios:
  - name: counts
    flow:
      - emit:
          channel: "hello"
          data: "world"
      - emit: ["ping"]
        acknowledge:
          match:
            value: "pong"
      - namespace: "/chat"
        emit:
          channel: "hello"
          data: {id: 42}
      - emit:
          channel: "echo"
          data: {id: 7}
        acknowledge:
          data: {id: 7}
`

func TestExactCountsAgainstReferenceServers(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run of over a second; go test without -short runs it")
	}
	for _, v := range refserver.Versions {
		t.Run(string(v), func(t *testing.T) {
			t.Parallel()
			srv := refserver.Start(t, v, "--namespaces", "/,/chat")
			version := 4
			if v == refserver.V2 {
				version = 2
			}
			s := loadScript(t, srv.URL, fmt.Sprintf(countsScenario, "%s", version))
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			res, snap := runScript(t, ctx, s)
			if res.Interrupted || res.Launched != 12 {
				t.Fatalf("result %+v", res)
			}
			expectCounters(t, snap, map[string]int64{
				MetricVUsersCreated:                  12,
				MetricVUsersCompleted:                12,
				MetricVUsersFailed:                   0,
				MetricEmit:                           48,
				MetricVUsersCreatedByName + "counts": 12,
			})
			if h := snap.Histograms[MetricResponseTime]; h == nil || h.TotalCount() != 24 {
				t.Errorf("response_time holds %v values, want 24 (12 pings + 12 echoes)", h)
			}
			if h := snap.Histograms[MetricResponseTime+".ping"]; h == nil || h.TotalCount() != 12 {
				t.Errorf("response_time.ping missing or wrong")
			}
			expectCatalogued(t, snap, MetricsFor(s))
			got := srv.Stats().Received
			if got["/"]["hello"] != 12 || got["/"]["ping"] != 12 || got["/chat"]["hello"] != 12 || got["/"]["echo"] != 12 {
				t.Errorf("the server received %v", got)
			}
		})
	}
}

func TestFailedMatchFailsTheVU(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run of over a second; go test without -short runs it")
	}
	srv := refserver.Start(t, refserver.V4)
	s := loadScript(t, srv.URL, `
config:
  target: "%s"
  phases:
    - duration: 1
      arrivalCount: 3
scenarios:
  - flow:
      - emit: ["ping"]
        acknowledge:
          match:
            json: "$.0"
            value: "not pong"
      - emit: ["hello"]
`)
	_, snap := runScript(t, context.Background(), s)
	expectCounters(t, snap, map[string]int64{
		MetricVUsersFailed:            3,
		MetricVUsersCompleted:         0,
		MetricErrors + "Failed match": 3,
	})
	if got := srv.Stats().Received["/"]["hello"]; got != 0 {
		t.Errorf("steps after a failure ran: %d hello received", got)
	}
}

func TestAckTimeoutEndsOnTime(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run of over a second; go test without -short runs it")
	}
	srv := refserver.Start(t, refserver.V4)
	s := loadScript(t, srv.URL, `
config:
  target: "%s"
  timeout: 0.5
  phases:
    - duration: 1
      arrivalCount: 4
scenarios:
  - flow:
      - emit: ["noack"]
        acknowledge: {}
`)
	res, snap := runScript(t, context.Background(), s)
	expectCounters(t, snap, map[string]int64{
		MetricVUsersFailed:           4,
		MetricErrors + "ack timeout": 4,
	})
	if res.Cancelled != 0 {
		t.Errorf("%d VUs were left hanging until cancelled", res.Cancelled)
	}
}

func TestWaitForServerPushedEvents(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run of over a second; go test without -short runs it")
	}
	srv := refserver.Start(t, refserver.V4, "--push-interval", "50")
	s := loadScript(t, srv.URL, `
config:
  target: "%s"
  phases:
    - duration: 1
      arrivalCount: 2
scenarios:
  - flow:
      - waitFor:
          event: "tick"
          count: 3
`)
	_, snap := runScript(t, context.Background(), s)
	expectCounters(t, snap, map[string]int64{MetricVUsersCompleted: 2, MetricVUsersFailed: 0})
	if snap.Counters[MetricMessagesReceived] < 6 {
		t.Errorf("messages received %d, want at least 6", snap.Counters[MetricMessagesReceived])
	}
}

func TestInterruptCancelsRunningVUs(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run of over a second; go test without -short runs it")
	}
	srv := refserver.Start(t, refserver.V4)
	s := loadScript(t, srv.URL, `
config:
  target: "%s"
  phases:
    - duration: 60
      arrivalRate: 5
scenarios:
  - flow:
      - think: 30
`)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(1500*time.Millisecond, cancel)
	res, snap := runScript(t, ctx, s)
	if !res.Interrupted {
		t.Fatal("the run did not notice the interrupt")
	}
	created := snap.Counters[MetricVUsersCreated]
	if created == 0 || snap.Counters[MetricVUsersCancelled] != created {
		t.Errorf("created %d, cancelled %d: every VU was thinking and should be cancelled", created, snap.Counters[MetricVUsersCancelled])
	}
}

// An interrupt while the VUs drain after the last phase still cuts the run
// short: the result says interrupted, never complete.
func TestInterruptWhileDrainingIsInterrupted(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run of over a second; go test without -short runs it")
	}
	srv := refserver.Start(t, refserver.V4)
	s := loadScript(t, srv.URL, `
config:
  target: "%s"
  phases:
    - duration: 1
      arrivalCount: 2
scenarios:
  - flow:
      - think: 30
`)
	reg := metrics.New(time.Now(), metrics.Options{Rates: Rates})
	r, err := New(Config{Script: s, Plan: PlanOf(s), Registry: reg, Seed: 1, Grace: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		// Interrupt once the phases are over and the VUs are draining.
		for st := r.Status(); !st.Finished || st.Active == 0; st = r.Status() {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
	}()
	res, err := r.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Interrupted {
		t.Error("an interrupt while draining was reported as a complete run")
	}
}

// As in Artillery, a path in the target is the namespace, and a step's
// namespace is joined to it.
func TestTargetPathIsTheNamespace(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run of over a second; go test without -short runs it")
	}
	srv := refserver.Start(t, refserver.V4, "--namespaces", "/chat,/chat/room")
	s := loadScript(t, srv.URL+"/chat", `
config:
  target: "%s"
  phases:
    - duration: 1
      arrivalCount: 2
scenarios:
  - flow:
      - emit: ["hello"]
      - namespace: "/room"
        emit: ["hello"]
`)
	_, snap := runScript(t, context.Background(), s)
	expectCounters(t, snap, map[string]int64{MetricVUsersCompleted: 2})
	got := srv.Stats().Received
	if got["/chat"]["hello"] != 2 || got["/chat/room"]["hello"] != 2 {
		t.Errorf("the server received %v", got)
	}
}

// A value captured from one ack is sent in the next emit and checked in
// its ack.
func TestCaptureFeedsTheNextStep(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run of over a second; go test without -short runs it")
	}
	srv := refserver.Start(t, refserver.V4)
	s := loadScript(t, srv.URL, `
config:
  target: "%s"
  phases:
    - duration: 1
      arrivalCount: 2
scenarios:
  - flow:
      - emit:
          channel: "echo"
          data: {id: 7, name: "x"}
        acknowledge:
          capture:
            json: "$.0.id"
            as: "myId"
      - emit:
          channel: "echo"
          data: "{{ myId }}"
        acknowledge:
          data: 7
      - emit:
          channel: "echo"
          data: "{{ myId }}"
        acknowledge:
          data: 8
`)
	_, snap := runScript(t, context.Background(), s)
	// The third step's check fails: the captured value really flowed.
	expectCounters(t, snap, map[string]int64{
		MetricVUsersFailed:                 2,
		MetricErrors + "data is not valid": 2,
		MetricEmit:                         6,
	})
}

const watchAfterAckScenario = `
config:
  target: "%s"
  phases:
    - duration: 1
      arrivalCount: 3
  socketio:
    transports: ["websocket"]
scenarios:
  - flow:
      - emit: ["ping"]
        acknowledge:
          match:
            value: "pong"
      - think: 1.5
      - emit: ["ping"]
        acknowledge:
          match:
            value: "pong"
`

// A VU's connection, read only by its ack waiters while its steps are
// acknowledged emits, is watched by the poller for a think: its heartbeats
// (every 300 ms, within 200 ms) are answered throughout.
func TestStepsAfterAnAckWatchTheConnection(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run of over a second; go test without -short runs it")
	}
	srv := refserver.Start(t, refserver.V4, "--ping-interval", "300", "--ping-timeout", "200")
	s := loadScript(t, srv.URL, watchAfterAckScenario)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, snap := runScript(t, ctx, s)
	expectCounters(t, snap, map[string]int64{
		MetricVUsersCompleted:                               3,
		MetricDisconnects + MetricSuffix("ping timeout"):    0,
		MetricDisconnects + MetricSuffix("transport close"): 0,
	})
	if d := srv.Stats().Disconnects["ping timeout"]; d != 0 {
		t.Errorf("the server dropped %d VUs for unanswered pings", d)
	}
}
