package checks

import (
	"testing"

	"github.com/sockload/sockload/engine"
	"github.com/sockload/sockload/metrics"
)

func TestReachIsReadByName(t *testing.T) {
	c := NewCatalog()
	c.AddMetrics(engine.Catalogue)
	for _, name := range []string{"socketio.reach", "socketio.reach.chat", "socketio.delivery_time.chat.p99", "socketio.missing.chat"} {
		if !c.Known(name) {
			t.Errorf("%s is not known to checks", name)
		}
	}
	v := c.Values(Input{Aggregate: metrics.Snapshot{Counters: map[string]int64{
		"socketio.expected": 300, "socketio.delivered": 200,
		"socketio.expected.chat": 200, "socketio.delivered.chat": 200,
		"socketio.expected.news": 100, "socketio.delivered.news": 0,
		"socketio.expected.none": 0, "socketio.delivered.none": 0,
	}}})
	cases := []struct {
		name string
		want float64
		ok   bool
	}{
		{"socketio.reach", 100 * 200.0 / 300, true},
		{"socketio.reach.chat", 100, true},
		{"socketio.reach.news", 0, true},
		{"socketio.reach.none", 0, false}, // nothing expected: no value
	}
	for _, tc := range cases {
		got, ok := v[tc.name]
		if ok != tc.ok || got != tc.want {
			t.Errorf("%s = %v, %v; want %v, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}
