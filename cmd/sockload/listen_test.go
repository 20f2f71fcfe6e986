package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os/exec"
	"path/filepath"
	rtmetrics "runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sockload/sockload/engine"
	"github.com/sockload/sockload/internal/refserver"
	"github.com/sockload/sockload/metrics"
	"github.com/sockload/sockload/report"
)

// stickyBalancer spreads new clients over backends in turn and keeps each
// on its own with a cookie, as HAProxy's "cookie SERVERID insert" does.
func stickyBalancer(t *testing.T, backends map[string]*refserver.Server) *httptest.Server {
	t.Helper()
	var names []string
	proxies := map[string]*httputil.ReverseProxy{}
	for name, b := range backends {
		u, err := url.Parse(b.URL)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
		proxies[name] = httputil.NewSingleHostReverseProxy(u)
	}
	var next atomic.Uint64
	lb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("SERVERID"); err == nil && proxies[c.Value] != nil {
			proxies[c.Value].ServeHTTP(w, r)
			return
		}
		name := names[next.Add(1)%uint64(len(names))]
		http.SetCookie(w, &http.Cookie{Name: "SERVERID", Value: name, Path: "/"})
		proxies[name].ServeHTTP(w, r)
	}))
	t.Cleanup(lb.Close)
	return lb
}

// scrape parses GET /metrics with the Python prometheus_client's
// OpenMetrics parser (Debian's python3-prometheus-client), and returns
// every sample as "name{label=value,...}" → value.
func scrape(t *testing.T, addr string) map[string]float64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatalf("scraping /metrics: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/openmetrics-text") {
		t.Errorf("Content-Type %q", ct)
	}
	cmd := exec.Command("/usr/bin/python3", "-c", `
import json, sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
out = {}
for fam in text_string_to_metric_families(sys.stdin.read()):
    for s in fam.samples:
        labels = ",".join("%s=%s" % kv for kv in sorted(s.labels.items()))
        out["%s{%s}" % (s.name, labels)] = s.value
print(json.dumps(out))
`)
	cmd.Stdin = strings.NewReader(string(body))
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("the OpenMetrics parser refused /metrics: %v\n%s\n%s", err, stderr, body)
	}
	samples := map[string]float64{}
	if err := json.Unmarshal(out, &samples); err != nil {
		t.Fatal(err)
	}
	return samples
}

// TestListenServesMetricsAndAnnotations runs VUs through a sticky
// balancer over two Node servers with --listen: /metrics parses with a
// real OpenMetrics parser during the run and, at its end, its counters
// equal the JSON report's; an annotation posted mid-run is on the report's
// timeline; and the VUs per backend, named from the sticky cookie, equal
// the connections each server counted.
func TestListenServesMetricsAndAnnotations(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run of over a second; go test without -short runs it")
	}
	if _, err := exec.Command("/usr/bin/python3", "-c", "import prometheus_client.openmetrics.parser").CombinedOutput(); err != nil {
		t.Skip("needs Debian's python3-prometheus-client (apt-get install python3-prometheus-client) to parse /metrics")
	}
	nodes := map[string]*refserver.Server{"a": refserver.Start(t, refserver.V4), "b": refserver.Start(t, refserver.V4)}
	lb := stickyBalancer(t, nodes)
	dir := t.TempDir()
	scenarioPath := filepath.Join(dir, "listen.yml")
	writeFile(t, scenarioPath, `
config:
  target: "`+lb.URL+`"
  phases:
    - duration: 2
      arrivalRate: 10
  socketio:
    backend: {cookie: SERVERID}
scenarios:
  - flow:
      - loop:
          - emit: ["ping"]
            acknowledge: {}
          - think: 0.2
        count: 5
`)
	out := filepath.Join(dir, "report.json")
	c := newCLIRun()
	var during, final map[string]float64
	c.listening = func(addr string) {
		go func() {
			time.Sleep(time.Second) // into the run: not a timing assertion
			during = scrape(t, addr)
			resp, err := http.Post("http://"+addr+"/annotate", "text/plain", strings.NewReader("killed node 3"))
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Errorf("POST /annotate: %v %v", err, resp)
			}
		}()
		c.reported = func() { final = scrape(t, addr) }
	}
	if code := c.run(t, "run", "-q", "--listen", "127.0.0.1:0", "-o", out, scenarioPath); code != exitOK {
		t.Fatalf("exit code %d; stderr:\n%s", code, c.errOut.String())
	}
	rep := readReport(t, out)
	counters := rep.Aggregate.Counters
	if during == nil || during["sockload_vusers_active{}"] <= 0 {
		t.Errorf("the scrape during the run has no VUs running: %v", during)
	}
	for sample, metric := range map[string]string{
		"sockload_vusers_created_total{}":                engine.MetricVUsersCreated,
		"sockload_vusers_completed_total{}":              engine.MetricVUsersCompleted,
		"sockload_socketio_emit_total{}":                 engine.MetricEmit,
		"sockload_socketio_sessions_total{name=polling}": engine.MetricSessions + "polling",
		"sockload_socketio_upgrades_total{}":             engine.MetricUpgrades,
		"sockload_backend_vusers_total{name=a}":          engine.MetricBackendVUsers + "a",
		"sockload_backend_vusers_total{name=b}":          engine.MetricBackendVUsers + "b",
	} {
		if got, want := final[sample], float64(counters[metric]); got != want || want == 0 {
			t.Errorf("%s = %v at the end, the report's %s = %v", sample, got, metric, want)
		}
	}
	if got, want := final["sockload_socketio_response_time_seconds_count{}"], float64(rep.Aggregate.Histograms[engine.MetricResponseTime].TotalCount()); got != want {
		t.Errorf("response time count %v, the report's %v", got, want)
	}
	if len(rep.Annotations) != 1 || rep.Annotations[0].Text != "killed node 3" {
		t.Errorf("annotations %+v, want the one posted", rep.Annotations)
	}
	for name, node := range nodes {
		if got, want := counters[engine.MetricBackendVUsers+name], int64(node.Stats().Connections); got != want {
			t.Errorf("backend %s: %d VUs as sockload counts them, %d connections as the server counts them", name, got, want)
		}
	}
	if !strings.Contains(c.out.String(), "Backends (") || !strings.Contains(c.out.String(), "killed node 3") {
		t.Errorf("the summary lacks the backends or the annotation:\n%s", c.out.String())
	}
}

func TestAnnotateRequests(t *testing.T) {
	for _, tc := range []struct {
		name, contentType, body string
		status                  int
		text                    string
	}{
		{"text", "text/plain", "killed node 3\n", http.StatusOK, "killed node 3"},
		{"json", "application/json", `{"text": "restarted node 3"}`, http.StatusOK, "restarted node 3"},
		{"empty", "text/plain", "  ", http.StatusBadRequest, ""},
		{"bad json", "application/json", `{"text":`, http.StatusBadRequest, ""},
		{"too long", "text/plain", strings.Repeat("x", 5000), http.StatusRequestEntityTooLarge, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := report.NewCollector(metrics.New(time.Now(), metrics.Options{}), time.Second)
			l := &liveServer{collector: c}
			req := httptest.NewRequest(http.MethodPost, "/annotate", strings.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.contentType)
			rec := httptest.NewRecorder()
			l.annotate(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d (%s)", rec.Code, tc.status, rec.Body.String())
			}
			res, _ := c.Results()
			if tc.text == "" && len(res.Annotations) != 0 || tc.text != "" && (len(res.Annotations) != 1 || res.Annotations[0].Text != tc.text) {
				t.Errorf("annotations %+v, want %q", res.Annotations, tc.text)
			}
		})
	}
}

func TestListenAddr(t *testing.T) {
	for _, tc := range []struct{ flag, want string }{
		{":9464", "127.0.0.1:9464"}, {"9464", "127.0.0.1:9464"}, {"0.0.0.0:9464", "0.0.0.0:9464"}, {"[::1]:0", "[::1]:0"},
	} {
		if got, err := listenAddr(tc.flag); err != nil || got != tc.want {
			t.Errorf("listenAddr(%q) = %q, %v; want %q", tc.flag, got, err, tc.want)
		}
	}
	if _, err := listenAddr("a:b:c"); err == nil {
		t.Error("listenAddr(a:b:c) accepted")
	}
}

// TestHeapProfile: the live endpoint's heap profile is the gzipped
// protobuf go tool pprof reads, and with ?debug=1 the text form with the
// runtime's memory statistics.
func TestHeapProfile(t *testing.T) {
	tests := []struct {
		query, want string
	}{
		{"", "\x1f\x8b"}, // gzip's magic number
		{"?debug=1", "# HeapAlloc = "},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		heapProfile(rec, httptest.NewRequest("GET", "/debug/pprof/heap"+tt.query, nil))
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), tt.want) {
			t.Errorf("GET /debug/pprof/heap%s: status %d, body without %q", tt.query, rec.Code, tt.want)
		}
	}
}

// TestMemoryClasses: /debug/memory gives the runtime's memory classes
// and heap goal, and their total is the memory the runtime has mapped,
// at least the heap's objects.
func TestMemoryClasses(t *testing.T) {
	rec := httptest.NewRecorder()
	memoryClasses(rec, httptest.NewRequest("GET", "/debug/memory", nil))
	values := map[string]uint64{}
	for _, line := range strings.Split(strings.TrimSpace(rec.Body.String()), "\n") {
		var name string
		var v uint64
		if _, err := fmt.Sscanf(line, "%s %d", &name, &v); err != nil {
			t.Fatalf("GET /debug/memory: line %q: %v", line, err)
		}
		values[name] = v
	}
	for _, name := range []string{"/memory/classes/total:bytes", "/memory/classes/heap/objects:bytes", "/memory/classes/heap/free:bytes", "/gc/heap/goal:bytes"} {
		if _, ok := values[name]; !ok {
			t.Errorf("GET /debug/memory: no %s in\n%s", name, rec.Body.String())
		}
	}
	if total, objects := values["/memory/classes/total:bytes"], values["/memory/classes/heap/objects:bytes"]; objects == 0 || total < objects {
		t.Errorf("GET /debug/memory: total %d bytes, heap objects %d", total, objects)
	}
}

// TestHeapProfileForcesACollectionUnlessAsked: a profile forces a
// collection first, one with ?gc=0 does not (a soak measuring the RSS
// meanwhile would see the pages it returns).
func TestHeapProfileForcesACollectionUnlessAsked(t *testing.T) {
	for _, tt := range []struct {
		query  string
		forced bool
	}{
		{"", true},
		{"?debug=1", true},
		{"?gc=0", false},
		{"?gc=0&debug=1", false},
	} {
		before := forcedCollections()
		rec := httptest.NewRecorder()
		heapProfile(rec, httptest.NewRequest("GET", "/debug/pprof/heap"+tt.query, nil))
		if forced := forcedCollections() > before; rec.Code != http.StatusOK || forced != tt.forced {
			t.Errorf("GET /debug/pprof/heap%s: status %d, forced a collection: %v, want %v", tt.query, rec.Code, forced, tt.forced)
		}
	}
}

func forcedCollections() uint64 {
	s := []rtmetrics.Sample{{Name: "/gc/cycles/forced:gc-cycles"}}
	rtmetrics.Read(s)
	return s[0].Value.Uint64()
}
