//go:build unix

package memtrim

import (
	"runtime"
	"runtime/debug"
	"syscall"
	"testing"
	"time"
)

// idleHeap builds a heap shaped like n idle connections of the generator's
// (3,439 heap bytes each in BenchmarkIdleVUs): per connection a few small
// objects that point at each other and two buffers.
func idleHeap(n int) [][]any {
	type conn struct {
		next  *conn
		state map[string]int
		buf   []byte
		out   []byte
		names []string
	}
	conns := make([][]any, n)
	var prev *conn
	for i := range conns {
		c := &conn{next: prev, state: map[string]int{"sid": i}, buf: make([]byte, 1024), out: make([]byte, 1536), names: []string{"a", "b"}}
		conns[i] = []any{c, make([]byte, 256), &[64]*conn{prev}}
		prev = c
	}
	return conns
}

// BenchmarkCheckAtIdleConnections measures what the trimmer costs with a
// heap like 100,000 idle connections' (about 350 MB live):
//
//   - check: a check that does not trim, what the trimmer does every
//     Policy.Check at such a heap, which neither peaks nor falls;
//   - churn and churn+trim, side by side: 64 MB of short-lived garbage (a
//     minute of heartbeats at 100,000 connections is about that much) and
//     then either nothing or a trim (a forced collection, the return of
//     every free page, and the page faults of the heap growing back in the
//     next round). Their difference is what one trim costs; over MinGap,
//     it is the most CPU the policy can take (%cpu-at-most, of all cores).
//
// Times are CPU of the whole process (all threads):
//
//	go test -run '^$' -bench CheckAtIdle -benchtime=5x -count=3 ./internal/memtrim
func BenchmarkCheckAtIdleConnections(b *testing.B) {
	heap := idleHeap(100_000)
	runtime.GC()
	b.Run("check", func(b *testing.B) {
		tr := New(DefaultPolicy)
		now := time.Now()
		start := processCPU(b)
		for b.Loop() {
			now = now.Add(DefaultPolicy.Check)
			if tr.Check(now) {
				b.Fatalf("trimmed an idle heap: %+v", ReadHeap())
			}
		}
		b.ReportMetric(float64(processCPU(b)-start)/float64(b.N), "cpu-ns/op")
		b.ReportMetric(float64(ReadHeap().InUse>>20), "MiB-in-use")
	})
	var churnOnly float64
	for _, trim := range []bool{false, true} {
		name := "churn"
		if trim {
			name = "churn+trim"
		}
		b.Run(name, func(b *testing.B) {
			start := processCPU(b)
			for b.Loop() {
				_ = burst(64 << 20)
				if trim {
					debug.FreeOSMemory()
				}
			}
			perOp := float64(processCPU(b)-start) / float64(b.N)
			b.ReportMetric(perOp, "cpu-ns/op")
			if !trim {
				churnOnly = perOp
				return
			}
			perTrim := max(perOp-churnOnly, 0)
			b.ReportMetric(perTrim, "cpu-ns/trim")
			b.ReportMetric(100*perTrim/float64(DefaultPolicy.MinGap)/float64(runtime.NumCPU()), "%cpu-at-most")
		})
	}
	runtime.KeepAlive(heap)
}

// processCPU is the CPU time the process has used so far (user and
// system, all threads), in nanoseconds.
func processCPU(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
