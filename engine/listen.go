package engine

import (
	"maps"

	"github.com/sockload/sockload/metrics"
	"github.com/sockload/sockload/scenario"
	"github.com/sockload/sockload/socketio"
)

// vuListeners are a VU's listeners on one namespace (the scenario's
// listen:), called on the connection's reader goroutine for every event.
type vuListeners struct {
	v        *vu
	list     []activeListener
	untraced map[string]bool
}

type activeListener struct {
	event string
	check *scenario.Check
	// ctx renders the listener's match values: a copy of the VU's
	// variables when the namespace connected, since the VU's own context
	// is its goroutine's alone.
	ctx   *scenario.Context
	count metrics.Counter
	ok    bool
}

// listeners renders the scenario's listeners of namespace; nil when none.
func (v *vu) listeners(namespace string) *vuListeners {
	var ls *vuListeners
	for i := range v.scenario.Listen {
		l := &v.scenario.Listen[i]
		if v.namespace(l.Namespace) != namespace {
			continue
		}
		if ls == nil {
			ls = &vuListeners{v: v, untraced: map[string]bool{}}
		}
		event := scenario.RenderString(l.Event, v.tctx)
		if !l.Trace {
			ls.untraced[event] = true
		}
		ctx := &scenario.Context{Vars: maps.Clone(v.tctx.Vars), Environment: v.tctx.Environment, Getenv: v.tctx.Getenv}
		c, ok := v.r.listened.counter(event)
		ls.list = append(ls.list, activeListener{event: event, check: &l.Check, ctx: ctx, count: c, ok: ok})
	}
	return ls
}

// traced reports whether traces in events of this name are recorded.
func (ls *vuListeners) traced(event string) bool {
	return ls == nil || !ls.untraced[event]
}

// hear runs the listeners of msg's event: a match is counted and its
// captures kept for the VU's next step.
func (ls *vuListeners) hear(msg socketio.Message) {
	if ls == nil {
		return
	}
	for i := range ls.list {
		l := &ls.list[i]
		if l.event != msg.Event {
			continue
		}
		var captured map[string]any
		if l.check.Filters() || len(l.check.Capture) > 0 {
			args, err := msg.Args()
			if err != nil {
				continue
			}
			if captured, err = l.check.Verify(args, l.ctx, false); err != nil {
				continue
			}
		}
		if l.ok {
			l.count.Inc()
		}
		if len(captured) > 0 {
			ls.v.keepCaptured(captured)
		}
	}
}

func (v *vu) keepCaptured(vars map[string]any) {
	v.capMu.Lock()
	defer v.capMu.Unlock()
	if v.captured == nil {
		v.captured = map[string]any{}
	}
	maps.Copy(v.captured, vars)
}

// applyCaptured stores what listeners captured into the VU's variables.
// A scenario without listeners captures nothing: its steps take no lock
// for it.
func (v *vu) applyCaptured() {
	if len(v.scenario.Listen) == 0 {
		return
	}
	v.capMu.Lock()
	defer v.capMu.Unlock()
	if len(v.captured) == 0 {
		return
	}
	maps.Copy(v.tctx.Vars, v.captured)
	clear(v.captured)
}
