package engine

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

// TestStepContextBoundsEachStepLikeWithTimeout checks that a reused step
// context ends each armed step as context.WithTimeout(parent, timeout)
// would: at its time with DeadlineExceeded, at the parent's end with its
// error, and never early because of an earlier step's timer.
func TestStepContextBoundsEachStepLikeWithTimeout(t *testing.T) {
	const timeout = time.Second
	tests := []struct {
		name string
		// run arms and disarms c, cancels parent at will, and returns how
		// long after its arming the step ended, and its error.
		run     func(c *stepContext, cancel context.CancelFunc) (time.Duration, error)
		want    error
		wantAft time.Duration
	}{
		{"time up", func(c *stepContext, _ context.CancelFunc) (time.Duration, error) {
			return waitStep(c, timeout)
		}, context.DeadlineExceeded, timeout},
		{"parent ends during the step", func(c *stepContext, cancel context.CancelFunc) (time.Duration, error) {
			time.AfterFunc(300*time.Millisecond, cancel)
			return waitStep(c, timeout)
		}, context.Canceled, 300 * time.Millisecond},
		{"parent ended before the step", func(c *stepContext, cancel context.CancelFunc) (time.Duration, error) {
			cancel()
			synctest.Wait()
			return waitStep(c, timeout)
		}, context.Canceled, 0},
		{"an earlier step's late timer does not end the next", func(c *stepContext, _ context.CancelFunc) (time.Duration, error) {
			// The call of a timer that fired as its step was disarmed
			// may come once the next step is armed.
			c.arm(timeout)
			time.Sleep(timeout - time.Millisecond)
			c.disarm()
			time.AfterFunc(time.Millisecond, c.timeUp)
			return waitStep(c, timeout)
		}, context.DeadlineExceeded, timeout},
		{"a step after one whose time was up", func(c *stepContext, _ context.CancelFunc) (time.Duration, error) {
			if _, err := waitStep(c, timeout); !errors.Is(err, context.DeadlineExceeded) {
				return 0, err
			}
			c.disarm()
			c.arm(timeout)
			if c.Err() != nil {
				return 0, errors.New("a new step starts ended")
			}
			c.disarm()
			return waitStep(c, 2*timeout)
		}, context.DeadlineExceeded, 2 * timeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				parent, cancel := context.WithCancel(t.Context())
				defer cancel()
				c := newStepContext(parent)
				defer c.release()
				after, err := tt.run(c, cancel)
				if !errors.Is(err, tt.want) || after != tt.wantAft {
					t.Errorf("the step ended with %v after %v, want %v after %v", err, after, tt.want, tt.wantAft)
				}
			})
		})
	}
}

// waitStep arms c for d and waits for its end.
func waitStep(c *stepContext, d time.Duration) (time.Duration, error) {
	start := time.Now()
	c.arm(d)
	if dl, ok := c.Deadline(); !ok || !dl.Equal(start.Add(d)) {
		return 0, errors.New("wrong deadline")
	}
	<-c.Done()
	return time.Since(start), c.Err()
}

// TestStepContextDisarmedStepIsNotEnded checks that a step disarmed in
// time is not ended by its timer or the parent's end afterwards, and that
// a stepContext released unregisters from its parent.
func TestStepContextDisarmedStepIsNotEnded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		parent, cancel := context.WithCancel(t.Context())
		c := newStepContext(parent)
		c.arm(time.Second)
		time.Sleep(500 * time.Millisecond)
		c.disarm()
		time.Sleep(time.Second)
		cancel()
		synctest.Wait()
		if err := c.Err(); err != nil {
			t.Fatalf("a disarmed step was ended: %v", err)
		}
		c.release()
		if c.stopParent() {
			t.Error("release left the callback on the parent")
		}
	})
}

// A VU that parks in its thinks gives its step context back and takes one
// again at its next emit: side by side with VUs that never park (theirs
// is kept from step to step), an ack after a parked think allocates at
// most a little more, where a step context made anew for each is about
// 600 bytes (a context, a timer, a callback on the run's VU context).
func TestParkedVUsReuseStepContexts(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 2,400 acks against the built-in target")
	}
	if raceDetector {
		t.Skip("the race detector allocates for itself on the paths compared")
	}
	const vus, acks = 40, 30
	url := startTarget(t).URL()
	perAck := func(parkAfter time.Duration) float64 {
		_, _, many := ackLoop(t, url, vus, acks, "2ms", parkAfter)
		_, _, one := ackLoop(t, url, vus, 1, "2ms", parkAfter)
		return float64(many-one) / (vus * (acks - 1))
	}
	waiting, parked := perAck(0), perAck(time.Millisecond)
	t.Logf("heap bytes allocated per ack: %.0f parked, %.0f never parked", parked, waiting)
	if parked-waiting > 100 {
		t.Errorf("an ack after a parked think allocates %.0f bytes more than one after a waited think (at most 100): its step context is not reused", parked-waiting)
	}
}
