package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sockload/sockload/engine"
	"github.com/sockload/sockload/target"
)

// buildSockload builds the command into a temporary directory.
func buildSockload(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sockload")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// Three shards run as separate processes, started together with
// --start-at, then merged: the merged run is exactly the plan, and every
// payload row went out exactly once.
func TestThreeShardsMergeIntoThePlan(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run of over a second; go test without -short runs it")
	}
	t.Parallel()
	bin := buildSockload(t)
	srv, err := target.Start(context.Background(), target.Config{Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	dir := t.TempDir()
	const arrivals = 17 // 2 s at 5/s, then 7 in 2 s
	var rows strings.Builder
	for i := range arrivals {
		fmt.Fprintf(&rows, "%d\n", i)
	}
	writeFile(t, filepath.Join(dir, "rows.csv"), rows.String())
	scenarioPath := filepath.Join(dir, "shards.yml")
	writeFile(t, scenarioPath, `
config:
  target: "`+srv.URL()+`"
  phases:
    - duration: 2
      arrivalRate: 5
    - duration: 2
      arrivalCount: 7
  payload:
    path: "rows.csv"
    fields: ["row"]
    order: sequence
  socketio:
    transports: ["websocket"]
  ensure:
    thresholds:
      - "vusers.created": `+strconv.Itoa(arrivals+1)+`
scenarios:
  - engine: socketio
    flow:
      - emit: ["row-{{ row }}"]
      - emit: ["ping"]
        acknowledge:
          match: {value: "pong"}
`)
	startAt := time.Now().Add(3 * time.Second).UTC().Format(time.RFC3339Nano)
	var shards []*exec.Cmd
	for i := 1; i <= 3; i++ {
		cmd := exec.Command(bin, "run", "-q", "--shard", fmt.Sprintf("%d/3", i), "--start-at", startAt,
			"-o", filepath.Join(dir, fmt.Sprintf("shard-%d.json", i)), scenarioPath)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		shards = append(shards, cmd)
	}
	for i, cmd := range shards {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("shard %d/3: %v", i+1, err)
		}
	}

	merged := filepath.Join(dir, "run.json")
	c := newCLIRun()
	if code := c.run(t, "merge", filepath.Join(dir, "shard-*.json"), "-o", merged); code != exitOK {
		t.Fatalf("merge: exit %d\n%s", code, c.errOut.String())
	}
	rep := readReport(t, merged)
	counters := rep.Aggregate.Counters
	if counters[engine.MetricVUsersCreated] != arrivals || counters[engine.MetricVUsersCompleted] != arrivals || counters[engine.MetricEmit] != 2*arrivals {
		t.Errorf("merged counters %v, want %d VUs and %d emits", counters, arrivals, 2*arrivals)
	}
	if h := rep.Aggregate.Histograms[engine.MetricResponseTime]; h == nil || h.TotalCount() != arrivals {
		t.Errorf("the merged response time histogram does not hold the %d pings", arrivals)
	}
	var planned float64
	for _, p := range rep.Plan {
		planned += p.ExpectedArrival
	}
	if planned != arrivals {
		t.Errorf("the merged plan expects %.0f arrivals, want %d", planned, arrivals)
	}
	// The checks are evaluated on the merged run: every shard passes
	// vusers.created < 17, the whole run of 17 does not.
	if !strings.Contains(c.out.String(), fmt.Sprintf("ok: vusers.created < %d (%d)", arrivals+1, arrivals)) {
		t.Errorf("the merged run's checks:\n%s", c.out.String())
	}
	strict := filepath.Join(dir, "strict.yml")
	body, _ := os.ReadFile(scenarioPath)
	writeFile(t, strict, strings.Replace(string(body), fmt.Sprintf(`"vusers.created": %d`, arrivals+1), fmt.Sprintf(`"vusers.created": %d`, arrivals), 1))
	c = newCLIRun()
	if code := c.run(t, "merge", "--scenario", strict, filepath.Join(dir, "shard-*.json")); code != exitChecksFail {
		t.Errorf("a check the merged run fails: exit %d, want %d\n%s", code, exitChecksFail, c.out.String())
	}

	received := srv.Stats().Received["/"]
	for i := range arrivals {
		if n := received[fmt.Sprintf("row-%d", i)]; n != 1 {
			t.Errorf("payload row %d was sent %d times, want once", i, n)
		}
	}
}

func TestShardFlag(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == completionIndexEnv {
				return v
			}
			return ""
		}
	}
	for _, tc := range []struct {
		spec, index string
		i, n        int
		wantErr     string
	}{
		{spec: "2/3", i: 2, n: 3},
		{spec: "auto/3", index: "0", i: 1, n: 3},
		{spec: "auto/3", index: "2", i: 3, n: 3},
		{spec: "auto/3", index: "3", wantErr: "--shard"},
		{spec: "auto/3", wantErr: "JOB_COMPLETION_INDEX is not set"},
		{spec: "0/3", wantErr: "write i/n"},
		{spec: "three", wantErr: "write i/n"},
	} {
		i, n, err := parseShardFlag(tc.spec, env(tc.index))
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s (index %q): %v, want an error saying %q", tc.spec, tc.index, err, tc.wantErr)
			}
			continue
		}
		if err != nil || i != tc.i || n != tc.n {
			t.Errorf("%s (index %q): %d/%d %v", tc.spec, tc.index, i, n, err)
		}
	}
}

func TestCapacityWarnings(t *testing.T) {
	w := capacityWarnings(30000, 20000, 28232, 1)
	if len(w) != 2 || !strings.Contains(w[0], "only 20000 files") || !strings.Contains(w[1], "only 28232 local ports") {
		t.Errorf("30,000 connections with 20,000 files and one source address: %q", w)
	}
	if w := capacityWarnings(30000, 40000, 28232, 2); len(w) != 0 {
		t.Errorf("two source addresses fit 30,000 connections: %q", w)
	}
}

func TestShardsOfOneRunShareTheirRunID(t *testing.T) {
	a := runID("1/3", "2030-01-01T00:00:00Z", "http://t")
	cases := []struct {
		shard, start, target string
		same                 bool
	}{
		{"2/3", "2030-01-01T00:00:00Z", "http://t", true},
		{"1/3", "2030-01-01T00:01:00Z", "http://t", false},
		{"1/2", "2030-01-01T00:00:00Z", "http://t", false},
	}
	for _, c := range cases {
		if got := runID(c.shard, c.start, c.target); (got == a) != c.same || got == 0 {
			t.Errorf("runID(%s, %s) = %x, shard 1/3's %x, same %v", c.shard, c.start, got, a, c.same)
		}
	}
	if runID("", "", "http://t") != 0 || runID("1/3", "", "http://t") != 0 {
		t.Error("an unsharded run, or one without --start-at, should get a random run id (0)")
	}
}
