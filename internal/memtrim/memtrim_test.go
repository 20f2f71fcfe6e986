package memtrim

import (
	"context"
	"runtime"
	"runtime/debug"
	"testing"
	"testing/synctest"
	"time"
)

// burst allocates about n bytes in 4 KiB blocks, as many small buffers as
// a burst of handshakes takes, and keeps them until it returns.
func burst(n int) int {
	blocks := make([][]byte, n/4096)
	for i := range blocks {
		blocks[i] = make([]byte, 4096)
		blocks[i][0] = byte(i)
	}
	sum := 0
	for _, b := range blocks {
		sum += int(b[0])
	}
	return sum
}

func TestTrimReturnsTheHeapABurstLeftFree(t *testing.T) {
	// With the collector off, the runtime's background scavenger has no
	// heap goal to return memory above, so what the burst left free stays
	// retained until the trim.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	const size = 64 << 20
	_ = burst(size)
	runtime.GC()
	before := ReadHeap()
	if before.Free < size/2 {
		t.Fatalf("after a %d MiB burst and a collection, %d MiB of the heap is free, want at least half of it", size>>20, before.Free>>20)
	}
	tr := New(DefaultPolicy)
	now := time.Now()
	if tr.Check(now) {
		t.Fatal("the first check trimmed: it has no allocation rate yet")
	}
	if !tr.Check(now.Add(DefaultPolicy.Check)) {
		t.Fatalf("no trim with %d MiB free and %d MiB in use", before.Free>>20, before.InUse>>20)
	}
	after := ReadHeap()
	if after.Free > before.Free/4 {
		t.Errorf("after the trim %d MiB of the heap is still free and retained (%d MiB before)", after.Free>>20, before.Free>>20)
	}
	if returned := after.Released - before.Released; returned < size/2 {
		t.Errorf("the trim returned %d MiB to the system, want at least %d", returned>>20, size>>21)
	}
}

func TestDue(t *testing.T) {
	p := Policy{MinFree: 16 << 20, Ratio: 0.5, Idle: time.Minute}
	const mb = 1 << 20
	for _, c := range []struct {
		name      string
		heap      Heap
		perSecond float64 // bytes allocated a second in the 5 s since the last check
		want      bool
	}{
		{"idle after a burst", Heap{Free: 40 * mb, InUse: 20 * mb}, 0.1 * mb, true},
		{"busy after a burst (2,000 VUs acking)", Heap{Free: 25 * mb, InUse: 22 * mb}, 1 * mb, false},
		{"little free", Heap{Free: 12 * mb, InUse: 1 * mb}, 0, false},
		{"a small heap's sawtooth", Heap{Free: 11 * mb, InUse: 19 * mb}, 0, false},
		{"a large heap in use, 100,000 idle connections", Heap{Free: 100 * mb, InUse: 400 * mb}, 0, false},
		{"free just below the ratio", Heap{Free: 49 * mb, InUse: 100 * mb}, 0, false},
		{"free at the ratio", Heap{Free: 50 * mb, InUse: 100 * mb}, 0, true},
		{"allocating just less than the free pages in a minute", Heap{Free: 60 * mb, InUse: 100 * mb}, 0.99 * mb, true},
		{"allocating the free pages in a minute", Heap{Free: 60 * mb, InUse: 100 * mb}, 1 * mb, false},
	} {
		const before = 1 << 30
		h := c.heap
		h.Allocated = before + uint64(5*c.perSecond)
		if got := p.Due(h, before, 5*time.Second); got != c.want {
			t.Errorf("%s: Due(%+v, %.0f B/s) = %v, want %v", c.name, c.heap, c.perSecond, got, c.want)
		}
	}
}

func TestTrimsAtMostOncePerGap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := &Trimmer{
			policy: Policy{Check: 2 * time.Second, MinGap: time.Minute, Idle: time.Minute},
			read:   func() Heap { return Heap{Free: 1 << 30} }, // always due
		}
		tr.trim = func() {}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute-time.Second)
		defer cancel()
		tr.Run(ctx)
		// Checks at 2 s (the rate's start), 4 s, ...: trims at 4, 64,
		// 124, 184 and 244 s.
		if got := tr.Trims(); got != 5 {
			t.Errorf("%d trims in 5 minutes of checks every 2 s, at most one a minute; want 5", got)
		}
	})
}

func TestNoTrimWhenNotDue(t *testing.T) {
	for name, heap := range map[string]func(start time.Time) Heap{
		"little free": func(time.Time) Heap { return Heap{Free: 1 << 20, InUse: 400 << 20} },
		// 25 MiB free of a 47 MiB heap, as after 2,000 VUs reconnected,
		// while they allocate 1 MiB a second.
		"a busy heap": func(start time.Time) Heap {
			return Heap{Free: 25 << 20, InUse: 22 << 20, Allocated: uint64(time.Since(start).Seconds() * (1 << 20))}
		},
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				read := func() Heap { return heap(start) }
				tr := &Trimmer{policy: DefaultPolicy, read: read}
				tr.trim = func() { t.Errorf("trimmed %+v", read()) }
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
				defer cancel()
				tr.Run(ctx)
			})
		})
	}
}

func TestStartStops(t *testing.T) {
	stop := Start(Policy{Check: time.Millisecond, MinGap: time.Hour, MinFree: 1 << 40})
	stop() // returns once the trimmer's goroutine has ended
}
