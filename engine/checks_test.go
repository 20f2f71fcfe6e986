package engine

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sockload/sockload/metrics"
)

// An ack check that looks for a literal text passes an ack that is that
// text alone without decoding it, and checks any other ack as before: a
// text within the ack passes, one that is not in it fails.
func TestAckDataChecks(t *testing.T) {
	srv := startTarget(t)
	cases := []struct {
		data    string
		plain   bool // the check's plain ack is kept
		failed  int64
		errCode string
	}{
		{`"pong"`, true, 0, ""},
		{`"on"`, true, 0, ""},
		{`"nope"`, true, 1, "data is not valid"},
		{`"po\"ng"`, false, 1, "data is not valid"},
	}
	for _, c := range cases {
		t.Run(c.data, func(t *testing.T) {
			s := loadScript(t, srv.URL(), fmt.Sprintf(`
config:
  target: "%%s"
  timeout: 5
  phases: [{duration: 1, arrivalCount: 1}]
  socketio: {transports: ["websocket"]}
scenarios:
  - engine: socketio
    flow:
      - emit: ["ping"]
        acknowledge: {data: %s}
`, c.data))
			r, err := New(Config{Script: s, Plan: PlanOf(s), Registry: metrics.New(time.Now(), metrics.Options{}), Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.plainAcks) != 1 && c.plain || len(r.plainAcks) != 0 && !c.plain {
				t.Errorf("%d plain acks kept, want one: %v", len(r.plainAcks), c.plain)
			}
			_, snap := runScript(t, context.Background(), s)
			if got := snap.Counters[MetricVUsersFailed]; got != c.failed {
				t.Errorf("%d VUs failed, want %d (%v)", got, c.failed, snap.Counters)
			}
			if c.errCode != "" && snap.Counters["errors."+c.errCode] != 1 {
				t.Errorf("errors %v, want one %q", snap.Counters, c.errCode)
			}
		})
	}
}
