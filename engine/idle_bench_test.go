package engine

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"testing"
	"time"

	sockmetrics "github.com/sockload/sockload/metrics"
)

// idleScenario is one idle VU: it connects over websocket, emits once with
// an acknowledgement, then thinks far longer than the benchmark looks.
const idleScenario = `
config:
  target: "%s"
  timeout: 30
  phases:
    - duration: 2
      arrivalCount: %d
  socketio:
    transports: ["websocket"]
    reconnection: false
scenarios:
  - name: idle
    engine: socketio
    flow:
      - emit: ["echo", "hello"]
        acknowledge: {}
      - think: 600
`

// BenchmarkIdleVUs measures what one idle VU and its connection keep: two
// runs of idleScenario against the built-in target (in a child process, so
// that this process's heap is the generator's), of fewVUs and manyVUs VUs,
// each measured once every one of its VUs has had its ack and after the
// collector ran. The difference between the two, divided by the VUs that
// make it, is the live heap and goroutine stack bytes per VU
// (runtime/metrics), without what a run holds whatever its VUs (the
// metrics' histograms, the target's connections pool).
//
// To see what each VU holds, have it write a heap profile of the larger
// run's idle state (SOCKLOAD_IDLE_HEAP names the file) with every
// allocation sampled:
//
//	SOCKLOAD_IDLE_HEAP=/tmp/idle.heap GODEBUG=memprofilerate=1 \
//	    go test -run '^$' -bench IdleVUs -benchtime=1x ./engine
//	go tool pprof -sample_index=inuse_space -top /tmp/idle.heap
//
// (go test's own -memprofile is written after the benchmark, when the VUs
// have gone.)
func BenchmarkIdleVUs(b *testing.B) {
	const fewVUs, manyVUs = 200, 1200
	url := startTargetProcess(b)
	for b.Loop() {
		_, heapFew, stackFew := idleVUs(b, url, fewVUs, defaultParkAfter, "")
		_, heapMany, stackMany := idleVUs(b, url, manyVUs, defaultParkAfter, os.Getenv("SOCKLOAD_IDLE_HEAP"))
		b.ReportMetric(float64(heapMany-heapFew)/(manyVUs-fewVUs), "heap-bytes/vu")
		b.ReportMetric(float64(stackMany-stackFew)/(manyVUs-fewVUs), "stack-bytes/vu")
	}
}

// idleVUs runs n idle VUs against url, parking at thinks of parkAfter (0:
// never), and returns the goroutines, the live heap and the stack bytes in
// use once every VU has had its ack (and, when they park, is parked),
// having written a heap profile then to profile when it is not "".
func idleVUs(b *testing.B, url string, n int, parkAfter time.Duration, profile string) (goroutines int, heap, stack int64) {
	s := loadScript(b, url, fmt.Sprintf(idleScenario, "%s", n))
	reg := sockmetrics.New(time.Now(), sockmetrics.Options{Rates: Rates})
	r, err := New(Config{Script: s, Plan: PlanOf(s), Registry: reg, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	r.parkAfter = parkAfter
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := r.Run(ctx)
		done <- err
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			b.Error(err)
		}
	}()
	acked := int64(0)
	for deadline := time.Now().Add(time.Minute); acked < int64(n) || parkAfter > 0 && r.parked.Load() < int64(n); {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d VUs had their ack, %d parked, within a minute", acked, n, r.parked.Load())
		}
		time.Sleep(100 * time.Millisecond)
		snap := reg.Rotate(time.Now())
		if h := snap.Histograms[MetricResponseTime]; h != nil {
			acked += h.TotalCount()
		}
		if failed := snap.Counters[MetricVUsersFailed]; failed > 0 {
			b.Fatalf("%d VUs failed", failed)
		}
	}
	time.Sleep(500 * time.Millisecond) // the last acks' leftovers become garbage, their goroutines end
	if active := r.Status().Active; active != int64(n) {
		b.Fatalf("%d VUs running, want %d", active, n)
	}
	heap, stack = liveBytes()
	if profile != "" {
		writeHeapProfile(b, profile)
	}
	return runtime.NumGoroutine(), heap, stack
}

// liveBytes is the heap held by live objects and the goroutine stacks in
// use, after collecting garbage (each collection may halve a stack that
// uses under a quarter of it, so several are made).
func liveBytes() (heap, stack int64) {
	for range 4 {
		runtime.GC()
	}
	samples := []metrics.Sample{
		{Name: "/gc/heap/live:bytes"},
		{Name: "/memory/classes/heap/stacks:bytes"},
	}
	metrics.Read(samples)
	return int64(samples[0].Value.Uint64()), int64(samples[1].Value.Uint64())
}

// writeHeapProfile writes a heap profile to path.
func writeHeapProfile(b *testing.B, path string) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		b.Fatal(err)
	}
}
