package engine

import (
	"fmt"
	"net/http"
	"sync"

	"github.com/sockload/sockload/metrics"
	"github.com/sockload/sockload/scenario"
)

// maxBackends bounds the distinct backends a run names; VUs on any other
// are counted under otherBackend, so that a balancer whose cookie carries a
// session id cannot create a metric per VU.
const maxBackends = 32

const otherBackend = "other"

// backendSet counts the VUs on each backend the run has named.
type backendSet struct {
	reg  *metrics.Registry
	mu   sync.Mutex
	vus  map[string]int64 // VUs on each backend now
	hist map[string]metrics.Histogram
}

func newBackendSet(reg *metrics.Registry) *backendSet {
	return &backendSet{reg: reg, vus: map[string]int64{}, hist: map[string]metrics.Histogram{}}
}

// move takes a VU off backend from and puts it on to ("" for none),
// counting the arrival in backend.vusers.<to>; it returns the name to
// keep (to, or otherBackend past maxBackends).
func (b *backendSet) move(from, to string) string {
	b.mu.Lock()
	if _, known := b.vus[to]; to != "" && !known && len(b.vus) >= maxBackends {
		to = otherBackend
	}
	if from != "" {
		b.vus[from]--
	}
	if to != "" {
		b.vus[to]++
	}
	b.mu.Unlock()
	if to != "" {
		b.reg.Counter(MetricBackendVUsers + MetricSuffix(to)).Inc()
	}
	return to
}

// snapshot returns the VUs on each backend now.
func (b *backendSet) snapshot() map[string]int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make(map[string]int64, len(b.vus))
	for k, n := range b.vus {
		out[k] = n
	}
	return out
}

// responseTime is the response time histogram of a backend.
func (b *backendSet) responseTime(backend string) metrics.Histogram {
	b.mu.Lock()
	defer b.mu.Unlock()
	h, ok := b.hist[backend]
	if !ok {
		h = b.reg.Histogram(MetricBackendResponseTime + MetricSuffix(backend))
		b.hist[backend] = h
	}
	return h
}

// landedOn notes the backend a handshake names, if the scenario reads it
// from a cookie or a header; a handshake that names none (the balancer
// kept the cookie it set before) leaves the VU where it was.
func (v *vu) landedOn(src scenario.Backend, header http.Header) {
	name := ""
	switch {
	case src.Header != "":
		name = header.Get(src.Header)
	case src.Cookie != "":
		for _, c := range (&http.Response{Header: header}).Cookies() {
			if c.Name == src.Cookie {
				name = c.Value
			}
		}
	}
	v.setBackend(name)
}

// captureBackend reads the backend from the VU's variable, for a scenario
// that captures it.
func (v *vu) captureBackend() {
	name := v.scenario.SocketIO.Backend.Capture
	if name == "" {
		return
	}
	if val, ok := v.tctx.Vars[name]; ok && val != nil {
		v.setBackend(fmt.Sprint(val))
	}
}

// setBackend moves the VU to backend name (ignored when "").
func (v *vu) setBackend(name string) {
	if name == "" || v.r.backends == nil {
		return
	}
	v.backendMu.Lock()
	defer v.backendMu.Unlock()
	if name == v.backend {
		return
	}
	v.backend = v.r.backends.move(v.backend, name)
}

// currentBackend is the VU's backend, "" when not named.
func (v *vu) currentBackend() string {
	v.backendMu.Lock()
	defer v.backendMu.Unlock()
	return v.backend
}

// leaveBackend takes the VU off its backend at its end.
func (v *vu) leaveBackend() {
	if v.r.backends == nil {
		return
	}
	v.backendMu.Lock()
	defer v.backendMu.Unlock()
	if v.backend != "" {
		v.r.backends.move(v.backend, "")
		v.backend = ""
	}
}
