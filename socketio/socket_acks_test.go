package socketio

import "testing"

// TestPendingAcksKeepsEachWaiter: acks pending at once, in the field and
// in the map, are each taken once by their id, and all of them failed by
// a disconnect.
func TestPendingAcksKeepsEachWaiter(t *testing.T) {
	var a pendingAcks
	ws := make([]*ackWaiter, 4)
	for i := range ws {
		ws[i] = &ackWaiter{ch: make(chan ackResult, 1)}
		a.add(int64(i), ws[i])
	}
	if a.len() != 4 {
		t.Fatalf("%d pending, want 4", a.len())
	}
	if a.take(0) != ws[0] || a.take(2) != ws[2] || a.take(2) != nil || a.take(9) != nil {
		t.Fatal("take returned the wrong waiter")
	}
	a.add(5, ws[0]) // back in the field
	if a.len() != 3 {
		t.Fatalf("%d pending, want 3", a.len())
	}
	a.fail(errClosedIdle)
	for _, i := range []int{0, 1, 3} {
		if r := <-ws[i].ch; r.err != errClosedIdle {
			t.Errorf("waiter %d got %v", i, r.err)
		}
	}
	if a.take(1) != ws[1] || a.take(3) != ws[3] || a.take(5) != ws[0] || a.len() != 0 || a.more != nil {
		t.Error("the acks left after taking each are not empty")
	}
}
