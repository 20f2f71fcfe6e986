package scenario

import (
	"fmt"
	"net/netip"
	"time"
)

// Script is a loaded scenario file: what the engine runs. Load returns it
// fully validated and with every default applied, so a consumer never has
// to look at YAML or guess a default. A Script is immutable after Load and
// safe to share between goroutines; per-VU state (variables, captures,
// random numbers) lives in a Context the engine owns.
type Script struct {
	// Path is the file as given to Load; Dir the directory that relative
	// paths in it (payload files) are resolved against.
	Path string
	Dir  string
	// Environment is the name chosen with -e, or "" (it is $environment).
	Environment string
	// Environments lists the names under config.environments, in file order.
	Environments []string
	Config       Config
	Scenarios    []Scenario
	// Warnings are findings that do not stop the file from running (an
	// option that belongs elsewhere, a processor that is declared but unused).
	Warnings []Diagnostic
	// PathNotes say, for each JSON path of an acknowledge, response or
	// waitFor written in the file, whether Artillery reads it alike.
	PathNotes []PathNote
}

// ScenarioName is the name the i-th scenario (from 0) is known by in
// metrics and reports: its name, or "scenario <i+1>" when it has none.
func (s *Script) ScenarioName(i int) string {
	if name := s.Scenarios[i].Name; name != "" {
		return name
	}
	return fmt.Sprintf("scenario %d", i+1)
}

// Config is the config: section after environments and overrides are merged.
type Config struct {
	Target    string // as written, e.g. "http://localhost:3000"; never empty
	TargetPos Pos
	// NamespacePrefix is the path written in target ("/admin" for
	// "https://host/admin"), "" when there is none. Artillery connects to
	// target + namespace, so that path prefixes every namespace: use
	// Config.Namespace to get the namespace to connect to.
	NamespacePrefix string
	Phases          []Phase // never empty
	// Timeout bounds a response, an acknowledgement and a waitFor step
	// (config.timeout, seconds; default 10 s). Artillery applies it to
	// responses only; here a lost ack fails the step instead of hanging.
	Timeout time.Duration
	// SocketIO holds the client options of config.socketio merged with
	// config.engines.socketio-v3 (and, with a warning, config.engines.socketio).
	// Each Scenario carries its own merged copy: use Scenario.SocketIO.
	SocketIO SocketIOOptions
	// HTTP holds config.http and the default headers of HTTP steps.
	HTTP HTTPConfig
	// Engines lists the engines enabled under config.engines ("socketio-v3").
	Engines []string
	// TLS: RejectUnauthorized is false when certificate errors are ignored.
	TLS TLS
	// Payloads are the CSV files of config.payload, loaded.
	Payloads []*Payload
	// Variables maps a name to its values; a VU gets one chosen at random
	// (a single value is a list of one). Values may be templates.
	Variables map[string][]*Template
	// Defaults holds config.defaults.think.jitter, applied to think steps
	// that have no jitter of their own.
	DefaultJitter *Jitter
	// Checks are the checks of config.ensure, then of config.plugins.ensure
	// (Artillery reads both), in file order.
	Checks []EnsureCheck
	// BreakingPoint holds the thresholds of config.plugins.breakingPoint.
	BreakingPoint BreakingPoint
	// Processor is the JavaScript file named by config.processor; it never
	// runs here (see Warnings).
	Processor string
}

// TLS holds config.tls.
type TLS struct {
	RejectUnauthorized bool // default true
}

// ArrivalMode says how arrivals are spaced inside a phase.
type ArrivalMode int

const (
	// ModeUniform spaces arrivals evenly (Artillery's default).
	ModeUniform ArrivalMode = iota
	// ModePoisson draws exponential gaps with the same mean rate.
	ModePoisson
)

func (m ArrivalMode) String() string {
	if m == ModePoisson {
		return "poisson"
	}
	return "uniform"
}

// Phase is one entry of config.phases. Exactly one of these shapes holds:
//   - Pause > 0: no arrivals for Pause (Duration == Pause);
//   - ArrivalCount > 0: that many arrivals spread evenly over Duration;
//   - RampTo set (HasRampTo): the rate goes linearly from ArrivalRate to RampTo;
//   - otherwise a constant ArrivalRate (VUs per second) for Duration.
//
// The arrival instants themselves are computed by package phases.
type Phase struct {
	Pos          Pos
	Name         string
	Duration     time.Duration // > 0
	ArrivalRate  float64       // VUs per second, >= 0
	RampTo       float64
	HasRampTo    bool
	ArrivalCount int
	Pause        time.Duration
	MaxVusers    int // 0 = no cap
	Mode         ArrivalMode
}

// ServerVersion is the major version of the socket.io server under test,
// set with config.socketio.serverVersion. Version 2 servers speak Engine.IO
// protocol 3 and Socket.IO protocol 4; versions 3 and 4 speak Engine.IO 4
// and Socket.IO 5. Unset (ServerVersionUnset), the server's handshake
// decides (see engine's Probe); until then 4 is assumed.
type ServerVersion int

// ServerVersionUnset is the ServerVersion of options that do not name one.
const ServerVersionUnset ServerVersion = 0

// EngineIOProtocol returns the Engine.IO protocol revision (3 or 4).
func (v ServerVersion) EngineIOProtocol() int {
	if v == 2 {
		return 3
	}
	return 4
}

// SocketIOOptions are socket.io-client's options as the scenario sets them,
// with socket.io-client's defaults where it does not.
type SocketIOOptions struct {
	// Transports in order; the default is ["polling", "websocket"]
	// (polling first, then upgrade). ["websocket"] connects directly.
	Transports []string
	Path       string // default "/socket.io"
	// Query is added to the connection URL. Values may be templates
	// (rendered per VU, e.g. from a CSV row). A query string is split into
	// its pairs at load.
	Query []KeyTemplate
	// ExtraHeaders are sent with the handshake (and every polling request).
	ExtraHeaders []KeyTemplate
	// Auth is the CONNECT payload (Socket.IO v5 / socket.io 3+); nil for none.
	Auth *Template
	// ConnectTimeout bounds the connection (option "timeout"; default 20 s).
	ConnectTimeout       time.Duration
	Reconnection         bool          // default true, as socket.io-client; drops and reconnections are counted
	ReconnectionAttempts int           // 0 = unlimited, as Infinity in socket.io-client
	ReconnectionDelay    time.Duration // default 1 s
	ReconnectionDelayMax time.Duration // default 5 s
	RandomizationFactor  float64       // default 0.5
	// FailWhileReconnecting makes an emit whose connection was lost fail
	// at once (errors.not connected) instead of waiting for the
	// reconnection, up to config.timeout, and being sent then, as
	// socket.io-client buffers it (emitWhileReconnecting: fail; the
	// default is wait).
	FailWhileReconnecting bool
	// Backend says how to name the backend each VU landed on behind a
	// load balancer (socketio option backend); zero when not named.
	Backend Backend
	// ForceNew opens a separate Engine.IO connection per namespace instead
	// of multiplexing them over one (forceNew: true or multiplex: false).
	ForceNew      bool
	ServerVersion ServerVersion
	// SendOverMaxPayload sends emits larger than the server's announced
	// maxPayload instead of refusing them (sendOverMaxPayload: true), to
	// test how the server treats them.
	SendOverMaxPayload bool
	// SourceAddresses are local addresses that new connections rotate over
	// (sourceAddresses: "127.0.0.1-127.0.0.8"), so that one machine holds
	// more connections to one target address than one source address has
	// ephemeral ports. Read from config.socketio for the whole run.
	SourceAddresses []netip.Addr
	Pos             Pos // where the options were set (config.socketio), for errors at run time
}

// KeyTemplate is a name and a templated value, in file order.
type KeyTemplate struct {
	Key   string
	Value *Template
}

// Scenario is one entry of scenarios:.
type Scenario struct {
	Pos    Pos
	Name   string // "" when the file names none; Plan shows "scenario N"
	Weight int    // >= 0; default 1; a VU picks a scenario with probability Weight/sum
	Engine string // "socketio" or "socketio-v3"; both speak to any server version
	// SocketIO is the complete client options for this scenario: config's,
	// then the scenario's own socketio: keys, each replacing the whole value
	// of the same key (as Artillery does).
	SocketIO SocketIOOptions
	// ConnectAtStart is true unless the flow starts with a connect step for
	// the main namespace "/" or with an HTTP step: as in Artillery, the VU
	// connects "/" before its first step, except that a flow which logs in
	// over HTTP first connects at its first Socket.IO step (with the
	// captures and cookies of the login), as the socketio-v3 engine opens
	// every connection.
	ConnectAtStart bool
	Flow           []Step
	// OnReconnect are steps run after every reconnection of the VU's
	// connection, once its namespaces are joined again (scenario key
	// onReconnect), as a client re-joins its rooms in socket.on("connect").
	// They run on the VU between the flow's steps, or while the flow
	// thinks or waits for events; a failure fails the VU.
	OnReconnect []Step
	// Listen are the events the VU listens for during its whole life,
	// whatever step it is in (listen:).
	Listen []Listener
}

// Listener is an event a VU listens for from the moment a namespace
// connects until the VU ends: each event that passes Check's args/data and
// match is counted (socketio.listened.<event>) and its captures are stored
// in the VU's variables before its next step. Traced events are timed by
// every VU whether or not it listens; Trace false leaves this event's
// traces unrecorded by this scenario's VUs.
type Listener struct {
	Pos       Pos
	Namespace *Template // default "/"
	Event     *Template
	Trace     bool // default true
	Check
}

// Step is one step of a flow: *EmitStep, *ThinkStep, *LoopStep, *LogStep,
// *ConnectStep, *WaitForStep or *HTTPStep. Switch on the type.
type Step interface {
	// Position returns where the step starts in the file.
	Position() Pos
	isStep()
}

// EmitStep emits an event on a namespace; when Acknowledge is set it waits
// for the ack and checks it, and when Response is set it waits for that
// event and checks it. Both may be set: both are checked, and the step ends
// when both have arrived (each within the step timeout).
type EmitStep struct {
	Pos Pos
	// Namespace is "/" unless the step says otherwise (a template).
	Namespace *Template
	Event     *Template // renders to a string; never empty
	// Args are the event's arguments: emit: {channel, data} gives [data],
	// and [null] when data is absent, as Artillery sends it; emit: [event,
	// a, b] gives [a, b], and emit: [event] none.
	Args        []*Template
	Acknowledge *Check // nil: fire and forget, no ack requested
	Response    *Response
	// Reconnect closes the namespace's connection and opens a new one
	// before emitting (reconnect: true of the socketio-v3 engine).
	Reconnect bool
	// To names the group the emit is meant for (to:), e.g. the room the
	// server broadcasts it to: each {{ $trace }} in Args then expects every
	// member of that group at send time, the sender only with
	// IncludeSender (as io.to(room) rather than socket.to(room)).
	To            *Template
	IncludeSender bool
	// JoinGroup makes the VU a member of that group once the emit (and its
	// ack) succeeded (joinGroup:); LeaveGroup ends its membership before
	// the emit (leaveGroup:). A VU leaves every group when its connection
	// drops or it ends.
	JoinGroup  *Template
	LeaveGroup *Template
}

// Traced reports whether the emit's payload carries a {{ $trace }}.
func (s *EmitStep) Traced() bool {
	for _, a := range s.Args {
		if a.UsesTrace() {
			return true
		}
	}
	return false
}

// Response is an event expected after an emit.
type Response struct {
	Event *Template // response.channel or response.on
	Check
	// Concat compares a string Args to all received arguments joined.
	Concat bool
}

// ArgsMode says how Check.Args is compared with what arrived.
type ArgsMode int

const (
	ArgsNone      ArgsMode = iota // no args/data check
	ArgsAll                       // a list: deep-equals the list of all arguments
	ArgsLast                      // an object (or number, bool): deep-equals the last argument
	ArgsSubstring                 // a string: is a substring of the last argument (or of all joined, with Concat)
)

// Check is what an ack, a response or a waited-for event must satisfy, and
// what to capture from it. JSONPath expressions apply to the list of the
// event's arguments: $.0 (or $[0]) is the first.
type Check struct {
	Pos      Pos
	Args     *Template
	ArgsMode ArgsMode
	Match    []Match
	Capture  []Capture
}

// Match compares the value at JSON with Value (rendered). Values compare
// as JSON (deep equality); a string Value also matches a number or boolean
// with that text, since YAML scenarios often write "42" for 42.
type Match struct {
	Pos   Pos
	JSON  *JSONPath // defaults to $.0
	Value *Template
}

// Capture stores the value at JSON in the VU's variable As.
type Capture struct {
	Pos  Pos
	JSON *JSONPath
	As   string
	// Strict fails the VU when nothing is found (default true, as Artillery).
	Strict bool
}

// ThinkStep pauses the VU.
type ThinkStep struct {
	Pos      Pos
	Duration *Template // seconds (number) or a duration string; use ThinkDuration
	Jitter   *Jitter   // nil: none (Config.DefaultJitter may apply)
}

// Jitter randomises a think time: either a percentage of it or an absolute
// amount, applied as ± uniformly.
type Jitter struct {
	Percent float64       // e.g. 20 for "20%"
	Amount  time.Duration // used when Percent is 0
}

// LoopCount is how many times a loop runs: From..To-1 ($loopCount goes
// from From while below To, as Artillery counts "1-15"). Forever when To < 0.
type LoopCount struct {
	From, To int
}

// LoopStep repeats Steps: Count times, or once per element of Over (a
// literal list or the name of a variable holding one), or forever when
// neither is set. $loopCount (or LoopValue) and $loopElement (or
// LoopElement) are set in the VU's variables at each iteration.
type LoopStep struct {
	Pos         Pos
	Steps       []Step
	Count       *Template // nil when absent; renders to a number or "a-b"; see ParseLoopCount
	Over        []*Template
	OverVar     string // the variable holding the list, when over: names one
	LoopValue   string // default "$loopCount"
	LoopElement string // default "$loopElement"
}

// LogStep prints a message (a template) to the run's log.
type LogStep struct {
	Pos     Pos
	Message *Template
}

// ConnectStep connects a namespace with options of its own, e.g. auth or
// query rendered from the VU's CSV row. Options are complete: the
// scenario's options with the step's keys replacing theirs. A connect for
// "/" as the first step replaces the connection Artillery opens at start.
type ConnectStep struct {
	Pos       Pos
	Namespace *Template // default "/"
	Options   SocketIOOptions
}

// WaitForStep waits, without emitting, for Count events named Event on
// Namespace, each checked like a response. Events received on the namespace
// since it connected (or since the previous waitFor of the same event)
// count, so a push that arrives while earlier steps run is not missed.
// It fails after Timeout (default: config.timeout).
type WaitForStep struct {
	Pos       Pos
	Namespace *Template
	Event     *Template
	Count     int // >= 1
	Timeout   time.Duration
	Check
}

func (s *EmitStep) Position() Pos    { return s.Pos }
func (s *ThinkStep) Position() Pos   { return s.Pos }
func (s *LoopStep) Position() Pos    { return s.Pos }
func (s *LogStep) Position() Pos     { return s.Pos }
func (s *ConnectStep) Position() Pos { return s.Pos }
func (s *WaitForStep) Position() Pos { return s.Pos }

func (*EmitStep) isStep()    {}
func (*ThinkStep) isStep()   {}
func (*LoopStep) isStep()    {}
func (*LogStep) isStep()     {}
func (*ConnectStep) isStep() {}
func (*WaitForStep) isStep() {}

var (
	_ Step = (*EmitStep)(nil)
	_ Step = (*ThinkStep)(nil)
	_ Step = (*LoopStep)(nil)
	_ Step = (*LogStep)(nil)
	_ Step = (*ConnectStep)(nil)
	_ Step = (*WaitForStep)(nil)
)

// DataKind is the kind of a Data value.
type DataKind int

const (
	DataNull DataKind = iota
	DataScalar
	DataList
	DataMap
)

// Data is YAML data kept whole with positions (ensure, plugins), for
// consumers that interpret it later and want to point at its lines.
type Data struct {
	Pos    Pos
	Kind   DataKind
	Scalar any     // string, int64, float64 or bool when Kind == DataScalar
	List   []*Data // Kind == DataList
	Keys   []string
	Values []*Data // Kind == DataMap: Values[i] is the value of Keys[i]
}

// Get returns the value of key in a map, or nil.
func (d *Data) Get(key string) *Data {
	if d == nil || d.Kind != DataMap {
		return nil
	}
	for i, k := range d.Keys {
		if k == key {
			return d.Values[i]
		}
	}
	return nil
}

// Traced reports whether any emit of the script carries a {{ $trace }}.
func (s *Script) Traced() bool {
	for i := range s.Scenarios {
		if stepsTraced(s.Scenarios[i].Flow) {
			return true
		}
	}
	return false
}

func stepsTraced(steps []Step) bool {
	for _, st := range steps {
		switch st := st.(type) {
		case *EmitStep:
			if st.Traced() {
				return true
			}
		case *LoopStep:
			if stepsTraced(st.Steps) {
				return true
			}
		}
	}
	return false
}

// Backend names where the backend of a VU is read from (socketio option
// backend: {cookie: SERVERID}, {header: X-Backend} or {capture: node}).
type Backend struct {
	// Cookie is the sticky cookie of the load balancer; its value names
	// the backend (read at each handshake, first and reconnections).
	Cookie string
	// Header is a response header of the handshake naming the backend.
	Header string
	// Capture is a VU variable (set by a capture) naming the backend.
	Capture string
}

// IsSet reports whether backends are named.
func (b Backend) IsSet() bool { return b.Cookie != "" || b.Header != "" || b.Capture != "" }
