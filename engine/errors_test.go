package engine

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sockload/sockload/internal/refserver"
	"github.com/sockload/sockload/metrics"
	"github.com/sockload/sockload/target"
)

// runForSamples runs a script and returns its metrics and error samples.
func runForSamples(t *testing.T, yml, target string) (metrics.Snapshot, []metrics.ErrorSample, string) {
	t.Helper()
	s := loadScript(t, target, yml)
	reg := metrics.New(time.Now(), metrics.Options{Rates: Rates})
	r, err := New(Config{Script: s, Plan: PlanOf(s), Registry: reg, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := r.Run(ctx); err != nil {
		t.Fatal(err)
	}
	return reg.Rotate(time.Now()), reg.ErrorSamples(), s.Path
}

func TestFailedMatchSampleNamesStepExpectedAndReceived(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the Node reference servers")
	}
	if testing.Short() {
		t.Skip("a real run of over a second; go test without -short runs it")
	}
	srv := refserver.Start(t, refserver.V4)
	snap, samples, path := runForSamples(t, `
config:
  target: "%s"
  phases:
    - duration: 1
      arrivalCount: 2
  socketio:
    transports: ["websocket"]
scenarios:
  - flow:
      - emit: ["ping"]
        acknowledge:
          match:
            json: "$.0"
            value: "pang"
`, srv.URL)
	if n := snap.Counters["errors.Failed match"]; n != 2 {
		t.Fatalf("errors.Failed match = %d, want 2 (%v)", n, snap.Counters)
	}
	if len(samples) != 1 {
		t.Fatalf("%d samples, want 1 (the two VUs failed alike): %+v", len(samples), samples)
	}
	s := samples[0]
	want := metrics.ErrorSample{Code: "Failed match", Step: path + ":13", Expected: `$.0 = "pang"`, Received: `$.0 = "pong"`}
	if s.Code != want.Code || s.Step != want.Step || s.Expected != want.Expected || s.Received != want.Received {
		t.Errorf("sample %+v, want %+v", s, want)
	}
	if s.VU == 0 || s.At.IsZero() || !strings.Contains(s.Message, `"pong"`) {
		t.Errorf("sample %+v lacks its VU, time or message", s)
	}
}

// TestRefusalsNamingTheSessionKeepErrorCountersBounded: a server that names the session in its refusal must not make a counter
// per VU: the code is connect_error, the messages go in the samples.
func TestRefusalsNamingTheSessionKeepErrorCountersBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the Node reference servers")
	}
	if testing.Short() {
		t.Skip("a real run of over a second; go test without -short runs it")
	}
	srv := refserver.Start(t, refserver.V4, "--refuse-with-id")
	snap, samples, _ := runForSamples(t, `
config:
  target: "%s"
  phases:
    - duration: 1
      arrivalCount: 30
  socketio:
    transports: ["websocket"]
scenarios:
  - flow:
      - emit: ["ping"]
`, srv.URL)
	var codes []string
	for name := range snap.Counters {
		if strings.HasPrefix(name, metrics.ErrorPrefix) {
			codes = append(codes, name)
		}
	}
	if len(codes) != 1 || snap.Counters["errors."+CodeConnectError] != 30 {
		t.Fatalf("error counters %v, want only errors.%s = 30 (%v)", codes, CodeConnectError, snap.Counters)
	}
	if len(samples) != metrics.SamplesPerCode {
		t.Fatalf("%d samples, want %d", len(samples), metrics.SamplesPerCode)
	}
	for _, s := range samples {
		if !strings.Contains(s.Message, "refused") || !strings.Contains(s.Message, `"sid"`) {
			t.Errorf("sample %q lacks the server's message or its data", s.Message)
		}
	}
}

func TestErrorAcksAreRecognised(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want bool
	}{
		{`[{"error":"overloaded"}]`, true},
		{` [ { "error" : "busy" } ]`, true},
		{`[{"error":null,"data":1}]`, false},
		{`["pong"]`, false},
		{`[{"ok":true,"error":"x"}]`, false},
		{`[]`, false},
		{`["error"]`, false},
		{``, false},
	} {
		if got := isErrorAck([]byte(tc.raw)); got != tc.want {
			t.Errorf("isErrorAck(%s) = %v, want %v", tc.raw, got, tc.want)
		}
	}
}

// TestErrorAcksOfASheddingTargetAreCountedApart: the built-in target,
// at 20 events/s with no queue, sheds most of 60 pings sent at once with
// {"error":"overloaded"}; those are socketio.error_acks, and only the
// served pings are response times.
func TestErrorAcksOfASheddingTargetAreCountedApart(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run of a second")
	}
	srv, err := target.Start(context.Background(), target.Config{Addr: "127.0.0.1:0", Capacity: 20, Burst: 1, QueueLimit: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	snap, _, _ := runForSamples(t, `
config:
  target: "%s"
  phases:
    - duration: 1
      arrivalCount: 60
  socketio:
    transports: ["websocket"]
scenarios:
  - flow:
      - emit: ["ping"]
        acknowledge: {}
`, srv.URL())
	errorAcks := snap.Counters[MetricErrorAcks]
	timed := snap.Histograms[MetricResponseTime].TotalCount()
	if errorAcks == 0 || timed == 0 {
		t.Fatalf("%d error acks and %d timed responses, want both (counters %v)", errorAcks, timed, snap.Counters)
	}
	if errorAcks+timed != 60 {
		t.Errorf("%d error acks + %d timed responses, want the 60 pings", errorAcks, timed)
	}
}
