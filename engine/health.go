package engine

import (
	"sync"
	"time"

	"github.com/sockload/sockload/metrics"
	"github.com/sockload/sockload/socketio"
)

// engineMetrics are the handles the engine records through, looked up once.
type engineMetrics struct {
	created, completed, failed, skipped, cancelled metrics.Counter
	emit, messages, bytes, reconnects, attempts    metrics.Counter
	cpu, errorAcks                                 metrics.Counter
	reconnectFlows, resent, upgrades               metrics.Counter
	connectTimeOf                                  map[string]metrics.Histogram
	sessionLength, responseTime, connectTime       metrics.Histogram
	arrivalLag, reconnectTime                      metrics.Histogram
}

func newEngineMetrics(reg *metrics.Registry) engineMetrics {
	return engineMetrics{
		created:        reg.Counter(MetricVUsersCreated),
		completed:      reg.Counter(MetricVUsersCompleted),
		failed:         reg.Counter(MetricVUsersFailed),
		skipped:        reg.Counter(MetricVUsersSkipped),
		cancelled:      reg.Counter(MetricVUsersCancelled),
		emit:           reg.Counter(MetricEmit),
		messages:       reg.Counter(MetricMessagesReceived),
		bytes:          reg.Counter(MetricBytesReceived),
		reconnects:     reg.Counter(MetricReconnects),
		attempts:       reg.Counter(MetricReconnectAttempts),
		cpu:            reg.Counter(MetricCPU),
		errorAcks:      reg.Counter(MetricErrorAcks),
		sessionLength:  reg.Histogram(MetricSessionLength),
		responseTime:   reg.Histogram(MetricResponseTime),
		connectTime:    reg.Histogram(MetricConnectTime),
		arrivalLag:     reg.Histogram(MetricArrivalLag),
		reconnectTime:  reg.Histogram(MetricReconnectTime),
		reconnectFlows: reg.Counter(MetricReconnectFlows),
		resent:         reg.Counter(MetricEmitsResent),
		upgrades:       reg.Counter(MetricUpgrades),
		connectTimeOf: map[string]metrics.Histogram{
			socketio.TransportPolling:   reg.Histogram(MetricConnectTimeOf + socketio.TransportPolling),
			socketio.TransportWebsocket: reg.Histogram(MetricConnectTimeOf + socketio.TransportWebsocket),
		},
	}
}

// cpuSampleEvery is how often the generator's CPU time is added to
// engine.cpu_us; intervals see it to within this much.
const cpuSampleEvery = time.Second

// watchCPU adds the process's CPU time (user + system) to engine.cpu_us
// every second until the returned function is called, which adds the rest.
func (r *Runner) watchCPU() (stop func()) {
	last := processCPU()
	sample := func() {
		now := processCPU()
		r.m.cpu.Add(int64((now - last) / time.Microsecond))
		last = now
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(cpuSampleEvery)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				sample()
			case <-done:
				sample()
				return
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// connectTimeOf is the connect time histogram of a transport.
func (r *Runner) connectTimeOf(transport string) (metrics.Histogram, bool) {
	h, ok := r.m.connectTimeOf[transport]
	return h, ok
}
