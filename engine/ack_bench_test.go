package engine

import (
	"context"
	"fmt"
	"runtime/metrics"
	"testing"
	"time"

	sockmetrics "github.com/sockload/sockload/metrics"
)

// ackLoopScenario is bench/naive-compare.sh's ack shape: each VU connects
// over websocket, then emits with an acknowledgement and thinks, in a
// loop.
const ackLoopScenario = `
config:
  target: "%%s"
  timeout: 30
  phases:
    - duration: 1
      arrivalCount: %d
  socketio:
    transports: ["websocket"]
    reconnection: false
scenarios:
  - engine: socketio
    flow:
      - loop:
          - emit: ["ping"]
            acknowledge: {data: "pong"}
          - think: "%s"
        count: %d
`

// BenchmarkAckStep measures what one acknowledged emit and the think after
// it cost the generator, the step path of an ack loop: the CPU time, heap
// allocations and bytes per ack of ackVUs VUs looping over an emit with
// an ack and a short think against the built-in target (in a child
// process, so that this process's CPU is the generator's). Each iteration
// runs the loop of manyAcks and that of one ack, and the difference,
// divided by the acks that make it, leaves out the VUs' connects and
// ends, as bench/naive-compare.sh subtracts its startup run.
//
//	go test -run '^$' -bench AckStep -benchtime=5x ./engine
func BenchmarkAckStep(b *testing.B) {
	const ackVUs, manyAcks, think = 100, 50, "5ms"
	url := startTargetProcess(b)
	var cpu time.Duration
	var allocs, bytes, acks int64
	for b.Loop() {
		cpuMany, allocsMany, bytesMany := ackLoop(b, url, ackVUs, manyAcks, think, defaultParkAfter)
		cpuOne, allocsOne, bytesOne := ackLoop(b, url, ackVUs, 1, think, defaultParkAfter)
		cpu += cpuMany - cpuOne
		allocs += allocsMany - allocsOne
		bytes += bytesMany - bytesOne
		acks += ackVUs * (manyAcks - 1)
	}
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(acks), "cpu-ns/ack")
	b.ReportMetric(float64(allocs)/float64(acks), "allocs/ack")
	b.ReportMetric(float64(bytes)/float64(acks), "B/ack")
}

// ackLoop runs n VUs of ackLoopScenario, acks each, thinks that park
// from parkAfter on (0: none), and returns the process's CPU time, heap
// allocations and heap bytes allocated over the run.
func ackLoop(b testing.TB, url string, n, acks int, think string, parkAfter time.Duration) (cpu time.Duration, allocs, bytes int64) {
	s := loadScript(b, url, fmt.Sprintf(ackLoopScenario, n, think, acks))
	reg := sockmetrics.New(time.Now(), sockmetrics.Options{Rates: Rates})
	r, err := New(Config{Script: s, Plan: PlanOf(s), Registry: reg, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	r.parkAfter = parkAfter
	samples := []metrics.Sample{{Name: "/gc/heap/allocs:objects"}, {Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(samples)
	allocs, bytes = -int64(samples[0].Value.Uint64()), -int64(samples[1].Value.Uint64())
	before := processCPU()
	if _, err := r.Run(context.Background()); err != nil {
		b.Fatal(err)
	}
	cpu = processCPU() - before
	metrics.Read(samples)
	allocs, bytes = allocs+int64(samples[0].Value.Uint64()), bytes+int64(samples[1].Value.Uint64())
	snap := reg.Rotate(time.Now())
	if got, want := snap.Histograms[MetricResponseTime].TotalCount(), int64(n*acks); got != want {
		b.Fatalf("%d acks timed, want %d (failed VUs: %d)", got, want, snap.Counters[MetricVUsersFailed])
	}
	return cpu, allocs, bytes
}
