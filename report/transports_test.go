package report

import (
	"strings"
	"testing"

	"github.com/sockload/sockload/metrics"
)

func TestWriteTransports(t *testing.T) {
	for _, tc := range []struct {
		name     string
		counters map[string]int64
		want     []string
		warns    bool
	}{
		{"all upgraded", map[string]int64{"socketio.sessions.polling": 200, "socketio.upgrades": 200},
			[]string{"200 connections opened with polling (200 upgraded to websocket, 0 stayed on polling)"}, false},
		{"proxy strips the upgrade", map[string]int64{"socketio.sessions.polling": 20, "socketio.upgrade_failed.http_400": 20},
			[]string{"0 upgraded to websocket, 20 stayed on polling", "20 upgrades failed (http_400 20)", "does not pass the websocket upgrade"}, true},
		{"some failed", map[string]int64{"socketio.sessions.polling": 20, "socketio.upgrades": 19, "socketio.upgrade_failed.no_probe_answer": 1},
			[]string{"19 upgraded", "1 stayed on polling", "no_probe_answer 1"}, false},
		{"polling only", map[string]int64{"socketio.sessions.polling": 20}, []string{"20 stayed on polling"}, false},
		{"no connections", map[string]int64{}, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			WriteTransports(&b, metrics.Snapshot{Counters: tc.counters})
			for _, w := range tc.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("missing %q in:\n%s", w, b.String())
				}
			}
			if got := strings.Contains(b.String(), "Warning:"); got != tc.warns {
				t.Errorf("warning %v, want %v:\n%s", got, tc.warns, b.String())
			}
			if tc.want == nil && b.Len() > 0 {
				t.Errorf("printed %q for a run without connections", b.String())
			}
		})
	}
}
