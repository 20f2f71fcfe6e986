package scenario

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// corpus holds, for each file of testdata/scenarios/valid, what it must
// load to: files in the styles of Artillery's documentation, its own test
// scripts, the socketio-v3 engine's examples and the features users bring.
var corpus = map[string]struct {
	opts  Options
	check func(t *testing.T, s *Script)
}{
	"01-artillery-docs-echo.yml": {check: func(t *testing.T, s *Script) {
		f := flow(t, s, 0, 6)
		e := f[0].(*EmitStep)
		expect(t, "first emit", ev(e.Event) == "echo" && e.Args[0].Render(nil) == "hello" && e.Response != nil &&
			ev(e.Response.Event) == "echoed" && e.Response.ArgsMode == ArgsSubstring && e.Acknowledge == nil)
		expect(t, "fire and forget", f[3].(*EmitStep).Response == nil)
		expect(t, "namespace", ev(f[4].(*EmitStep).Namespace) == "/nsp1")
		expect(t, "phase", s.Config.Phases[0].ArrivalRate == 25 && s.Scenarios[0].Name == "Echo")
	}},
	"02-artillery1-inside-emit.yml": {check: func(t *testing.T, s *Script) {
		f := flow(t, s, 0, 3)
		e := f[1].(*EmitStep)
		expect(t, "response inside emit", f[0].(*EmitStep).Response != nil && e.Response != nil && ev(e.Namespace) == "/nsp1")
		expect(t, "warnings", len(s.Warnings) == 3)
	}},
	"03-emit-args.yml": {check: func(t *testing.T, s *Script) {
		f := flow(t, s, 0, 5)
		r := f[1].(*EmitStep).Response
		expect(t, "response args and matches", ev(r.Event) == "message_response" && r.ArgsMode == ArgsAll && len(r.Match) == 2 && r.Match[1].JSON.String() == "$.3")
		expect(t, "ack list", f[2].(*EmitStep).Acknowledge.ArgsMode == ArgsAll)
		expect(t, "ack object", f[3].(*EmitStep).Acknowledge.ArgsMode == ArgsLast)
		args := renderAll(f[4].(*EmitStep).Args)
		want := []any{int64(1), 2.5, true, false, nil, map[string]any{"nested": map[string]any{"list": []any{int64(1), "two"}}}, []any{int64(3), int64(4)}}
		expect(t, "typed args", reflect.DeepEqual(args, want))
		expect(t, "tls", s.Config.TLS.RejectUnauthorized)
	}},
	"04-ack-capture.yml": {check: func(t *testing.T, s *Script) {
		f := flow(t, s, 0, 4)
		a := f[0].(*EmitStep).Acknowledge
		expect(t, "capture", len(a.Capture) == 2 && a.Capture[1].As == "userId" && len(a.Match) == 1)
		caps, err := a.Verify([]any{map[string]any{"ok": true, "token": "t", "user": map[string]any{"id": 9.0}}}, nil, false)
		expect(t, "verify", err == nil && caps["token"] == "t" && caps["userId"] == 9.0)
		expect(t, "match answer", f[2].(*EmitStep).Acknowledge.Match[0].JSON.String() == "$.1.answer")
		_, err = f[3].(*EmitStep).Acknowledge.Verify([]any{"pong"}, nil, false)
		expect(t, "plain pong matches $.0", err == nil)
		expect(t, "websocket only", reflect.DeepEqual(s.Scenarios[0].SocketIO.Transports, []string{"websocket"}))
		expect(t, "no warnings: captures define variables", len(s.Warnings) == 0)
	}},
	"05-nested-loops.yml": {check: func(t *testing.T, s *Script) {
		f := flow(t, s, 0, 2)
		outer := f[0].(*LoopStep)
		inner := outer.Steps[3].(*LoopStep)
		count, _ := outer.Count.Static()
		expect(t, "outer", len(outer.Steps) == 4 && outer.LoopElement == "outerElement" && outer.LoopValue == "outerCount" && count == int64(3))
		expect(t, "inner", len(inner.Over) == 3 && inner.LoopValue == "innerCount" && len(s.Warnings) == 0)
	}},
	"06-loop-counts.yml": {check: func(t *testing.T, s *Script) {
		f := flow(t, s, 0, 3)
		c, _ := f[0].(*LoopStep).Count.Static()
		lc, err := ParseLoopCount(c)
		expect(t, "range", err == nil && lc == LoopCount{From: 1, To: 15})
		n := RenderString(f[1].(*LoopStep).Count, &Context{Vars: map[string]any{"messages": int64(5)}})
		expect(t, "templated count", n == "5")
		expect(t, "over a variable", f[2].(*LoopStep).OverVar == "rooms")
		expect(t, "list variable", len(s.Config.Variables["rooms"]) == 1)
	}},
	"07-csv-payload-auth.yml": {opts: Options{Getenv: env("SERVER_PORT", "4000")}, check: func(t *testing.T, s *Script) {
		expect(t, "target from the environment", s.Config.Target == "http://localhost:4000")
		p := s.Config.Payloads[0]
		expect(t, "payload", len(p.Rows) == 3 && p.Order == OrderSequence && p.Rows[1][0] == "bob" && filepath.Base(p.Path) == "users.csv")
		f := flow(t, s, 0, 2)
		c := f[0].(*ConnectStep)
		vars := map[string]any{}
		p.Bind(vars, 0)
		ctx := &Context{Vars: vars}
		expect(t, "connect", ev(c.Namespace) == "/secured" && reflect.DeepEqual(c.Options.Auth.Render(ctx), map[string]any{"token": "alice:s3cret"}))
		expect(t, "config auth", reflect.DeepEqual(s.Scenarios[0].SocketIO.Auth.Render(ctx), map[string]any{"username": "alice"}))
		a := f[1].(*EmitStep).Acknowledge
		expect(t, "ack args true", a.ArgsMode == ArgsLast && a.Args.Render(nil) == true)
		expect(t, "connect first to another namespace keeps the initial connection", s.Scenarios[0].ConnectAtStart)
	}},
	"08-environments.yml": {opts: Options{Environment: "staging"}, check: func(t *testing.T, s *Script) {
		expect(t, "target", s.Config.Target == "https://staging.example.com")
		p := s.Config.Phases
		expect(t, "phases replaced", len(p) == 1 && p[0].HasRampTo && p[0].RampTo == 50)
		o := s.Scenarios[0].SocketIO
		expect(t, "options merged", reflect.DeepEqual(o.Transports, []string{"websocket"}) && len(o.ExtraHeaders) == 1 && RenderString(o.ExtraHeaders[0].Value, nil) == "staging")
		e := s.Scenarios[0].Flow[0].(*EmitStep)
		expect(t, "$environment", RenderString(e.Args[0], &Context{Environment: s.Environment}) == "from staging")
	}},
	"09-ensure-ci-gate.yml": {check: func(t *testing.T, s *Script) {
		c := s.Config.Checks
		expect(t, "four checks, config.ensure first", len(c) == 4)
		expect(t, "threshold", c[0].Kind == EnsureThreshold && c[0].Metric == "socketio.response_time.p95" && c[0].Limit == 200 && c[0].Pos.Line == 14)
		expect(t, "condition", c[1].Kind == EnsureCondition && !c[1].Strict && strings.Contains(c[1].Expression, "vusers.failed"))
		expect(t, "maxErrorRate", c[2].Kind == EnsureMaxErrorRate && c[2].Limit == 1)
		expect(t, "plugins.ensure", c[3].Metric == "socketio.response_time.p99" && c[3].Limit == 250)
		expect(t, "phase name", s.Config.Phases[0].Name == "steady")
	}},
	"10-socketio-v3-plugin.yml": {check: func(t *testing.T, s *Script) {
		o := s.Scenarios[0].SocketIO
		expect(t, "engine options", reflect.DeepEqual(o.Transports, []string{"websocket"}) && o.Path == "/io")
		f := flow(t, s, 0, 3)
		e := f[2].(*EmitStep)
		expect(t, "reconnect", e.Reconnect && ev(e.Namespace) == "/secured" && e.Acknowledge.Args.Render(nil) == false)
		expect(t, "channel/data form with response", ev(f[1].(*EmitStep).Response.Event) == "joined")
		expect(t, "no warnings", len(s.Warnings) == 0)
	}},
	"11-socketio2-server.yml": {check: func(t *testing.T, s *Script) {
		o := s.Scenarios[0].SocketIO
		expect(t, "server v2", o.ServerVersion == 2 && o.ServerVersion.EngineIOProtocol() == 3)
		expect(t, "query string", len(o.Query) == 2 && o.Query[1].Key == "client" && RenderString(o.Query[0].Value, nil) == "abc")
		expect(t, "timeout", o.ConnectTimeout == 5*time.Second && s.Config.Phases[0].Duration == 2*time.Minute)
	}},
	"12-weighted-variables.yml": {check: func(t *testing.T, s *Script) {
		expect(t, "weights", s.Scenarios[0].Weight == 8 && s.Scenarios[1].Weight == 2)
		pl := s.Plan()
		expect(t, "shares", pl.Scenarios[0].Share == 0.8 && pl.Scenarios[1].Name == "writers")
		data := s.Scenarios[1].Flow[0].(*EmitStep).Args[0].Render(&Context{Vars: map[string]any{"room": "games"}}).(map[string]any)
		n, ok := data["priority"].(int64)
		expect(t, "random data", ok && n >= 1 && n <= 5 && len(data["text"].(string)) == 20 && data["room"] == "games" && len(data["id"].(string)) == 36)
		expect(t, "variables", len(s.Config.Variables["room"]) == 3)
	}},
	"19-breaking-point-durations.yml": {check: func(t *testing.T, s *Script) {
		bp := s.Config.BreakingPoint
		expect(t, "durations in the phases' grammar", *bp.P99 == 500*time.Millisecond && *bp.Sustain == 2*time.Second && *bp.P99Floor == 20*time.Millisecond)
		expect(t, "a percentage", *bp.MaxErrorRate == 2 && bp.Saturation == nil)
		c := s.Config.Checks
		expect(t, "after", len(c) == 1 && c[0].AbortOnFail && c[0].After == 5*time.Second)
	}},
	"13-wait-for-push.yml": {check: func(t *testing.T, s *Script) {
		f := flow(t, s, 0, 4)
		w := f[1].(*WaitForStep)
		expect(t, "waitFor", ev(w.Event) == "news" && w.Count == 3 && w.Timeout == 10*time.Second && ev(w.Namespace) == "/feed" && len(w.Match) == 1 && w.Capture[0].As == "lastNews")
		w = f[3].(*WaitForStep)
		expect(t, "waitFor shorthand", ev(w.Event) == "bye" && w.Timeout == 15*time.Second)
		expect(t, "no warnings", len(s.Warnings) == 0)
	}},
	"14-phases.yml": {check: func(t *testing.T, s *Script) {
		p := s.Config.Phases
		expect(t, "count", len(p) == 5)
		expect(t, "ramp", p[1].Duration == 2*time.Minute && p[1].RampTo == 50 && p[1].Name == "Ramp up load")
		expect(t, "pause", p[2].Pause == 10*time.Second)
		expect(t, "arrivalCount", p[3].ArrivalCount == 100 && p[3].MaxVusers == 80)
		expect(t, "poisson", p[4].Mode == ModePoisson && p[4].Duration == 500*time.Millisecond)
		pl := s.Plan()
		expect(t, "plan", pl.Duration == 3*time.Minute+40*time.Second+500*time.Millisecond)
		pl = pl.WithArrivals([]float64{300, 3300, 0, 100, 5})
		expect(t, "arrivals", pl.ExpectedArrivals == 3705 && pl.Phases[1].ExpectedArrivals == 3300)
	}},
	"15-client-options.yml": {opts: Options{Getenv: env("API_TOKEN", "xyz")}, check: func(t *testing.T, s *Script) {
		o := s.Scenarios[0].SocketIO
		expect(t, "path and query override", o.Path == "/mypath" && len(o.Query) == 1 && o.Query[0].Key == "room")
		h := o.ExtraHeaders[0]
		expect(t, "header", h.Key == "Authorization" && RenderString(h.Value, &Context{Getenv: env("API_TOKEN", "xyz")}) == "Bearer xyz")
		expect(t, "reconnection", o.Reconnection && o.ReconnectionAttempts == 5 && o.ReconnectionDelay == 500*time.Millisecond &&
			o.ReconnectionDelayMax == 2*time.Second && o.RandomizationFactor == 0.2 && o.ForceNew && o.ConnectTimeout == 8*time.Second)
		expect(t, "config query kept", len(s.Config.SocketIO.Query) == 2 && !s.Config.TLS.RejectUnauthorized)
	}},
	"16-think-log-jitter.yml": {check: func(t *testing.T, s *Script) {
		f := flow(t, s, 0, 6)
		expect(t, "log", RenderString(f[0].(*LogStep).Message, &Context{Environment: "ci"}) == "VU starting in ci")
		th := f[2].(*ThinkStep)
		expect(t, "jitter ms", th.Jitter.Amount == 100*time.Millisecond && mustDuration(t, th) == 500*time.Millisecond)
		expect(t, "jitter %", f[3].(*ThinkStep).Jitter.Percent == 50 && f[1].(*ThinkStep).Jitter == nil)
		expect(t, "default jitter", s.Config.DefaultJitter.Percent == 10)
	}},
	"17-hello-socketio.json": {check: func(t *testing.T, s *Script) {
		f := flow(t, s, 0, 6)
		r := f[3].(*EmitStep).Response
		expect(t, "capture", r.Capture[0].As == "rand" && r.Capture[0].JSON.String() == "$.0.key")
		r = f[5].(*EmitStep).Response
		_, err := r.Verify([]any{"hello,socket,io"}, nil, r.Concat)
		expect(t, "substring", err == nil && r.ArgsMode == ArgsSubstring)
		expect(t, "positions in JSON", f[1].Position().Line == 11)
	}},
	"18-anchors.yml": {check: func(t *testing.T, s *Script) {
		f := flow(t, s, 0, 3)
		expect(t, "aliased steps", f[0].(*EmitStep).Acknowledge != nil && f[2].(*EmitStep).Acknowledge != nil)
		a := s.Scenarios[1]
		expect(t, "merge key", a.SocketIO.Path == "/admin-io" && reflect.DeepEqual(a.SocketIO.Transports, []string{"websocket"}))
		expect(t, "merged step", ev(a.Flow[0].(*EmitStep).Namespace) == "/admin")
	}},
	"19-http-login.yml": {check: func(t *testing.T, s *Script) {
		f := flow(t, s, 0, 6)
		login := f[0].(*HTTPStep)
		expect(t, "login", login.Method == "POST" && login.Name == "/login" && login.JSON != nil && len(login.Capture) == 3 && len(login.Expect) == 3)
		expect(t, "capture kinds", login.Capture[0].Kind == CaptureJSON && login.Capture[1].Kind == CaptureHeader && !login.Capture[1].Strict &&
			login.Capture[2].Kind == CaptureRegexp && login.Capture[2].Group == 1 && login.Capture[2].Transform != nil)
		expect(t, "status codes", len(login.Expect[0].Values) == 2 && login.Timeout == 5*time.Second)
		expect(t, "connects after the login", !s.Scenarios[0].ConnectAtStart)
		me := f[3].(*HTTPStep)
		expect(t, "named get", me.Method == "GET" && me.Name == "profile" && !me.FollowRedirect && me.Timeout == 2*time.Second &&
			len(me.Query) == 1 && len(me.Cookies) == 1 && len(me.Match) == 1 && len(me.Expect) == 2)
		put := f[4].(*HTTPStep)
		expect(t, "put", put.Method == "PUT" && len(put.Form) == 1 && put.Auth != nil && put.FollowRedirect)
		expect(t, "shorthand delete", f[5].(*HTTPStep).Method == "DELETE" && f[5].(*HTTPStep).Name == "/session")
		h := s.Config.HTTP
		var headers []string
		for _, kv := range h.Headers {
			headers = append(headers, kv.Key+"="+RenderString(kv.Value, nil))
		}
		expect(t, "config.http", h.Pool == 20 && h.Timeout == 5*time.Second &&
			reflect.DeepEqual(headers, []string{"accept=application/json", "x-client=sockload"}))
		expect(t, "no warnings", len(s.Warnings) == 0)
	}},
}

func TestValidCorpus(t *testing.T) {
	files, _ := filepath.Glob("../testdata/scenarios/valid/*")
	n := 0
	for _, file := range files {
		base := filepath.Base(file)
		if strings.HasSuffix(base, ".csv") {
			continue
		}
		n++
		c, ok := corpus[base]
		if !ok {
			t.Errorf("%s has no expectations in corpus", base)
			continue
		}
		t.Run(base, func(t *testing.T) {
			s, err := Load(file, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, s)
		})
	}
	if n < 15 || n != len(corpus) {
		t.Errorf("%d scenario files for %d expectations", n, len(corpus))
	}
}

func flow(t *testing.T, s *Script, scenario, steps int) []Step {
	t.Helper()
	if len(s.Scenarios) <= scenario || len(s.Scenarios[scenario].Flow) != steps {
		t.Fatalf("scenario %d: want %d steps, got %+v", scenario, steps, s.Scenarios)
	}
	return s.Scenarios[scenario].Flow
}

func expect(t *testing.T, what string, ok bool) {
	t.Helper()
	if !ok {
		t.Errorf("%s: not as expected", what)
	}
}

func renderAll(ts []*Template) []any {
	out := make([]any, len(ts))
	for i, t := range ts {
		out[i] = t.Render(nil)
	}
	return out
}

func env(key, value string) func(string) string {
	return func(k string) string {
		if k == key {
			return value
		}
		return ""
	}
}
