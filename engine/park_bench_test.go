package engine

import (
	"context"
	"fmt"
	"testing"
	"time"

	sockmetrics "github.com/sockload/sockload/metrics"
)

// BenchmarkParkedVUs measures, side by side, the goroutines, goroutine
// stack bytes and live heap one idle VU and its connection keep when its think parks it
// (the default) and when it never parks (its goroutine waits in the think,
// as every VU did before parking): for each, two runs of idleScenario's
// VUs against the built-in target (in a child process), of fewVUs and
// manyVUs, the difference divided by the VUs that make it.
//
//	go test -run '^$' -bench ParkedVUs -benchtime=1x ./engine
func BenchmarkParkedVUs(b *testing.B) {
	const fewVUs, manyVUs = 200, 1200
	url := startTargetProcess(b)
	for b.Loop() {
		for _, m := range []struct {
			name      string
			parkAfter time.Duration
		}{{"parked", defaultParkAfter}, {"waiting", 0}} {
			gFew, heapFew, stackFew := idleVUs(b, url, fewVUs, m.parkAfter, "")
			gMany, heapMany, stackMany := idleVUs(b, url, manyVUs, m.parkAfter, "")
			b.ReportMetric(float64(heapMany-heapFew)/(manyVUs-fewVUs), "heap-bytes/vu-"+m.name)
			b.ReportMetric(float64(stackMany-stackFew)/(manyVUs-fewVUs), "stack-bytes/vu-"+m.name)
			b.ReportMetric(float64(gMany-gFew)/(manyVUs-fewVUs), "goroutines/vu-"+m.name)
		}
	}
}

// BenchmarkThinkParking measures the CPU a think costs the generator when
// it parks its VU (a timer, a context callback, a goroutine to resume on)
// and when the VU's goroutine waits in it, side by side: 200 VUs of no
// I/O, each thinking 50 times 2 ms.
//
//	go test -run '^$' -bench ThinkParking -benchtime=3x ./engine
func BenchmarkThinkParking(b *testing.B) {
	const vus, thinks = 200, 50
	s := ioFreeFlow(b, fmt.Sprintf(`
    flow:
      - loop:
          - think: "2ms"
        count: %d
`, thinks))
	s.Config.Phases[0].ArrivalCount = vus
	for b.Loop() {
		for _, m := range []struct {
			name      string
			parkAfter time.Duration
		}{{"parked", time.Millisecond}, {"waiting", 0}} {
			reg := sockmetrics.New(time.Now(), sockmetrics.Options{})
			r, err := New(Config{Script: s, Plan: PlanOf(s), Registry: reg, Seed: 1})
			if err != nil {
				b.Fatal(err)
			}
			r.parkAfter = m.parkAfter
			cpu := processCPU()
			if _, err := r.Run(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64((processCPU()-cpu).Nanoseconds())/(vus*thinks), "cpu-ns/think-"+m.name)
		}
	}
}
