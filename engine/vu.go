package engine

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/sockload/sockload/metrics"
	"github.com/sockload/sockload/scenario"
	"github.com/sockload/sockload/socketio"
)

// vu is one virtual user: one run of a scenario's flow with its own
// variables and connections. It lives on its own goroutine.
type vu struct {
	r        *Runner
	id       uint64
	scenario *scenario.Scenario
	rec      metrics.Recorder
	tctx     *scenario.Context
	timeout  time.Duration

	// manager is the VU's default connection, with the scenario's options;
	// namespaces share it unless the options say forceNew.
	manager *socketio.Manager
	// sockets are the VU's namespaces by name, connected on first use.
	sockets map[string]*vuSocket
}

// stepError is a failed step: code names it in errors.<code>.
type stepError struct {
	code string
	err  error
}

func (e *stepError) Error() string { return e.code + ": " + e.err.Error() }
func (e *stepError) Unwrap() error { return e.err }

func failf(code, format string, args ...any) error {
	return &stepError{code: code, err: fmt.Errorf(format, args...)}
}

func (r *Runner) newVU(id uint64, scenarioIndex int, index int64) *vu {
	sc := &r.cfg.Script.Scenarios[scenarioIndex]
	v := &vu{
		r:        r,
		id:       id,
		scenario: sc,
		rec:      r.cfg.Registry.Recorder(id),
		timeout:  r.cfg.Script.Config.Timeout,
		sockets:  map[string]*vuSocket{},
	}
	v.tctx = r.cfg.Script.NewContext(int(index), rand.New(rand.NewPCG(r.rng.Uint64(), id)), r.cfg.Getenv)
	return v
}

// run runs the flow and records the VU's outcome.
func (v *vu) run(ctx context.Context) {
	start := time.Now()
	err := v.r.runFlow(ctx, v)
	v.closeAll()
	m := &v.r.m
	switch {
	case err == nil:
		m.completed.Inc()
		v.rec.Record(m.sessionLength, time.Since(start))
	case ctx.Err() != nil:
		m.cancelled.Inc()
		v.r.cancelled.Add(1)
	default:
		m.failed.Inc()
		v.r.cfg.Registry.Counter(MetricErrors + errorCode(err)).Inc()
	}
}

func (v *vu) flow(ctx context.Context) error {
	if v.scenario.ConnectAtStart {
		if _, err := v.socket(ctx, v.r.cfg.Script.Config.Namespace("/")); err != nil {
			return err
		}
	}
	return v.steps(ctx, v.scenario.Flow)
}

func (v *vu) closeAll() {
	for _, s := range v.sockets {
		s.close()
	}
	if v.manager != nil {
		v.manager.Close()
	}
}

// errorCode names an error for errors.<code>: the step's own code, or a
// short name for network failures that users of Artillery recognise.
func errorCode(err error) string {
	var se *stepError
	if errors.As(err, &se) {
		return se.code
	}
	return classifyNetworkError(err)
}
