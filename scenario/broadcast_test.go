package scenario

import (
	"strings"
	"testing"
	"time"
)

func TestTimeAndTraceTemplates(t *testing.T) {
	at := time.UnixMilli(1_700_000_000_123)
	ctx := &Context{Now: func() time.Time { return at }, Trace: func() string { return "slt1.x" }}
	cases := []struct {
		src  string
		want any
	}{
		{"{{ $now }}", int64(1_700_000_000_123)},
		{"{{ $timestamp }}", int64(1_700_000_000_123)},
		{"sent at {{ $now }}", "sent at 1700000000123"},
		{"{{ $trace }}", "slt1.x"},
		{"t={{ $trace }}", "t=slt1.x"},
	}
	for _, c := range cases {
		tmpl, err := compileString(c.src, Pos{})
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		if got := tmpl.Render(ctx); got != c.want {
			t.Errorf("%s renders %#v, want %#v", c.src, got, c.want)
		}
		if tmpl.UsesTrace() != strings.Contains(c.src, "$trace") {
			t.Errorf("%s: UsesTrace = %v", c.src, tmpl.UsesTrace())
		}
	}
	// Without the engine's hook (validate, plan) $trace renders empty.
	tmpl, _ := compileString("{{ $trace }}", Pos{})
	if got := tmpl.Render(&Context{}); got != "" {
		t.Errorf("$trace without a hook renders %#v", got)
	}
}

func TestGroupsAndListeners(t *testing.T) {
	s := mustLoad(t, `
config:
  target: "http://127.0.0.1:3000"
  phases: [{duration: 1, arrivalCount: 1}]
scenarios:
  - engine: socketio
    listen:
      - event: "chat"
        match: {json: "$.0.room", value: "r"}
        capture: {json: "$.0.text", as: "last"}
      - event: "news"
        namespace: "/feed"
        trace: false
    flow:
      - emit: ["join", "r"]
        joinGroup: "r"
      - emit: ["chat", {room: "r", trace: "{{ $trace }}"}]
        to: "r"
        includeSender: true
      - emit: ["leave", "r"]
        leaveGroup: "r"
      - log: "{{ last }}"
`)
	if !s.Traced() {
		t.Error("the script is not Traced")
	}
	sc := s.Scenarios[0]
	if len(sc.Listen) != 2 || sc.Listen[0].Trace != true || sc.Listen[1].Trace || len(sc.Listen[0].Capture) != 1 {
		t.Fatalf("listeners %+v", sc.Listen)
	}
	if ns, _ := sc.Listen[1].Namespace.Static(); ns != "/feed" {
		t.Errorf("listener namespace %v", ns)
	}
	chat := sc.Flow[1].(*EmitStep)
	if to, _ := chat.To.Static(); to != "r" || !chat.IncludeSender || !chat.Traced() {
		t.Errorf("chat step %+v", chat)
	}
	if sc.Flow[0].(*EmitStep).JoinGroup == nil || sc.Flow[2].(*EmitStep).LeaveGroup == nil {
		t.Error("joinGroup or leaveGroup not read")
	}
}

func TestGroupErrors(t *testing.T) {
	cases := []struct{ step, want string }{
		{`- emit: ["chat", "hi"]
        to: "r"`, "has no {{ $trace }}"},
		{`- emit: ["chat", "{{ $trace }}"]
        includeSender: true`, "includeSender without to:"},
	}
	for _, c := range cases {
		got := loadErrors(t, `
config:
  target: "http://127.0.0.1:3000"
  phases: [{duration: 1, arrivalCount: 1}]
scenarios:
  - engine: socketio
    flow:
      `+c.step+`
`)
		if !strings.Contains(got, c.want) {
			t.Errorf("errors %q, want %q", got, c.want)
		}
	}
}

func TestChatFanoutExampleLoads(t *testing.T) {
	s, err := Load("../examples/chat-fanout.yml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Traced() || len(s.Scenarios[0].Listen) != 1 {
		t.Errorf("the example traces nothing or listens to nothing")
	}
	if len(s.Warnings) > 0 {
		t.Errorf("warnings: %v", s.Warnings)
	}
}
