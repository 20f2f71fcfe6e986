package scenario

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// mustLoad parses a scenario held in a string.
func mustLoad(t testing.TB, src string, opts ...Options) *Script {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	s, err := Parse(filepath.Join(t.TempDir(), "test.yml"), []byte(src), o)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return s
}

// loadErrors parses a scenario that must be invalid and returns its errors.
func loadErrors(t *testing.T, src string, opts ...Options) string {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	_, err := Parse("test.yml", []byte(src), o)
	var invalid *Error
	if !errors.As(err, &invalid) {
		t.Fatalf("Parse = %v, want a *scenario.Error", err)
	}
	return invalid.Error()
}

const head = `
config:
  target: "http://localhost:3000"
  phases:
    - duration: 10
      arrivalRate: 1
`

func TestEmitForms(t *testing.T) {
	s := mustLoad(t, head+`
scenarios:
  - engine: socketio
    flow:
      - emit: ["chat", "hi", 42, 1.5, true, null, {a: 1}, [1, 2]]
      - emit: {channel: "solo"}
      - emit: ["no-args"]
      - namespace: "/chat"
        emit:
          channel: "{{ event }}"
          data: "{{ payload }}"
`)
	flow := s.Scenarios[0].Flow
	e := flow[0].(*EmitStep)
	var args []any
	for _, a := range e.Args {
		args = append(args, a.Render(nil))
	}
	want := []any{"hi", int64(42), 1.5, true, nil, map[string]any{"a": int64(1)}, []any{int64(1), int64(2)}}
	if ev(e.Event) != "chat" || !reflect.DeepEqual(args, want) {
		t.Errorf("list emit: %q %#v", ev(e.Event), args)
	}
	// Artillery sends the object form without data as ["solo", null].
	if e := flow[1].(*EmitStep); ev(e.Event) != "solo" || len(e.Args) != 1 || e.Args[0].Render(nil) != nil {
		t.Errorf("emit without data has %d args, want [null]", len(e.Args))
	}
	if e := flow[2].(*EmitStep); len(e.Args) != 0 {
		t.Errorf("emit [event] has %d args", len(e.Args))
	}
	e = flow[3].(*EmitStep)
	ctx := &Context{Vars: map[string]any{"event": "msg", "payload": map[string]any{"x": 1}}}
	if ev(e.Namespace) != "/chat" || RenderString(e.Event, ctx) != "msg" || !reflect.DeepEqual(e.Args[0].Render(ctx), map[string]any{"x": 1}) {
		t.Errorf("templated emit: %+v", e)
	}
}

func TestAcknowledgeAndResponse(t *testing.T) {
	s := mustLoad(t, head+`
scenarios:
  - engine: socketio
    flow:
      - emit: ["echo", "a", "b"]
        acknowledge:
          args: ["a", "b"]
      - emit: ["get"]
        acknowledge:
          data: {ok: true}
          capture:
            - json: "$.0.id"
              as: "id"
            - json: "$[0].name"
              as: "name"
              strict: false
      - emit: ["ping"]
        acknowledge:
          match:
            - json: "$.0"
              value: "pong"
            - value: "pong"
      - emit: ["join", "lobby"]
        response:
          on: "joined"
          data: "lobby"
          concat: true
        acknowledge: {}
      - emit: ["x"]
        acknowledge:
      - emit: ["y"]
        acknowledge: true
      - emit: ["z"]
        acknowledge: false
`)
	flow := s.Scenarios[0].Flow
	a := flow[0].(*EmitStep).Acknowledge
	if a.ArgsMode != ArgsAll || !reflect.DeepEqual(a.Args.Render(nil), []any{"a", "b"}) {
		t.Errorf("ack args: %v %v", a.ArgsMode, a.Args.Render(nil))
	}
	a = flow[1].(*EmitStep).Acknowledge
	if a.ArgsMode != ArgsLast || len(a.Capture) != 2 || a.Capture[0].As != "id" || !a.Capture[0].Strict || a.Capture[1].Strict || a.Capture[1].JSON.String() != "$[0].name" {
		t.Errorf("ack data/capture: %+v", a)
	}
	a = flow[2].(*EmitStep).Acknowledge
	if len(a.Match) != 2 || a.Match[1].JSON.String() != "$.0" {
		t.Errorf("ack match list: %+v", a.Match)
	}
	both := flow[3].(*EmitStep)
	if both.Response == nil || both.Acknowledge == nil || ev(both.Response.Event) != "joined" || !both.Response.Concat || both.Response.ArgsMode != ArgsSubstring {
		t.Errorf("ack and response on one step: %+v", both)
	}
	if a := flow[4].(*EmitStep).Acknowledge; a == nil || a.ArgsMode != ArgsNone {
		t.Errorf("empty acknowledge should still wait for the ack: %+v", a)
	}
	if a := flow[5].(*EmitStep).Acknowledge; a == nil || a.ArgsMode != ArgsNone {
		t.Errorf("acknowledge: true should wait for the ack: %+v", a)
	}
	if a := flow[6].(*EmitStep).Acknowledge; a != nil {
		t.Errorf("acknowledge: false asks for no ack: %+v", a)
	}
}

func TestThinkLoopLogConnectWaitFor(t *testing.T) {
	s := mustLoad(t, `
config:
  target: "http://localhost:3000"
  phases:
    - duration: 10
      arrivalRate: 1
  timeout: 7
  defaults:
    think:
      jitter: "10%"
  variables:
    rooms: [["a", "b"]]
    n: 3
  socketio:
    transports: ["websocket"]
    query: "v=1&client={{ $uuid }}"
    auth: {token: "config"}
scenarios:
  - engine: socketio
    socketio:
      extraHeaders: {x-scenario: "one"}
    flow:
      - connect:
          auth: {token: "{{ token }}"}
          query: {room: "{{ room }}"}
      - think: "500ms"
        jitter: 200
      - think: 2.5
      - loop:
          - emit: ["tick", "{{ $loopCount }}"]
          - loop:
              - log: "inner {{ $loopElement }}"
            over: ["x", "y"]
        count: "1-15"
      - loop:
          - log: "room {{ room }}"
        over: rooms
        loopElement: room
      - loop:
          - think: 1
        count: "{{ n }}"
      - loop:
          - think: 1
      - waitFor:
          event: "news"
          count: 3
          timeout: "2s"
          match: {json: "$.0.kind", value: "breaking"}
        namespace: "/feed"
      - waitFor: "bye"
      - connect:
          namespace: "/admin"
          auth: {token: "admin"}
`)
	if s.Config.Timeout != 7*time.Second || s.Config.DefaultJitter == nil || s.Config.DefaultJitter.Percent != 10 {
		t.Errorf("config: timeout %v jitter %+v", s.Config.Timeout, s.Config.DefaultJitter)
	}
	sc := s.Scenarios[0]
	if sc.ConnectAtStart {
		t.Error("a flow starting with connect to / must not connect at start")
	}
	if got := sc.SocketIO; !reflect.DeepEqual(got.Transports, []string{"websocket"}) || len(got.Query) != 2 || got.Query[0].Key != "v" || len(got.ExtraHeaders) != 1 {
		t.Errorf("scenario options: %+v", got)
	}
	flow := sc.Flow
	c := flow[0].(*ConnectStep)
	ctx := &Context{Vars: map[string]any{"token": "t1", "room": "r1"}}
	if !reflect.DeepEqual(c.Options.Auth.Render(ctx), map[string]any{"token": "t1"}) || len(c.Options.Query) != 1 || RenderString(c.Options.Query[0].Value, ctx) != "r1" || len(c.Options.ExtraHeaders) != 1 {
		t.Errorf("connect options: %+v", c.Options)
	}
	th := flow[1].(*ThinkStep)
	if mustDuration(t, th) != 500*time.Millisecond || th.Jitter == nil || th.Jitter.Amount != 200*time.Millisecond {
		t.Errorf("think 500ms jitter 200: %v %+v", mustDuration(t, th), th.Jitter)
	}
	if d := mustDuration(t, flow[2].(*ThinkStep)); d != 2500*time.Millisecond {
		t.Errorf("think 2.5 = %v", d)
	}
	l := flow[3].(*LoopStep)
	count, _ := l.Count.Static()
	lc, err := ParseLoopCount(count)
	if err != nil || lc != (LoopCount{From: 1, To: 15}) || len(l.Steps) != 2 {
		t.Errorf("range loop: %v %v %d steps", lc, err, len(l.Steps))
	}
	inner := l.Steps[1].(*LoopStep)
	if len(inner.Over) != 2 || inner.Count != nil {
		t.Errorf("inner loop over list: %+v", inner)
	}
	if l := flow[4].(*LoopStep); l.OverVar != "rooms" || l.LoopElement != "room" {
		t.Errorf("loop over variable: %+v", l)
	}
	if l := flow[5].(*LoopStep); l.Count == nil || l.Count.IsStatic() {
		t.Errorf("templated count: %+v", l)
	}
	if l := flow[6].(*LoopStep); l.Count != nil || len(l.Over) != 0 {
		t.Errorf("loop forever: %+v", l)
	}
	w := flow[7].(*WaitForStep)
	if ev(w.Event) != "news" || w.Count != 3 || w.Timeout != 2*time.Second || ev(w.Namespace) != "/feed" || len(w.Match) != 1 {
		t.Errorf("waitFor: %+v", w)
	}
	if w := flow[8].(*WaitForStep); ev(w.Event) != "bye" || w.Count != 1 || w.Timeout != 7*time.Second {
		t.Errorf("waitFor shorthand: %+v", w)
	}
	if c := flow[9].(*ConnectStep); ev(c.Namespace) != "/admin" {
		t.Errorf("connect namespace: %+v", c)
	}
}

func TestSocketIOOptionLayers(t *testing.T) {
	s := mustLoad(t, `
config:
  target: "https://example.com"
  phases: [{duration: 1, arrivalRate: 1}]
  tls:
    rejectUnauthorized: false
  socketio:
    path: "/ws"
    timeout: 5000
    query: {a: "1"}
    serverVersion: 2
  engines:
    socketio-v3:
      transports: ["websocket"]
      query: {b: "2"}
      reconnection: true
      reconnectionAttempts: 3
      reconnectionDelay: 250
      multiplex: false
scenarios:
  - name: first
    engine: socketio-v3
    socketio:
      path: "/other"
    flow: [{think: 1}]
  - name: second
    engine: socketio-v3
    flow: [{think: 1}]
`)
	a, b := s.Scenarios[0].SocketIO, s.Scenarios[1].SocketIO
	if a.Path != "/other" || b.Path != "/ws" {
		t.Errorf("scenario override leaked or missing: %q %q", a.Path, b.Path)
	}
	if b.ConnectTimeout != 5*time.Second || !b.Reconnection || b.ReconnectionAttempts != 3 || b.ReconnectionDelay != 250*time.Millisecond || !b.ForceNew {
		t.Errorf("options: %+v", b)
	}
	if len(b.Query) != 1 || b.Query[0].Key != "b" {
		t.Errorf("engines.socketio-v3 query should replace config.socketio's: %+v", b.Query)
	}
	if b.ServerVersion != 2 || b.ServerVersion.EngineIOProtocol() != 3 || s.Config.TLS.RejectUnauthorized {
		t.Errorf("server version %d, tls %+v", b.ServerVersion, s.Config.TLS)
	}
	d := defaultSocketIOOptions()
	if d.ServerVersion.EngineIOProtocol() != 4 || !d.Reconnection || !reflect.DeepEqual(d.Transports, []string{"polling", "websocket"}) {
		t.Errorf("defaults: %+v", d)
	}
}

func TestEnginesSocketioOptionsWarn(t *testing.T) {
	s := mustLoad(t, `
config:
  target: "http://localhost:3000"
  phases: [{duration: 1, arrivalRate: 1}]
  engines:
    socketio:
      transports: ["websocket"]
scenarios:
  - engine: socketio
    flow: [{emit: ["a"]}]
`)
	if !reflect.DeepEqual(s.Scenarios[0].SocketIO.Transports, []string{"websocket"}) {
		t.Errorf("options under engines.socketio are not applied: %v", s.Scenarios[0].SocketIO.Transports)
	}
	if len(s.Warnings) != 1 || !strings.Contains(s.Warnings[0].Hint, "config.socketio") {
		t.Errorf("warnings: %v", s.Warnings)
	}
}

func TestPhases(t *testing.T) {
	s := mustLoad(t, `
config:
  target: "http://localhost:3000"
  variables:
    rate: 4
  phases:
    - name: warm up
      duration: "2m"
      arrivalRate: 1
      rampTo: 5
    - pause: 30
    - duration: 500ms
      arrivalCount: 10
      maxVusers: 50
      mode: poisson
    - duration: 1h
      arrivalRate: "{{ rate }}"
    - duration: "{{ $env.DURATION }}"
      arrivalRate: 0.5
scenarios:
  - weight: "{{ rate }}"
    engine: socketio
    flow: [{think: 1}]
  - weight: 0
    engine: socketio
    flow: [{think: 1}]
`, Options{Getenv: func(k string) string { return map[string]string{"DURATION": "20"}[k] }})
	p := s.Config.Phases
	if p[0].Name != "warm up" || p[0].Duration != 2*time.Minute || !p[0].HasRampTo || p[0].RampTo != 5 {
		t.Errorf("ramp: %+v", p[0])
	}
	if p[1].Pause != 30*time.Second || p[1].Duration != 30*time.Second {
		t.Errorf("pause: %+v", p[1])
	}
	if p[2].Duration != 500*time.Millisecond || p[2].ArrivalCount != 10 || p[2].MaxVusers != 50 || p[2].Mode != ModePoisson {
		t.Errorf("count: %+v", p[2])
	}
	if p[3].ArrivalRate != 4 || p[4].Duration != 20*time.Second {
		t.Errorf("templated phases: %+v %+v", p[3], p[4])
	}
	if s.Scenarios[0].Weight != 4 || s.Scenarios[1].Weight != 0 {
		t.Errorf("weights %d %d", s.Scenarios[0].Weight, s.Scenarios[1].Weight)
	}
	pl := s.Plan()
	if pl.Duration != 2*time.Minute+30*time.Second+500*time.Millisecond+time.Hour+20*time.Second {
		t.Errorf("plan: over %v", pl.Duration)
	}
	if pl.Phases[2].Start != 150*time.Second || pl.Scenarios[0].Share != 1 || pl.Scenarios[1].Share != 0 {
		t.Errorf("plan: %+v", pl)
	}
	out := pl.WithArrivals([]float64{360, 0, 10, 14400, 10}).String()
	for _, want := range []string{`1. "warm up" at 0s: ramp 1/s -> 5/s over 2m, about 360 VUs`, "2. at 2m: pause 30s", "10 VUs over 500ms, at most 50 running, poisson", "4/s for 1h"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
}

func TestEnvironmentsOverridesVariables(t *testing.T) {
	src := `
config:
  target: "http://localhost:3000"
  phases:
    - duration: 60
      arrivalRate: 10
  socketio:
    transports: ["polling", "websocket"]
    query: {a: "1", b: "2"}
  variables:
    greeting: "hello"
  environments:
    staging:
      target: "https://staging.example.com"
      socketio:
        transports: ["websocket"]
        query: {b: "3"}
      phases:
        - duration: 5
          arrivalRate: 1
scenarios:
  - engine: socketio
    flow:
      - emit: ["greet", "{{ greeting }} {{ $environment }}"]
`
	s := mustLoad(t, src, Options{Environment: "staging"})
	o := s.Scenarios[0].SocketIO
	if s.Config.Target != "https://staging.example.com" || len(s.Config.Phases) != 1 || s.Config.Phases[0].Duration != 5*time.Second {
		t.Errorf("environment not applied: %+v", s.Config)
	}
	if !reflect.DeepEqual(o.Transports, []string{"websocket"}) {
		t.Errorf("lists replace: %v", o.Transports)
	}
	if len(o.Query) != 2 || RenderString(o.Query[0].Value, nil) != "1" || RenderString(o.Query[1].Value, nil) != "3" {
		t.Errorf("maps merge: %+v", o.Query)
	}
	if s.Environment != "staging" {
		t.Errorf("environment %q", s.Environment)
	}
	s = mustLoad(t, src, Options{
		Overrides: []byte(`{"config": {"phases": [{"duration": 1, "arrivalCount": 2}], "socketio": {"path": "/x"}}}`),
		Variables: []byte(`{"greeting": ["hi", "hey"], "extra": 1}`),
	})
	if len(s.Config.Phases) != 1 || s.Config.Phases[0].ArrivalCount != 2 || s.Scenarios[0].SocketIO.Path != "/x" || len(s.Scenarios[0].SocketIO.Query) != 2 {
		t.Errorf("overrides: %+v", s.Config)
	}
	if g := s.Config.Variables["greeting"]; len(g) != 2 || len(s.Config.Variables["extra"]) != 1 {
		t.Errorf("variables: %+v", s.Config.Variables)
	}
	s = mustLoad(t, src, Options{Overrides: []byte(`{"target": "http://127.0.0.1:9", "socketio": {"path": "/y"}}`)})
	if s.Config.Target != "http://127.0.0.1:9" || s.Scenarios[0].SocketIO.Path != "/y" || len(s.Scenarios[0].SocketIO.Query) != 2 {
		t.Errorf("config-only overrides: %+v", s.Config)
	}
	msg := loadErrors(t, src, Options{Overrides: []byte(`{"config": {"phases": [{"duration": "1x", "arivalRate": 1}]}}`)})
	for _, want := range []string{`--overrides:1:37: error: duration: "1x"`, `unknown key "arivalRate"`, `did you mean "arrivalRate"`} {
		if !strings.Contains(msg, want) {
			t.Errorf("override errors lack %q:\n%s", want, msg)
		}
	}
	if msg := loadErrors(t, src, Options{Overrides: []byte(`[1]`)}); !strings.Contains(msg, "JSON object") {
		t.Errorf("non-object overrides: %s", msg)
	}
}

func TestPayloads(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("users.csv", "name,age,score\nada,36,1.5\n\nbob,007,x\n")
	write("rooms.tsv", "lobby;1\ngames;2\n")
	src := `
config:
  target: "http://localhost:3000"
  phases: [{duration: 1, arrivalRate: 1}]
  payload:
    - path: "users.csv"
      fields: ["name", "age", "score"]
      skipHeader: true
      order: sequence
    - path: "rooms.tsv"
      fields: ["room", "id"]
      delimiter: ";"
      cast: false
      loadAll: true
      name: rooms
scenarios:
  - engine: socketio
    flow:
      - emit: ["hi", "{{ name }}", "{{ age }}", "{{ rooms }}"]
`
	s, err := Parse(filepath.Join(dir, "s.yml"), []byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	users, rooms := s.Config.Payloads[0], s.Config.Payloads[1]
	want := [][]any{{"ada", int64(36), 1.5}, {"bob", "007", "x"}}
	if users.Order != OrderSequence || !reflect.DeepEqual(users.Rows, want) {
		t.Errorf("users: %v %#v", users.Order, users.Rows)
	}
	if !rooms.LoadAll || rooms.Name != "rooms" || !reflect.DeepEqual(rooms.Rows, [][]any{{"lobby", "1"}, {"games", "2"}}) {
		t.Errorf("rooms: %+v", rooms)
	}
	vars := map[string]any{}
	users.Bind(vars, 3)
	rooms.Bind(vars, 0)
	if vars["name"] != "bob" || len(vars["rooms"].([]any)) != 2 {
		t.Errorf("bind: %v", vars)
	}
	if len(s.Warnings) != 0 {
		t.Errorf("payload fields should count as defined: %v", s.Warnings)
	}
}

func TestMergeKeysAndAliases(t *testing.T) {
	s := mustLoad(t, `
x-ping: &ping
  emit: ["ping"]
  acknowledge:
    match: {value: "pong"}
config:
  target: "http://localhost:3000"
  phases: [{duration: 1, arrivalRate: 1}]
  socketio: &opts
    transports: ["websocket"]
scenarios:
  - engine: socketio
    socketio:
      <<: *opts
      path: "/custom"
    flow:
      - *ping
      - <<: *ping
        namespace: "/admin"
`)
	flow := s.Scenarios[0].Flow
	if len(flow) != 2 || flow[1].(*EmitStep).Acknowledge == nil || ev(flow[1].(*EmitStep).Namespace) != "/admin" {
		t.Errorf("flow: %+v", flow)
	}
	if o := s.Scenarios[0].SocketIO; o.Path != "/custom" || !reflect.DeepEqual(o.Transports, []string{"websocket"}) {
		t.Errorf("merged options: %+v", o)
	}
}

// TestArtillery1EmitForm checks the Artillery 1.x form, with response,
// acknowledge and namespace inside emit: it loads, with warnings.
func TestArtillery1EmitForm(t *testing.T) {
	s := mustLoad(t, head+`
scenarios:
  - engine: socketio
    flow:
      - emit:
          channel: "echo"
          data: "hello"
          namespace: "/nsp1"
          response:
            channel: "echoed"
            data: "hello"
      - emit:
          channel: ping
          acknowledge:
            match: {value: pong}
`)
	e := s.Scenarios[0].Flow[0].(*EmitStep)
	if ev(e.Namespace) != "/nsp1" || e.Response == nil || ev(e.Response.Event) != "echoed" {
		t.Errorf("emit: %+v", e)
	}
	if s.Scenarios[0].Flow[1].(*EmitStep).Acknowledge == nil {
		t.Error("acknowledge inside emit was dropped")
	}
	if len(s.Warnings) != 3 || !strings.Contains(s.Warnings[0].Hint, "column 9") {
		t.Errorf("warnings: %v", s.Warnings)
	}
}

func TestMoreErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"empty file", ``, []string{"the file is empty"}},
		{"a list at the top", `- a`, []string{"not a mapping"}},
		{"unknown environment", head + "\nscenarios: [{engine: socketio, flow: [{think: 1}]}]\n", nil},
		{"step that does nothing", head + `
scenarios:
  - engine: socketio
    flow:
      - jitter: 1
`, []string{"this step does nothing"}},
		{"namespace without slash", head + `
scenarios:
  - engine: socketio
    flow:
      - namespace: chat
        emit: ["x"]
`, []string{`a namespace starts with "/"`, `write namespace: "/chat"`}},
		{"capture without as", head + `
scenarios:
  - engine: socketio
    flow:
      - emit: ["x"]
        acknowledge:
          capture: {json: "$.0"}
          match: {json: "$.0"}
`, []string{"capture without as", "match without a value"}},
		{"bad json path", head + `
scenarios:
  - engine: socketio
    flow:
      - emit: ["x"]
        acknowledge:
          capture: {json: "$..*", as: a}
`, []string{"JSON path"}},
		{"response without channel", head + `
scenarios:
  - engine: socketio
    flow:
      - emit: ["x"]
        response: {data: "y"}
`, []string{"response without a channel"}},
		{"unset environment variable", `
config:
  target: "http://localhost:{{ $processEnvironment.SERVER_PORT }}"
  phases: [{duration: 1, arrivalRate: 1}]
scenarios: [{engine: socketio, flow: [{think: 1}]}]
`, []string{"config.target uses the environment variable SERVER_PORT, which is not set", "export SERVER_PORT="}},
		{"bad target scheme", `
config:
  target: "ftp://example.com"
  phases: [{duration: 1, arrivalRate: 1}]
scenarios: [{engine: socketio, flow: [{think: 1}]}]
`, []string{`scheme "ftp"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.want == nil {
				return
			}
			msg := loadErrors(t, tc.src)
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("errors lack %q:\n%s", w, msg)
				}
			}
		})
	}
}
