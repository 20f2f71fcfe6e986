package report

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sockload/sockload/metrics"
)

// TestOpenMetricsParses writes counters whose free-text parts need
// escaping, a histogram and the gauges, and reads them back with Debian's
// OpenMetrics parser (python3-prometheus-client): names, labels and values
// survive.
func TestOpenMetricsParses(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run of over a second; go test without -short runs it")
	}
	if _, err := exec.Command("/usr/bin/python3", "-c", "import prometheus_client.openmetrics.parser").CombinedOutput(); err != nil {
		t.Skip("needs Debian's python3-prometheus-client (apt-get install python3-prometheus-client)")
	}
	reg := metrics.New(time.Now(), metrics.Options{})
	reg.Counter("errors.Failed match").Add(3)
	reg.Counter(`errors.odd "code" \ with` + "\nnewline").Add(1)
	reg.Counter("socketio.disconnects.transport_close").Add(2)
	reg.Counter("vusers.created").Add(7)
	rec := reg.Recorder(1)
	h := reg.Histogram("socketio.response_time")
	for _, d := range []time.Duration{time.Millisecond, 2 * time.Millisecond, 40 * time.Millisecond} {
		rec.Record(h, d)
	}
	var b strings.Builder
	if err := WriteOpenMetrics(&b, reg.Rotate(time.Now()), Gauges{Active: 4, Backends: map[string]int64{"n1": 3, "n\"2": 1}}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/usr/bin/python3", "-c", `
import json, sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
out = {}
for fam in text_string_to_metric_families(sys.stdin.read()):
    for s in fam.samples:
        out[s.name + json.dumps(s.labels, sort_keys=True)] = s.value
print(json.dumps(out))
`)
	cmd.Stdin = strings.NewReader(b.String())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the parser refused it: %v\n%s\n%s", err, out, b.String())
	}
	var got map[string]float64
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]float64{
		`sockload_errors_total{"code": "Failed match"}`:                    3,
		`sockload_errors_total{"code": "odd \"code\" \\ with\nnewline"}`:   1,
		`sockload_socketio_disconnects_total{"reason": "transport_close"}`: 2,
		`sockload_vusers_created_total{}`:                                  7,
		`sockload_socketio_response_time_seconds_count{}`:                  3,
		`sockload_vusers_active{}`:                                         4,
		`sockload_backend_vusers_active{"backend": "n\"2"}`:                1,
		`sockload_socketio_response_time_seconds{"quantile": "0.5"}`:       0.002,
	} {
		if v, ok := got[key]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v; all: %v", key, v, ok, want, got)
		}
	}
}
