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
// message on one run shape: 20 VUs in a room of the built-in target, each
// sending 50 chat messages that the 19 others receive (19,000 receipts a
// run). traced puts {{ $trace }} in the payload and follows each message's
// reach; untraced sends a text of the same length; tokens-unused receives
// trace tokens in a run that traces nothing (a token written by hand), to
// show that tracing costs nothing where it is not used.
func BenchmarkBroadcastReceive(b *testing.B) {
	url := startTargetProcess(b)
	const members, messages = 20, 50
	token := string(appendTrace(nil, traceToken{run: 1, id: 2, sent: 3}))
	for _, tc := range []struct{ name, payload, to string }{
		{"traced", `"{{ $trace }}"`, "\n            to: \"r\""},
		{"untraced", `"` + strings.Repeat("x", traceLen) + `"`, ""},
		{"tokens-unused", `"` + token + `"`, ""},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var cpu time.Duration
			var received int64
			for b.Loop() {
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
`, members, tc.payload, tc.to, messages))
				reg := metrics.New(time.Now(), metrics.Options{Rates: Rates})
				r, err := New(Config{Script: s, Plan: PlanOf(s), Registry: reg, Seed: 1})
				if err != nil {
					b.Fatal(err)
				}
				before := processCPU()
				if _, err := r.Run(context.Background()); err != nil {
					b.Fatal(err)
				}
				cpu += processCPU() - before
				received += reg.Rotate(time.Now()).Counters[MetricEvents+"chat"]
			}
			if want := int64(b.N) * members * (members - 1) * messages; received != want {
				b.Fatalf("received %d chat messages, want %d", received, want)
			}
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(received), "cpu-ns/msg")
		})
	}
}
