package engine

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sockload/sockload/metrics"
	"github.com/sockload/sockload/target"
)

// benchTargetEnv makes the test binary serve the built-in target instead of
// running tests, so that a benchmark's process holds the generator alone
// and its CPU time is the generator's.
const benchTargetEnv = "SOCKLOAD_BENCH_TARGET"

func TestMain(m *testing.M) {
	if os.Getenv(benchTargetEnv) != "" {
		srv, err := target.Start(context.Background(), target.Config{Addr: "127.0.0.1:0"})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println("listening", srv.URL())
		select {} // until the benchmark kills it
	}
	os.Exit(m.Run())
}

// startTargetProcess runs the built-in target in a child process.
func startTargetProcess(b *testing.B) string {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), benchTargetEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if url, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
			return url
		}
	}
	b.Fatal("the target process did not start")
	return ""
}

// BenchmarkBroadcastReceive measures the generator's CPU time per received
// message on one run shape: 20 VUs in a room of the built-in target (run in
// a child process, so that this process's CPU is the generator's), each
// sending 50 chat messages that the 19 others receive (19,000 receipts a
// run). traced puts {{ $trace }} in the payload and follows each message's
// reach; untraced sends a text of the same length; unused receives trace
// tokens in a run that traces nothing (a token written by hand), to show
// that tracing costs nothing where it is not used. Each iteration runs the
// three shapes in turn, in a rotating order, so that a busy machine weighs
// on all three alike; the ratios compare them side by side.
func BenchmarkBroadcastReceive(b *testing.B) {
	url := startTargetProcess(b)
	const members, messages = 20, 50
	token := string(appendTrace(nil, traceToken{run: 1, id: 2, sent: 3}))
	shapes := []struct{ name, payload, to string }{
		{"traced", `"{{ $trace }}"`, "\n            to: \"r\""},
		{"untraced", `"` + strings.Repeat("x", traceLen) + `"`, ""},
		{"unused", `"` + token + `"`, ""},
	}
	cpu := make([]time.Duration, len(shapes))
	received := make([]int64, len(shapes))
	iter := 0
	for b.Loop() {
		for k := range shapes {
			j := (iter + k) % len(shapes)
			sh := shapes[j]
			s := loadScript(b, url, fmt.Sprintf(`
config:
  target: "%%s"
  timeout: 2
  phases:
    - duration: 1
      arrivalCount: %d
  socketio: {transports: ["websocket"]}
scenarios:
  - engine: socketio
    flow:
      - emit: ["join", "r"]
        acknowledge: true
        joinGroup: "r"
      - think: 1.5
      - loop:
          - emit: ["chat", {room: "r", trace: %s}]%s
          - think: "20ms"
        count: %d
      - think: 2.5
`, members, sh.payload, sh.to, messages))
			reg := metrics.New(time.Now(), metrics.Options{Rates: Rates})
			r, err := New(Config{Script: s, Plan: PlanOf(s), Registry: reg, Seed: 1})
			if err != nil {
				b.Fatal(err)
			}
			before := processCPU()
			if _, err := r.Run(context.Background()); err != nil {
				b.Fatal(err)
			}
			cpu[j] += processCPU() - before
			snap := reg.Rotate(time.Now())
			got := snap.Counters[MetricEvents+"chat"]
			if want := int64(members * (members - 1) * messages); got != want {
				b.Fatalf("%s: received %d chat messages, want %d", sh.name, got, want)
			}
			if sh.to != "" && snap.Counters[MetricDelivered] != got {
				b.Fatalf("traced: %d delivered of %d received", snap.Counters[MetricDelivered], got)
			}
			received[j] += got
		}
		iter++
	}
	perMsg := make([]float64, len(shapes))
	for j, sh := range shapes {
		perMsg[j] = float64(cpu[j].Nanoseconds()) / float64(received[j])
		b.ReportMetric(perMsg[j], sh.name+"-cpu-ns/msg")
	}
	b.ReportMetric(perMsg[0]/perMsg[1], "traced/untraced")
	b.ReportMetric(perMsg[2]/perMsg[1], "unused/untraced")
}

// BenchmarkTraceReceipt is the work tracing adds to one received message:
// finding the token in a chat payload, following its delivery, recording
// its delivery time; "scan" is the search alone on a payload without one.
func BenchmarkTraceReceipt(b *testing.B) {
	reg := metrics.New(time.Now(), metrics.Options{})
	tr := newTraces(reg, 7, time.Minute)
	g := newGroups()
	for vu := uint64(1); vu <= 100; vu++ {
		g.join("r", vu)
	}
	tok := tr.newToken(time.Now())
	tr.follow(tok, newEventMetrics(reg, ".chat"), g.snapshot("r", 0))
	traced := []byte(`["chat",{"room":"r","text":"hello from VU 5f0c8e43-8a8a-4b7e-9a57-2a4c3a1f7f10","trace":"` + string(appendTrace(nil, tok)) + `"}]`)
	plain := []byte(`["chat",{"room":"r","text":"hello from VU 5f0c8e43-8a8a-4b7e-9a57-2a4c3a1f7f10","trace":"` + strings.Repeat("x", traceLen) + `"}]`)
	rec := reg.Recorder(1)
	b.Run("traced", func(b *testing.B) {
		for b.Loop() {
			t, ok := findTrace(traced)
			if !ok {
				b.Fatal("no trace")
			}
			tr.deliver(t.id, 50)
			rec.Record(tr.total.delivery, time.Millisecond)
		}
	})
	b.Run("scan", func(b *testing.B) {
		for b.Loop() {
			if _, ok := findTrace(plain); ok {
				b.Fatal("a trace in a plain payload")
			}
		}
	})
}
