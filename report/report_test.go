package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sockload/sockload/metrics"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// fixedSnapshot is a small run's metrics with known values.
func fixedSnapshot(t *testing.T) metrics.Snapshot {
	t.Helper()
	start := time.Date(2026, 11, 27, 15, 40, 0, 0, time.UTC)
	reg := metrics.New(start, metrics.Options{Rates: map[string]string{"socketio.emit_rate": "socketio.emit"}})
	reg.Counter("vusers.created").Add(10)
	reg.Counter("vusers.completed").Add(9)
	reg.Counter("vusers.failed").Add(1)
	reg.Counter("errors.ack timeout").Add(1)
	reg.Counter("socketio.emit").Add(40)
	reg.Counter("engine.cpu_us").Add(2_000_000)
	rec := reg.Recorder(1)
	rt := reg.Histogram("socketio.response_time")
	for i := 1; i <= 100; i++ {
		rec.Record(rt, time.Duration(i)*time.Millisecond)
	}
	lag := reg.Histogram("engine.arrival_lag")
	rec.Record(lag, 2*time.Millisecond)
	return reg.Rotate(start.Add(10 * time.Second))
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (go test ./report -update rewrites it):\n%s", name, got)
	}
}

func TestIntervalText(t *testing.T) {
	var b bytes.Buffer
	WriteInterval(&b, fixedSnapshot(t))
	golden(t, "interval.golden", b.String())
}

func TestSummaryText(t *testing.T) {
	snap := fixedSnapshot(t)
	r := &Report{
		Run:       RunInfo{Start: snap.Start, End: snap.End, Launched: 10, Cancelled: 2, Skipped: 3},
		Aggregate: snap,
		Generator: Assess(snap, 2),
	}
	var b bytes.Buffer
	WriteSummary(&b, r)
	golden(t, "summary.golden", b.String())
}

func TestAssessGenerator(t *testing.T) {
	snap := fixedSnapshot(t) // 2 s of CPU over 10 s
	if g := Assess(snap, 2); g.Saturated || g.CPU != 0.1 {
		t.Errorf("2 s of CPU in 10 s on 2 cores: %+v", g)
	}
	if g := Assess(snap, 1); g.Saturated {
		t.Errorf("20%% of one core is not saturated: %+v", g)
	}
	snap.Counters["engine.cpu_us"] = 19_000_000
	if g := Assess(snap, 2); !g.Saturated || !strings.Contains(g.Warning(), "95% of 2 cores") {
		t.Errorf("95%% CPU: %+v %q", g, g.Warning())
	}
	snap.Counters["engine.cpu_us"] = 0
	lag := metrics.NewHistogram()
	lag.RecordValue(250_000)
	snap.Histograms["engine.arrival_lag"] = lag
	if g := Assess(snap, 2); !g.Saturated || !strings.Contains(g.Reason, "250 ms late") {
		t.Errorf("250 ms arrival lag: %+v", g)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	snap := fixedSnapshot(t)
	enc, err := json.Marshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	r := &Report{SchemaVersion: SchemaVersion, Aggregate: snap, Intermediate: []json.RawMessage{enc}}
	path := filepath.Join(t.TempDir(), "r.json")
	if err := r.WriteJSON(path); err != nil {
		t.Fatal(err)
	}
	back, err := ReadJSON(path)
	if err != nil {
		t.Fatal(err)
	}
	intervals, err := back.Intervals()
	if err != nil || len(intervals) != 1 {
		t.Fatalf("intervals %v, %v", intervals, err)
	}
	for _, s := range []metrics.Snapshot{back.Aggregate, intervals[0]} {
		h := s.Histograms["socketio.response_time"]
		if h == nil || !h.Equals(snap.Histograms["socketio.response_time"]) {
			t.Errorf("the histogram did not survive the report exactly")
		}
		if s.Counters["socketio.emit"] != 40 {
			t.Errorf("counters %v", s.Counters)
		}
	}
}

func TestReadJSONRefusesOtherFiles(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"not-json.json":  "hello",
		"no-schema.json": `{"aggregate": {}}`,
		"future.json":    `{"schemaVersion": 99}`,
	} {
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte(content), 0o644)
		if _, err := ReadJSON(path); err == nil {
			t.Errorf("%s was read as a report", name)
		}
	}
}

func TestCheckWritable(t *testing.T) {
	dir := t.TempDir()
	if err := CheckWritable(filepath.Join(dir, "report.json")); err != nil {
		t.Errorf("a new file in a temp dir: %v", err)
	}
	if err := CheckWritable(filepath.Join(dir, "missing", "report.json")); err == nil || !strings.Contains(err.Error(), "create the directory") {
		t.Errorf("missing directory: %v", err)
	}
	if err := CheckWritable(dir); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("a directory: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("the check left files behind: %v", entries)
	}
}

func TestWriteFileAtomicKeepsTheOldFileOnFailure(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.json")
	os.WriteFile(path, []byte("old"), 0o644)
	err := WriteFileAtomic(path, func(w io.Writer) error {
		w.Write([]byte("half"))
		return errors.New("disk full")
	})
	if err == nil {
		t.Fatal("the failure was not reported")
	}
	if data, _ := os.ReadFile(path); string(data) != "old" {
		t.Errorf("the old file became %q", data)
	}
}

func TestErrorHintsSayWhatToDo(t *testing.T) {
	snap := metrics.Snapshot{Counters: map[string]int64{"errors.EADDRNOTAVAIL": 12, "errors.Failed match": 3}}
	var b bytes.Buffer
	WriteErrorHints(&b, snap)
	out := b.String()
	if !strings.Contains(out, "EADDRNOTAVAIL (12)") || !strings.Contains(out, "--source-addrs") {
		t.Errorf("no hint for running out of ports:\n%s", out)
	}
	if strings.Contains(out, "Failed match") {
		t.Errorf("a hint for an error without one:\n%s", out)
	}
}
