package scenario

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func TestNewContextAndPick(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "u.csv"), []byte("a,1\nb,2\nc,3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Parse(filepath.Join(dir, "s.yml"), []byte(`
config:
  target: "http://localhost:3000/admin"
  phases: [{duration: 1, arrivalRate: 1}]
  payload:
    path: u.csv
    fields: [user, n]
    order: sequence
  variables:
    color: ["red", "green", "blue"]
    id: "vu-{{ $randomString(4) }}"
    greeting: "hello {{ user }}"
scenarios:
  - {name: a, weight: 3, engine: socketio, flow: [{think: 1}]}
  - {name: b, weight: 1, engine: socketio, flow: [{think: 1}]}
  - {name: never, weight: 0, engine: socketio, flow: [{think: 1}]}
`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(7, 7))
	colors := map[any]int{}
	for vu := 0; vu < 300; vu++ {
		ctx := s.NewContext(vu, r, nil)
		wantUser := []string{"a", "b", "c"}[vu%3]
		if ctx.Vars["user"] != wantUser || ctx.Vars["greeting"] != "hello "+wantUser || len(ctx.Vars["id"].(string)) != 7 {
			t.Fatalf("vu %d: %v", vu, ctx.Vars)
		}
		colors[ctx.Vars["color"]]++
	}
	if len(colors) != 3 {
		t.Errorf("a list variable should give each VU one of its values at random: %v", colors)
	}
	picks := make([]int, 3)
	for i := 0; i < 4000; i++ {
		picks[s.PickScenario(r)]++
	}
	if picks[2] != 0 || picks[0] < 2*picks[1] || picks[1] == 0 {
		t.Errorf("weighted picks 3:1:0 gave %v", picks)
	}
	c := s.Config
	for ns, want := range map[string]string{"/": "/admin", "": "/admin", "/chat": "/admin/chat"} {
		if got := c.Namespace(ns); got != want {
			t.Errorf("Namespace(%q) = %q, want %q", ns, got, want)
		}
	}
	if (&Config{}).Namespace("/") != "/" || (&Config{}).Namespace("/chat") != "/chat" {
		t.Error("without a target path namespaces are unchanged")
	}
}

func TestPauseAndLoops(t *testing.T) {
	s := mustLoad(t, head+`
  variables:
    items: [[1, 2, 3]]
scenarios:
  - engine: socketio
    flow:
      - think: 10
        jitter: "10%"
      - think: 1
      - loop: [{think: 1}]
        over: items
      - loop: [{think: 1}]
        count: 4
      - loop: [{think: 1}]
`)
	f := s.Scenarios[0].Flow
	ctx := s.NewContext(0, rand.New(rand.NewPCG(1, 2)), nil)
	for i := 0; i < 200; i++ {
		d, err := f[0].(*ThinkStep).Pause(ctx, nil)
		if err != nil || d < 9*time.Second || d > 11*time.Second {
			t.Fatalf("think 10 jitter 10%% = %v, %v", d, err)
		}
	}
	d, _ := f[1].(*ThinkStep).Pause(ctx, &Jitter{Amount: 100 * time.Millisecond})
	if d < 900*time.Millisecond || d > 1100*time.Millisecond {
		t.Errorf("default jitter: %v", d)
	}
	els, has, err := f[2].(*LoopStep).Elements(ctx)
	if !has || err != nil || !reflect.DeepEqual(els, []any{int64(1), int64(2), int64(3)}) {
		t.Errorf("over a variable: %v %v %v", els, has, err)
	}
	if n, err := f[3].(*LoopStep).Iterations(ctx); err != nil || n != (LoopCount{To: 4}) {
		t.Errorf("count 4: %v %v", n, err)
	}
	if n, _ := f[4].(*LoopStep).Iterations(ctx); n.To != -1 {
		t.Errorf("a loop without count runs forever: %v", n)
	}
	ctx.Vars["items"] = "not a list"
	if _, _, err := f[2].(*LoopStep).Elements(ctx); err == nil {
		t.Error("over a non-list: no error")
	}
}
