package socketio

import (
	"errors"
	"fmt"
	"sync/atomic"
)

// ReadBudget bounds the memory that reads of large messages hold at once,
// across every Manager that shares it: a hostile or broken server can make
// each client read up to MaxReadBytes, and thousands of clients would
// otherwise hold thousands of times that. Each message past the first
// 64 KiB (what every client may hold regardless) draws on the budget as it
// grows and returns it when handled; a read that would overdraw it fails
// with ErrReadBudget (closing that connection, ReasonTransportError)
// rather than growing the process. Safe for concurrent use.
type ReadBudget struct {
	limit int64
	used  atomic.Int64
}

// ErrReadBudget matches the error of a read refused by a ReadBudget.
var ErrReadBudget = errors.New("socketio: the run's memory budget for reads is spent")

// NewReadBudget returns a budget of limit bytes (at least 1 MiB).
func NewReadBudget(limit int64) *ReadBudget {
	return &ReadBudget{limit: max(limit, 1<<20)}
}

// Limit is the budget's size in bytes.
func (b *ReadBudget) Limit() int64 { return b.limit }

// InUse is what reads hold of the budget now.
func (b *ReadBudget) InUse() int64 { return b.used.Load() }

// take draws n bytes, or fails without drawing any.
func (b *ReadBudget) take(n int64) error {
	if b == nil || n <= 0 {
		return nil
	}
	if b.used.Add(n) > b.limit {
		b.used.Add(-n)
		return fmt.Errorf("%w (%d MB in use by large messages; raise --memory-budget, or lower how much the server sends at once)", ErrReadBudget, b.limit>>20)
	}
	return nil
}

func (b *ReadBudget) give(n int64) {
	if b != nil && n > 0 {
		b.used.Add(-n)
	}
}
