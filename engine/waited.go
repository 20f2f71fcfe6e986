package engine

import (
	"github.com/sockload/sockload/metrics"
	"github.com/sockload/sockload/scenario"
)

// waitSet is the set of events a scenario's waitFor steps wait for, per
// namespace, so that VUs keep those events (and only those) from the moment
// they connect. A templated name or namespace keeps every event.
type waitSet struct {
	all    bool
	events map[string]map[string]bool // namespace → event → kept
}

func (w *waitSet) has(namespace, event string) bool {
	if w == nil {
		return false
	}
	return w.all || w.events[namespace][event]
}

func collectWaits(cfg *scenario.Config, steps []scenario.Step, w *waitSet) {
	for _, st := range steps {
		switch st := st.(type) {
		case *scenario.WaitForStep:
			ns, nsOK := staticString(st.Namespace, "/")
			ev, evOK := staticString(st.Event, "")
			if !nsOK || !evOK {
				w.all = true
				continue
			}
			ns = cfg.Namespace(ns)
			if w.events[ns] == nil {
				w.events[ns] = map[string]bool{}
			}
			w.events[ns][ev] = true
		case *scenario.LoopStep:
			collectWaits(cfg, st.Steps, w)
		}
	}
}

func staticString(t *scenario.Template, empty string) (string, bool) {
	if t == nil {
		return empty, true
	}
	v, ok := t.Static()
	if !ok {
		return "", false
	}
	s, ok := v.(string)
	if !ok {
		return "", false
	}
	if s == "" {
		return empty, true
	}
	return s, true
}

// waitedEvents returns the waitSet of a scenario, nil when it has no waitFor.
func (r *Runner) waitedEvents(sc *scenario.Scenario) *waitSet {
	return r.waits[sc]
}

func (r *Runner) prepareWaits() {
	r.waits = map[*scenario.Scenario]*waitSet{}
	for i := range r.cfg.Script.Scenarios {
		sc := &r.cfg.Script.Scenarios[i]
		w := &waitSet{events: map[string]map[string]bool{}}
		collectWaits(&r.cfg.Script.Config, sc.Flow, w)
		collectWaits(&r.cfg.Script.Config, sc.OnReconnect, w)
		if w.all || len(w.events) > 0 {
			r.waits[sc] = w
		}
	}
}

// eventHistogram returns the response time histogram of one event name,
// unless maxEventNames exist already.
func (r *Runner) eventHistogram(event string) (metrics.Histogram, bool) {
	return r.responseTimes.histogram(event)
}
