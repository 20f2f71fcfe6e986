package engine

import (
	"strings"

	"github.com/sockload/sockload/scenario"
)

// Metric names recorded by the engine. Each is described, with its kind, in
// Catalogue; a name ending in "." is a family, completed by a suffix (see
// MetricSuffix).
const (
	MetricVUsersCreated       = "vusers.created"
	MetricVUsersCreatedByName = "vusers.created_by_name." // + scenario name
	MetricVUsersCompleted     = "vusers.completed"
	MetricVUsersFailed        = "vusers.failed"
	MetricVUsersSkipped       = "vusers.skipped"
	MetricVUsersCancelled     = "vusers.cancelled"
	MetricSessionLength       = "vusers.session_length"
	MetricArrivalRate         = "vusers.arrival_rate"

	MetricEmit                 = "socketio.emit"
	MetricEmitRate             = "socketio.emit_rate"
	MetricResponseTime         = "socketio.response_time"
	MetricResponseTimeOfEvent  = "socketio.response_time." // + event
	MetricErrorAcks            = "socketio.error_acks"
	MetricConnectTime          = "socketio.connect_time"
	MetricMessagesReceived     = "socketio.messages_received"
	MetricMessagesReceivedRate = "socketio.messages_received_rate"
	MetricBytesReceived        = "socketio.bytes_received"
	MetricDisconnects          = "socketio.disconnects." // + reason
	MetricReconnectAttempts    = "socketio.reconnect_attempts"
	MetricReconnects           = "socketio.reconnects"
	MetricReconnectTime        = "socketio.reconnect_time"
	MetricReconnectFlows       = "socketio.reconnect_flows"
	MetricEmitsResent          = "socketio.emits_resent"
	MetricSessions             = "socketio.sessions." // + handshake transport
	MetricUpgrades             = "socketio.upgrades"
	MetricUpgradeFailed        = "socketio.upgrade_failed." // + kind
	MetricConnectTimeOf        = "socketio.connect_time."   // + transport

	MetricBackendVUsers       = "backend.vusers."        // + backend
	MetricBackendErrors       = "backend.errors."        // + backend
	MetricBackendDisconnects  = "backend.disconnects."   // + backend
	MetricBackendResponseTime = "backend.response_time." // + backend
	MetricErrors              = "errors."                // + code

	MetricArrivalLag = "engine.arrival_lag"
	MetricCPU        = "engine.cpu_us"

	// Events and waits, per event name.
	MetricEvents    = "socketio.events."    // + event
	MetricUnmatched = "socketio.unmatched." // + event
	MetricWaitTime  = "socketio.wait_time." // + event
	MetricListened  = "socketio.listened."  // + event

	// Traced messages ({{ $trace }}): totals, and per event as <name>.<event>.
	MetricDeliveryTime     = "socketio.delivery_time"
	MetricExpected         = "socketio.expected"
	MetricDelivered        = "socketio.delivered"
	MetricMissing          = "socketio.missing"
	MetricDuplicates       = "socketio.duplicates"
	MetricReach            = "socketio.reach"
	MetricLate             = "socketio.late"
	MetricClockSkewed      = "socketio.clock_skewed"
	MetricTracesUnfollowed = "socketio.traces_unfollowed"
)

// MetricKind says how a metric is recorded, and so how a report or a check
// reads it.
type MetricKind int

const (
	// Counter is a count (metrics.Counter); a counter never incremented
	// reads as 0.
	Counter MetricKind = iota + 1
	// Summary is a histogram of durations in µs (metrics.Histogram); checks
	// read its statistics as name.p99, name.mean and so on.
	Summary
	// Rate is a counter per second, computed by the metrics registry from
	// the counter named in Of.
	Rate
	// Ratio is 100 × the counter Of divided by the counter Per of the same
	// suffix (a percentage), computed by reports and checks; it has no
	// value where Per is 0.
	Ratio
)

// Metric is one name, or one family of names, the engine records.
type Metric struct {
	// Name is the whole name, or for a family the part before the suffix
	// (ending in ".").
	Name string
	Kind MetricKind
	// Family is set for names completed at run time: Name + MetricSuffix(x)
	// of a free text x (an error code, a disconnect reason, an event).
	Family bool
	// Of is the counter a Rate or a Ratio is computed from; Per the
	// counter a Ratio divides by.
	Of, Per string
	// Doc says what is measured, for the package documentation and tests.
	Doc string
}

// Catalogue lists every metric the engine records, in the order reports
// show them. It is the one place a metric is declared: checks accept the
// names it lists (MetricsFor), the registry computes its rates (Rates), and
// a test fails on any name a run records that it does not list.
var Catalogue = []Metric{
	{Name: MetricVUsersCreated, Kind: Counter, Doc: "VUs started"},
	{Name: MetricVUsersCreatedByName, Kind: Counter, Family: true, Doc: "VUs started, by scenario name (ScenarioName)"},
	{Name: MetricVUsersCompleted, Kind: Counter, Doc: "VUs whose flow ran to its end"},
	{Name: MetricVUsersFailed, Kind: Counter, Doc: "VUs ended by a failed step"},
	{Name: MetricVUsersSkipped, Kind: Counter, Doc: "arrivals not started because maxVusers were running"},
	{Name: MetricVUsersCancelled, Kind: Counter, Doc: "VUs still running when the grace period after the last phase ended, or at an interrupt"},
	{Name: MetricSessionLength, Kind: Summary, Doc: "how long each VU ran"},
	{Name: MetricArrivalRate, Kind: Rate, Of: MetricVUsersCreated, Doc: "VUs started per second"},
	{Name: MetricEmit, Kind: Counter, Doc: "events emitted"},
	{Name: MetricEmitRate, Kind: Rate, Of: MetricEmit, Doc: "events emitted per second"},
	{Name: MetricResponseTime, Kind: Summary, Doc: "time to an ack or a response; fire-and-forget emits are not timed"},
	{Name: MetricResponseTimeOfEvent, Kind: Summary, Family: true, Doc: "the same, by event name"},
	{Name: MetricErrorAcks, Kind: Counter, Doc: "acks that carry the server's refusal (the first argument an object whose first key is error, like {error: \"overloaded\"}): counted apart from socketio.response_time, as errors of the breaking point"},
	{Name: MetricConnectTime, Kind: Summary, Doc: "time to a namespace's connect"},
	{Name: MetricConnectTimeOf, Kind: Summary, Family: true, Doc: "the same, by the transport in use when it connected (polling or websocket)"},
	{Name: MetricSessions, Kind: Counter, Family: true, Doc: "Engine.IO connections opened (first and reconnections), by the transport of their handshake (polling or websocket)"},
	{Name: MetricUpgrades, Kind: Counter, Doc: "connections opened with polling that upgraded to websocket"},
	{Name: MetricUpgradeFailed, Kind: Counter, Family: true, Doc: "connections whose upgrade to websocket failed and that stayed on polling, by why (http_<status>, no_probe_answer, connection_failed)"},
	{Name: MetricMessagesReceived, Kind: Counter, Doc: "events received from the server"},
	{Name: MetricMessagesReceivedRate, Kind: Rate, Of: MetricMessagesReceived, Doc: "events received per second"},
	{Name: MetricBytesReceived, Kind: Counter, Doc: "bytes of the events received"},
	{Name: MetricDisconnects, Kind: Counter, Family: true, Doc: "disconnects, by reason"},
	{Name: MetricReconnectAttempts, Kind: Counter, Doc: "reconnection attempts"},
	{Name: MetricReconnects, Kind: Counter, Doc: "reconnections that succeeded"},
	{Name: MetricReconnectTime, Kind: Summary, Doc: "time from a namespace's lost connection to its being joined again"},
	{Name: MetricReconnectFlows, Kind: Counter, Doc: "runs of a scenario's onReconnect steps"},
	{Name: MetricEmitsResent, Kind: Counter, Doc: "emits sent again after the reconnection, their connection lost while they were written or waited for their ack"},
	{Name: MetricErrors, Kind: Counter, Family: true, Doc: "failed steps, by error code or message"},
	{Name: MetricHTTPRequests, Kind: Counter, Doc: "HTTP requests sent by HTTP steps"},
	{Name: MetricHTTPRequestRate, Kind: Rate, Of: MetricHTTPRequests, Doc: "HTTP requests sent per second"},
	{Name: MetricHTTPResponses, Kind: Counter, Doc: "HTTP responses received"},
	{Name: MetricHTTPCodes, Kind: Counter, Family: true, Doc: "HTTP responses, by status code"},
	{Name: MetricHTTPResponseTime, Kind: Summary, Doc: "time from sending an HTTP request to its response's headers"},
	{Name: MetricHTTPResponseTimeOf, Kind: Summary, Family: true, Doc: "the same, by step name (or URL as written)"},
	{Name: MetricHTTPDownloadedBytes, Kind: Counter, Doc: "bytes of the HTTP response bodies"},
	{Name: MetricBackendVUsers, Kind: Counter, Family: true, Doc: "VUs that landed on each backend (at their first handshake, and again when a reconnection moved them), with socketio option backend; at most 32 backends, the rest as other"},
	{Name: MetricBackendErrors, Kind: Counter, Family: true, Doc: "failed VUs, by the backend they were on"},
	{Name: MetricBackendDisconnects, Kind: Counter, Family: true, Doc: "disconnects (other than the VU's own), by the backend the VU was on"},
	{Name: MetricBackendResponseTime, Kind: Summary, Family: true, Doc: "socketio.response_time, by the backend the VU was on"},
	{Name: MetricArrivalLag, Kind: Summary, Doc: "actual minus intended start of each VU"},
	{Name: MetricCPU, Kind: Counter, Doc: "CPU time the generator process used, in µs"},
	{Name: MetricEvents, Kind: Counter, Family: true, Doc: "events received, by name, whatever the VU was doing"},
	{Name: MetricUnmatched, Kind: Counter, Family: true, Doc: "events a waitFor or response skipped because they did not match, by name"},
	{Name: MetricWaitTime, Kind: Summary, Family: true, Doc: "how long a waitFor waited for its events, by event"},
	{Name: MetricListened, Kind: Counter, Family: true, Doc: "events a listen: listener matched, by name"},
	{Name: MetricDeliveryTime, Kind: Summary, Doc: "traced messages: receive instant minus send instant, at every recipient"},
	{Name: MetricDeliveryTime + ".", Kind: Summary, Family: true, Doc: "the same, by event received"},
	{Name: MetricExpected, Kind: Counter, Doc: "traced messages: recipients expected (group members at send time, less those who left before the deadline)"},
	{Name: MetricExpected + ".", Kind: Counter, Family: true, Doc: "the same, by event emitted"},
	{Name: MetricDelivered, Kind: Counter, Doc: "expected recipients that received their message before its deadline (config.timeout)"},
	{Name: MetricDelivered + ".", Kind: Counter, Family: true, Doc: "the same, by event emitted"},
	{Name: MetricMissing, Kind: Counter, Doc: "expected recipients that did not"},
	{Name: MetricMissing + ".", Kind: Counter, Family: true, Doc: "the same, by event emitted"},
	{Name: MetricDuplicates, Kind: Counter, Doc: "receipts of a traced message by a recipient that had it already"},
	{Name: MetricDuplicates + ".", Kind: Counter, Family: true, Doc: "the same, by event emitted"},
	{Name: MetricReach, Kind: Ratio, Of: MetricDelivered, Per: MetricExpected, Doc: "percent of the expected recipients reached: 100 × delivered / expected"},
	{Name: MetricReach + ".", Kind: Ratio, Family: true, Of: MetricDelivered + ".", Per: MetricExpected + ".", Doc: "the same, by event emitted"},
	{Name: MetricLate, Kind: Counter, Doc: "receipts of traced messages of this process after their deadline"},
	{Name: MetricClockSkewed, Kind: Counter, Doc: "receipts stamped before their send: another machine's clock is ahead"},
	{Name: MetricTracesUnfollowed, Kind: Counter, Doc: "traced emits whose reach was not followed (too many awaiting their deadline)"},
}

// Rates maps each rate the engine's snapshots report to its counter, for
// metrics.Options.Rates.
var Rates = ratesOf(Catalogue)

func ratesOf(catalogue []Metric) map[string]string {
	rates := map[string]string{}
	for _, m := range catalogue {
		if m.Kind == Rate {
			rates[m.Name] = m.Of
		}
	}
	return rates
}

// MetricSuffix turns free text (a disconnect reason, an event name) into
// the suffix of a family's name: trimmed, spaces become underscores so the
// name can be written in a check's expression.
func MetricSuffix(s string) string {
	return strings.ReplaceAll(strings.TrimSpace(s), " ", "_")
}

// ResponseTimeOf is the name of the response time of event.
func ResponseTimeOf(event string) string { return MetricResponseTimeOfEvent + MetricSuffix(event) }

// MetricsFor returns the metrics a run of script can record: Catalogue with
// vusers.created_by_name and socketio.response_time.<event> resolved to the
// names of script's scenarios and of the events its flows time. The
// response time of an event is left a family when an event's name is
// templated; errors.* and socketio.disconnects.* stay families.
func MetricsFor(script *scenario.Script) []Metric {
	var out []Metric
	for _, m := range Catalogue {
		switch m.Name {
		case MetricVUsersCreatedByName:
			for i := range script.Scenarios {
				out = append(out, Metric{Name: m.Name + script.ScenarioName(i), Kind: m.Kind, Doc: m.Doc})
			}
		case MetricResponseTimeOfEvent:
			events, templated := timedEvents(script)
			for _, e := range events {
				out = append(out, Metric{Name: ResponseTimeOf(e), Kind: m.Kind, Doc: m.Doc})
			}
			if templated {
				out = append(out, m)
			}
		case MetricHTTPResponseTimeOf:
			for _, name := range httpStepNames(script) {
				out = append(out, Metric{Name: HTTPResponseTimeOf(name), Kind: m.Kind, Doc: m.Doc})
			}
		default:
			out = append(out, m)
		}
	}
	return out
}

// timedEvents returns the events of the emits that wait for an ack or a
// response, in every scenario's flow, and whether one of them is templated
// (its name known only at run time).
func timedEvents(script *scenario.Script) (events []string, templated bool) {
	for st := range script.Steps() {
		emit, ok := st.(*scenario.EmitStep)
		if !ok || emit.Acknowledge == nil && emit.Response == nil {
			continue
		}
		event, static := emit.Event.Static()
		if s, isString := event.(string); static && isString {
			events = append(events, s)
		} else {
			templated = true
		}
	}
	return events, templated
}

// Matches reports whether name is m's name, or one of its family's.
func (m Metric) Matches(name string) bool {
	if !m.Family {
		return name == m.Name
	}
	return len(name) > len(m.Name) && strings.HasPrefix(name, m.Name)
}
