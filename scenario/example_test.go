package scenario_test

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/sockload/sockload/scenario"
)

// Example shows what the engine does with a script: one context per VU,
// a scenario picked by weight, steps rendered and acks verified.
func Example() {
	s, err := scenario.Parse("chat.yml", []byte(`
config:
  target: "http://localhost:3000"
  phases:
    - duration: 10
      arrivalRate: 2
  variables:
    room: ["lobby"]
scenarios:
  - name: chat
    engine: socketio
    flow:
      - emit: ["join", "{{ room }}", {user: "vu-{{ $randomNumber(1, 1) }}"}]
        acknowledge:
          match: {json: "$.0", value: "joined {{ room }}"}
`), scenario.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	// The arrivals of each phase are counted by package phases, as the
	// engine schedules them: 2/s for 10 s is 20.
	fmt.Print(s.Plan().WithArrivals([]float64{20}))
	r := rand.New(rand.NewPCG(1, 2))
	ctx := s.NewContext(0, r, nil)
	sc := s.Scenarios[s.PickScenario(r)]
	for _, step := range sc.Flow {
		switch st := step.(type) {
		case *scenario.EmitStep:
			args := []any{}
			for _, a := range st.Args {
				args = append(args, a.Render(ctx))
			}
			fmt.Println("emit", scenario.RenderString(st.Event, ctx), "on", s.Config.Namespace(scenario.RenderString(st.Namespace, ctx)), args)
			_, err := st.Acknowledge.Verify([]any{"joined lobby"}, ctx, false)
			fmt.Println("ack ok:", err == nil)
		}
	}
	// Output:
	// Phases (1, 10s in total, about 20 VUs):
	//   1. at 0s: 2/s for 10s, about 20 VUs
	// Scenarios (1):
	//   "chat" weight 1 (100%), 1 step
	// emit join on / [lobby map[user:vu-1]]
	// ack ok: true
}

// ExampleError shows how to print every error of an invalid file.
func ExampleError() {
	_, err := scenario.Parse("broken.yml", []byte(`
config:
  target: "http://localhost:3000"
  phases:
    - duration: 10
      arivalRate: 2
scenarios:
  - engine: socketio
    flow:
      - emit: ["hello"]
`), scenario.Options{})
	var invalid *scenario.Error
	if errors.As(err, &invalid) {
		for _, d := range invalid.Diagnostics {
			fmt.Print(d)
		}
	}
	// Output:
	// broken.yml:6:7: error: unknown key "arivalRate" in phase
	//     6 |       arivalRate: 2
	//       |       ^
	//   hint: did you mean "arrivalRate"?
}
