package main

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sockload/sockload/engine"
	"github.com/sockload/sockload/internal/cluster"
	"github.com/sockload/sockload/metrics"
	"github.com/sockload/sockload/report"
)

// clusterRun runs scenario (a format with %s for the target) against c
// with extra flags and returns the report and the text output.
func clusterRun(t *testing.T, c *cluster.Cluster, scenario string, cli *cliRun, flags ...string) (*report.Report, string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "cluster.yml")
	writeFile(t, path, fmt.Sprintf(scenario, c.URL))
	out := filepath.Join(dir, "report.json")
	args := append([]string{"run", "-q", "-o", out}, flags...)
	code := cli.run(t, append(args, path)...)
	if code != exitOK && code != exitChecksFail {
		t.Fatalf("exit code %d; stderr:\n%s", code, cli.errOut.String())
	}
	return readReport(t, out), cli.out.String()
}

// TestStickyClusterVUsPerBackend: behind haproxy with cookie stickiness,
// the VUs per backend that sockload names from the sticky cookie equal the
// connections each socket.io node counted.
func TestStickyClusterVUsPerBackend(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster (haproxy, redis-server, three Node nodes)")
	}
	c := cluster.Start(t, cluster.Options{Adapter: true, Sticky: true})
	rep, out := clusterRun(t, c, `
config:
  target: "%s"
  phases:
    - duration: 2
      arrivalCount: 30
  socketio:
    backend: {cookie: SLNODE}
scenarios:
  - flow:
      - emit: ["join", "room"]
        acknowledge: {}
      - think: 1
`, newCLIRun())
	var total int64
	for _, st := range c.Stats(t) {
		got := rep.Aggregate.Counters[engine.MetricBackendVUsers+st.Name]
		if got != int64(st.Connections) {
			t.Errorf("backend %s: sockload counts %d VUs, the node %d connections", st.Name, got, st.Connections)
		}
		total += got
	}
	if total != 30 {
		t.Errorf("%d VUs over the backends, want 30:\n%s", total, out)
	}
	if tr := report.TransportsOf(rep.Aggregate); tr.Upgraded != 30 {
		t.Errorf("%d of 30 connections upgraded through the sticky balancer", tr.Upgraded)
	}
}

// TestRoundRobinClusterIsNotSticky: behind haproxy without stickiness,
// long-polling requests of one session reach different nodes: the VUs fail
// with errors.Session ID unknown, the summary says the balancer is not
// sticky, and the verdict does not call the cluster overloaded.
func TestRoundRobinClusterIsNotSticky(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster (haproxy, redis-server, three Node nodes)")
	}
	c := cluster.Start(t, cluster.Options{Adapter: true})
	rep, out := clusterRun(t, c, `
config:
  target: "%s"
  phases:
    - duration: 5
      arrivalRate: 4
scenarios:
  - flow:
      - emit: ["join", "room"]
        acknowledge: {}
      - think: 0.5
`, newCLIRun(), "--allow-dead-run")
	if n := rep.Aggregate.Counters[engine.MetricErrors+engine.CodeSessionUnknown]; n == 0 {
		t.Errorf("no errors.%s (counters %v)", engine.CodeSessionUnknown, rep.Aggregate.Counters)
	}
	if !strings.Contains(out, "Make the load balancer sticky") {
		t.Errorf("the summary lacks the hint:\n%s", out)
	}
	if bp := rep.BreakingPoint; bp == nil || strings.Contains(bp.Summary, "overloaded") || bp.Verdict == report.VerdictBroken {
		t.Errorf("breaking point %+v, want no verdict of overload", bp)
	}
}

// TestClusterStrippingTheUpgrade: haproxy dropping the Upgrade header
// leaves every VU on long-polling; the summary counts them and warns.
func TestClusterStrippingTheUpgrade(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster (haproxy, redis-server, three Node nodes)")
	}
	c := cluster.Start(t, cluster.Options{Adapter: true, Sticky: true, StripUpgrade: true})
	rep, out := clusterRun(t, c, `
config:
  target: "%s"
  phases:
    - duration: 1
      arrivalCount: 10
scenarios:
  - flow:
      - emit: ["join", "room"]
        acknowledge: {}
      - think: 1
`, newCLIRun())
	tr := report.TransportsOf(rep.Aggregate)
	if tr.StayedPolling != 10 || tr.Upgraded != 0 || tr.UpgradeFailed["http_400"] != 10 {
		t.Errorf("transports %+v, want 10 stayed on polling, 10 upgrades failed with 400", tr)
	}
	if !strings.Contains(out, "does not pass the websocket upgrade") {
		t.Errorf("no warning in the summary:\n%s", out)
	}
	if rep.Aggregate.Counters[engine.MetricVUsersCompleted] != 10 {
		t.Errorf("VUs on polling did not complete: %v", rep.Aggregate.Counters)
	}
}

// TestClusterNodeKilledMidRun kills one node of a sticky cluster with
// kill -9 in the middle of a run, annotating the instant through --listen,
// and restarts it later. The VUs on it reconnect to the others (haproxy
// redispatches), their onReconnect steps re-join the chat room, and their
// waits for chat messages from the room go on: no VU fails. The report has
// the annotations, the disconnects on that backend, the reconnection
// times, the VUs moved, and after the restart the imbalance that remains.
func TestClusterNodeKilledMidRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster (haproxy, redis-server, three Node nodes)")
	}
	for _, transports := range []string{`["websocket"]`, `["polling", "websocket"]`} {
		t.Run(transports, func(t *testing.T) { killNodeMidRun(t, transports) })
	}
}

func killNodeMidRun(t *testing.T, transports string) {
	c := cluster.Start(t, cluster.Options{Adapter: true, Sticky: true, Failover: true})
	cli := newCLIRun()
	cli.listening = func(addr string) {
		go func() {
			annotate := func(text string) {
				resp, err := http.Post("http://"+addr+"/annotate", "text/plain", strings.NewReader(text))
				if err != nil || resp.StatusCode != http.StatusOK {
					t.Errorf("POST /annotate: %v %v", err, resp)
				}
			}
			for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
				if n := 0; func() bool {
					for _, st := range c.Stats(t) {
						n += st.Connections
					}
					return n >= 15
				}() {
					break
				}
			}
			time.Sleep(time.Second) // the room's chat going on: the outage's instant, not a timing assertion
			annotate("killed n3")
			c.Kill(t, 2)
			time.Sleep(3 * time.Second)
			c.Restart(t, 2)
			annotate("restarted n3")
		}()
	}
	rep, out := clusterRun(t, c, `
config:
  target: "%s"
  timeout: 8
  phases:
    - duration: 1
      arrivalCount: 15
  socketio:
    backend: {cookie: SLNODE}
    transports: `+transports+`
    reconnectionDelay: 200
    reconnectionDelayMax: 500
scenarios:
  - name: chat
    onReconnect:
      - emit: ["join", "room"]
        acknowledge: {}
    flow:
      - emit: ["join", "room"]
        acknowledge: {}
      - loop:
          - emit: ["chat", {room: "room"}]
            acknowledge: {}
          - waitFor:
              event: "chat"
          - think: 0.5
        count: 30
`, cli, "--listen", "127.0.0.1:0")
	t.Logf("summary:\n%s", out)
	counters := rep.Aggregate.Counters
	if counters[engine.MetricVUsersFailed] != 0 || counters[engine.MetricVUsersCompleted] != 15 {
		t.Errorf("completed %d, failed %d of 15 (counters %v)", counters[engine.MetricVUsersCompleted], counters[engine.MetricVUsersFailed], counters)
	}
	if len(rep.Annotations) != 2 || rep.Annotations[0].Text != "killed n3" {
		t.Fatalf("annotations %+v", rep.Annotations)
	}
	lost := counters[engine.MetricBackendDisconnects+"n3"]
	if lost == 0 {
		t.Fatalf("no disconnect counted on n3 (counters %v)", counters)
	}
	if counters[engine.MetricBackendDisconnects+"n1"]+counters[engine.MetricBackendDisconnects+"n2"] != 0 {
		t.Errorf("disconnects on the nodes that stayed up: %v", counters)
	}
	h := rep.Aggregate.Histograms[engine.MetricReconnectTime]
	if h == nil || h.TotalCount() != lost {
		t.Fatalf("socketio.reconnect_time missing or not one per disconnect (%d)", lost)
	}
	s := metrics.Summarize(h)
	t.Logf("%d VUs lost n3; reconnect_time p50 %.0f ms, p99 %.0f ms", lost, s.P50, s.P99)
	if counters[engine.MetricReconnectFlows] != lost {
		t.Errorf("onReconnect ran %d times for %d reconnections", counters[engine.MetricReconnectFlows], lost)
	}
	// Moved: every VU of n3 landed again on n1 or n2.
	if moved := counters[engine.MetricBackendVUsers+"n1"] + counters[engine.MetricBackendVUsers+"n2"] + counters[engine.MetricBackendVUsers+"n3"]; moved != 15+lost {
		t.Errorf("VUs landed %d times, want 15 + %d moved", moved, lost)
	}
	// After the restart, the moved VUs stay where they went: n3 has none
	// of the VUs still running.
	restarted := rep.Annotations[1].At
	checked := false
	for _, w := range rep.Windows {
		if w.Start.After(restarted.Add(time.Second)) && w.Active > 0 {
			checked = true
			if w.Backends["n3"] != 0 || w.Backends["n1"]+w.Backends["n2"] != w.Active {
				t.Errorf("after the restart, %d VUs running, per backend %v", w.Active, w.Backends)
			}
		}
	}
	if !checked {
		t.Errorf("no second after the restart with VUs running")
	}
	if !strings.Contains(out, "all rejoined by") || !strings.Contains(out, "killed n3") {
		t.Errorf("the summary lacks the recovery or the annotation")
	}
}
