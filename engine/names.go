package engine

import "strings"

// Metric names recorded by the engine; see the package documentation.
const (
	MetricVUsersCreated       = "vusers.created"
	MetricVUsersCreatedByName = "vusers.created_by_name." // + scenario name
	MetricVUsersCompleted     = "vusers.completed"
	MetricVUsersFailed        = "vusers.failed"
	MetricVUsersSkipped       = "vusers.skipped"
	MetricVUsersCancelled     = "vusers.cancelled"
	MetricSessionLength       = "vusers.session_length"

	MetricEmit              = "socketio.emit"
	MetricEmitRate          = "socketio.emit_rate"
	MetricResponseTime      = "socketio.response_time"
	MetricConnectTime       = "socketio.connect_time"
	MetricMessagesReceived  = "socketio.messages_received"
	MetricBytesReceived     = "socketio.bytes_received"
	MetricDisconnects       = "socketio.disconnects." // + reason
	MetricReconnectAttempts = "socketio.reconnect_attempts"
	MetricReconnects        = "socketio.reconnects"
	MetricErrors            = "errors." // + code

	MetricArrivalLag = "engine.arrival_lag"
	MetricCPU        = "engine.cpu_us"
)

// Rates maps each rate the engine's snapshots report to its counter, for
// metrics.Options.Rates.
var Rates = map[string]string{
	MetricEmitRate:                    "socketio.emit",
	"vusers.arrival_rate":             MetricVUsersCreated,
	"socketio.messages_received_rate": MetricMessagesReceived,
}

// metricSuffix turns free text (a disconnect reason, an event name) into a
// metric name segment: spaces become underscores so the name can be used in
// threshold expressions.
func metricSuffix(s string) string {
	return strings.ReplaceAll(strings.TrimSpace(s), " ", "_")
}
