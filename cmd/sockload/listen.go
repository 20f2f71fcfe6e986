package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/sockload/sockload/engine"
	"github.com/sockload/sockload/report"
)

// liveServer is what --listen serves during a run: GET /metrics, the run
// so far in the OpenMetrics text format, POST /annotate, a marker on the
// run's timeline, and GET /debug/pprof/heap, sockload's own heap profile
// at that moment (what --memprofile writes at the end), and GET
// /debug/memory, where its memory is, by the runtime's classes.
type liveServer struct {
	collector *report.Collector
	runner    *engine.Runner
	srv       *http.Server
	addr      string
}

// listenAddr is --listen's address: a port alone (":9464" or "9464")
// listens on loopback; a host must be given to listen elsewhere.
func listenAddr(flag string) (string, error) {
	if !strings.Contains(flag, ":") {
		flag = ":" + flag
	}
	host, port, err := net.SplitHostPort(flag)
	if err != nil {
		return "", fmt.Errorf("--listen %q: %w (write a port, \":9464\", or host:port)", flag, err)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

// startLive listens on addr and serves until stop is called.
func startLive(addr string, c *report.Collector, r *engine.Runner) (*liveServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--listen: %w", err)
	}
	l := &liveServer{collector: c, runner: r, addr: ln.Addr().String()}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", l.metrics)
	mux.HandleFunc("POST /annotate", l.annotate)
	mux.HandleFunc("GET /debug/pprof/heap", heapProfile)
	mux.HandleFunc("GET /debug/memory", memoryClasses)
	l.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = l.srv.Serve(ln) }()
	return l, nil
}

func (l *liveServer) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = l.srv.Shutdown(ctx)
}

func (l *liveServer) metrics(w http.ResponseWriter, _ *http.Request) {
	agg, err := l.collector.Aggregate()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	st := l.runner.Status()
	w.Header().Set("Content-Type", report.OpenMetricsContentType)
	_ = report.WriteOpenMetrics(w, agg, report.Gauges{Active: st.Active, Backends: st.Backends})
}

// maxAnnotationBody bounds what POST /annotate reads.
const maxAnnotationBody = 4 << 10

// annotate takes the text as the body (text/plain) or as {"text": "..."}.
func (l *liveServer) annotate(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxAnnotationBody+1))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if len(body) > maxAnnotationBody {
		http.Error(w, "an annotation is a short text (at most 4 KiB of body)", http.StatusRequestEntityTooLarge)
		return
	}
	text := string(body)
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var v struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal(body, &v); err != nil {
			http.Error(w, `the JSON body of an annotation is {"text": "killed node 3"}: `+err.Error(), http.StatusBadRequest)
			return
		}
		text = v.Text
	}
	a, err := l.collector.Annotate(time.Now(), text)
	if err != nil {
		status := http.StatusBadRequest
		if !errors.Is(err, report.ErrNoAnnotationText) {
			status = http.StatusTooManyRequests
		}
		http.Error(w, err.Error(), status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(a)
}

// heapProfile writes sockload's heap profile as of a collection it forces
// first, so that two profiles taken during a long run compare live data:
// the gzipped protobuf for go tool pprof, or with ?debug=1 the text form,
// whose footer has the runtime's memory statistics. With ?gc=0 it forces
// none: the profile is then as of the runtime's last collection (live
// data too, up to a cycle old), for a caller that measures the process's
// memory meanwhile: a forced collection lets the runtime return pages the
// heap then grows back into (at 2,000 VUs the RSS fell by 5-6 MB and took
// about 45 s to regrow).
func heapProfile(w http.ResponseWriter, r *http.Request) {
	debug := 0
	if r.URL.Query().Get("debug") == "1" {
		debug = 1
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", `attachment; filename="heap.pprof"`)
	}
	if r.URL.Query().Get("gc") != "0" {
		runtime.GC()
	}
	_ = pprof.Lookup("heap").WriteTo(w, debug)
}

// memoryClasses writes, one "name bytes" line each, the runtime's memory
// classes (/memory/classes/...: the heap's objects, its free and returned
// pages, stacks, metadata) and its heap goal and live heap. Reading them
// stops nothing and allocates little, so a soak can sample it every few
// seconds beside the RSS, to tell a heap that grows from pages the
// runtime keeps.
func memoryClasses(w http.ResponseWriter, _ *http.Request) {
	var samples []metrics.Sample
	for _, d := range metrics.All() {
		if d.Kind == metrics.KindUint64 && (strings.HasPrefix(d.Name, "/memory/classes/") ||
			d.Name == "/gc/heap/goal:bytes" || d.Name == "/gc/heap/live:bytes") {
			samples = append(samples, metrics.Sample{Name: d.Name})
		}
	}
	metrics.Read(samples)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	for _, s := range samples {
		fmt.Fprintf(w, "%s %d\n", s.Name, s.Value.Uint64())
	}
}
