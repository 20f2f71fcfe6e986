package scenario

import (
	"errors"
	"os"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestExampleScenario loads examples/my-scenario.yml, the socket.io guide's
// scenario, and checks that it means what Artillery makes of it.
func TestExampleScenario(t *testing.T) {
	s, err := Load("../examples/my-scenario.yml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := s.Config
	if c.Target != "http://localhost:3000" || len(c.Phases) != 1 || c.Timeout != 10*time.Second {
		t.Fatalf("config = %+v", c)
	}
	if p := c.Phases[0]; p.Duration != time.Minute || p.ArrivalRate != 10 || p.HasRampTo {
		t.Errorf("phase = %+v", p)
	}
	if !reflect.DeepEqual(c.Engines, []string{"socketio-v3"}) {
		t.Errorf("engines = %v", c.Engines)
	}
	if len(s.Scenarios) != 1 {
		t.Fatalf("%d scenarios", len(s.Scenarios))
	}
	sc := s.Scenarios[0]
	if sc.Name != "My sample scenario" || sc.Engine != "socketio-v3" || sc.Weight != 1 || !sc.ConnectAtStart {
		t.Errorf("scenario = %+v", sc)
	}
	if len(sc.Flow) != 6 {
		t.Fatalf("%d steps, want 6", len(sc.Flow))
	}
	if th := sc.Flow[0].(*ThinkStep); mustDuration(t, th) != time.Second {
		t.Errorf("first think = %v", mustDuration(t, th))
	}
	basic := sc.Flow[1].(*EmitStep)
	if ev(basic.Event) != "hello" || len(basic.Args) != 1 || basic.Args[0].Render(nil) != "world" || ev(basic.Namespace) != "/" || basic.Acknowledge != nil {
		t.Errorf("basic emit = %+v", basic)
	}
	obj := sc.Flow[2].(*EmitStep)
	want := map[string]any{"id": int64(42), "status": "in progress", "tags": []any{"tag1", "tag2"}}
	if got := obj.Args[0].Render(nil); !reflect.DeepEqual(got, want) {
		t.Errorf("object emit data = %#v", got)
	}
	ns := sc.Flow[3].(*EmitStep)
	if ev(ns.Namespace) != "/my-namespace" || ev(ns.Event) != "hello" {
		t.Errorf("namespace emit = %+v", ns)
	}
	ping := sc.Flow[4].(*EmitStep)
	if ev(ping.Event) != "ping" || len(ping.Args) != 1 || ping.Args[0].Render(nil) != nil || ping.Acknowledge == nil || len(ping.Acknowledge.Match) != 1 {
		t.Fatalf("ping = %+v", ping)
	}
	m := ping.Acknowledge.Match[0]
	if m.JSON.String() != "$.0" || m.Value.Render(nil) != "pong" {
		t.Errorf("ack match = %v %v", m.JSON, m.Value.Render(nil))
	}
	if th := sc.Flow[5].(*ThinkStep); mustDuration(t, th) != 30*time.Second {
		t.Errorf("last think = %v", mustDuration(t, th))
	}
	if (sc.Flow[4].Position() != Pos{Line: 44, Col: 9}) {
		t.Errorf("ping step at %v", sc.Flow[4].Position())
	}
	if len(s.Warnings) != 0 {
		t.Errorf("warnings: %v", s.Warnings)
	}
	pl := s.Plan()
	if pl.Duration != time.Minute || len(pl.Scenarios) != 1 || pl.Scenarios[0].Share != 1 {
		t.Errorf("plan = %+v", pl)
	}
}

func ev(t *Template) string { return RenderString(t, nil) }

func mustDuration(t *testing.T, th *ThinkStep) time.Duration {
	t.Helper()
	d, err := ThinkDuration(th.Duration, nil)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestSeedBrokenPointsAtFirstWrongLine is the promise to a user who pastes
// the guide's scenario with its indentation lost: the first error is on the
// first wrong line and says how to indent it.
func TestSeedBrokenPointsAtFirstWrongLine(t *testing.T) {
	_, err := Load("../testdata/scenarios/invalid/seed-broken.yml", Options{})
	var invalid *Error
	if !errors.As(err, &invalid) {
		t.Fatalf("err = %v", err)
	}
	first := invalid.Diagnostics[0]
	if (first.Pos != Pos{Line: 4, Col: 1}) || !strings.Contains(first.Message, `"target" belongs under "config:"`) || !strings.Contains(first.Hint, "indent it by 2 spaces") {
		t.Errorf("first error = %s", first)
	}
	if len(invalid.Diagnostics) < 5 {
		t.Errorf("only %d errors: every misplaced line should be reported", len(invalid.Diagnostics))
	}
}

// TestHugeFileRefused checks that a file over MaxFileSize is refused from
// its size, before it is read or parsed.
func TestHugeFileRefused(t *testing.T) {
	path := t.TempDir() + "/huge.yml"
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxFileSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err = Load(path, Options{})
	var invalid *Error
	if !errors.As(err, &invalid) || !strings.Contains(invalid.Error(), "more than the 10 MiB") {
		t.Fatalf("Load(huge) = %v", err)
	}
	_, err = Parse("huge.yml", make([]byte, MaxFileSize+1), Options{})
	if !errors.As(err, &invalid) {
		t.Fatalf("Parse(huge) = %v", err)
	}
}

// TestBombRefusedQuickly checks that alias expansion stops at the budget:
// the billion-laughs file would expand to 9^10 values.
func TestBombRefusedQuickly(t *testing.T) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.TotalAlloc
	_, err := Load("../testdata/scenarios/invalid/bomb.yml", Options{})
	var invalid *Error
	if !errors.As(err, &invalid) || !strings.Contains(invalid.Error(), "YAML bomb") {
		t.Fatalf("Load(bomb) = %v", err)
	}
	runtime.ReadMemStats(&ms)
	if used := ms.TotalAlloc - before; used > 1<<30 {
		t.Errorf("refusing the bomb allocated %d MiB", used>>20)
	}
}
