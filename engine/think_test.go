package engine

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// A think lasts what its step says at each of its runs: a literal
// duration (read once per run), a template's value, and, with jitter,
// a new draw within its spread every time.
func TestThinkLengths(t *testing.T) {
	s := ioFreeFlow(t, `
    flow:
      - log: "a"
      - think: 2
      - log: "b"
      - think: "{{ notAList }}"
      - log: "c"
      - loop:
          - think: 10
            jitter: "50%"
          - log: "j"
        count: 4
`)
	for _, m := range parkModes {
		t.Run(m.name, func(t *testing.T) {
			got := runIOFree(t, s, m.parkAfter)
			if len(got.log) != 7 {
				t.Fatalf("logged %q, want 7 lines", got.log)
			}
			at := make([]time.Duration, len(got.log))
			for i, line := range got.log {
				d, err := time.ParseDuration(strings.Fields(line)[0])
				if err != nil {
					t.Fatalf("line %q: %v", line, err)
				}
				at[i] = d
			}
			if at[0] != 0 || at[1] != 2*time.Second || at[2] != 5*time.Second {
				t.Errorf("logged %q, want a at 0s, b at 2s, c at 5s", got.log)
			}
			lengths := map[time.Duration]bool{}
			for i := 3; i < len(at); i++ {
				d := at[i] - at[i-1]
				if d < 5*time.Second || d > 15*time.Second {
					t.Errorf("a think of 10 s with 50%% jitter lasted %s", d)
				}
				lengths[d] = true
			}
			if len(lengths) < 2 {
				t.Errorf("the jittered thinks all lasted %v: drawn once", lengths)
			}
		})
	}
}

// A think too short to park, in a scenario without onReconnect steps,
// lasts its time and sees the VU's cancellation at its end; with
// onReconnect steps, or never parking, the cancellation ends it at once.
func TestShortThinkSeesTheCancellationAtItsEnd(t *testing.T) {
	flow := `
    flow:
      - loop:
          - think: "60ms"
          - log: "t"
        count: 3
`
	cancelAt := vuEvent{at: 150 * time.Millisecond, cancel: true}
	cases := []struct {
		name      string
		yml       string
		parkAfter time.Duration
		log       []string
		ended     time.Duration
	}{
		{"sleeping", flow, defaultParkAfter, []string{"60ms t", "120ms t"}, 180 * time.Millisecond},
		{"with onReconnect steps", flow + rejoinLogs, defaultParkAfter, []string{"60ms t", "120ms t"}, 150 * time.Millisecond},
		{"never parking", flow, 0, []string{"60ms t", "120ms t"}, 150 * time.Millisecond},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := runIOFree(t, ioFreeFlow(t, c.yml), c.parkAfter, cancelAt)
			if !slices.Equal(got.log, c.log) {
				t.Errorf("logged %q, want %q", got.log, c.log)
			}
			if got.ended != c.ended {
				t.Errorf("ended at %s, want %s", got.ended, c.ended)
			}
			if got.counters[MetricVUsersCancelled] != 1 {
				t.Errorf("counters %v, want the VU cancelled", got.counters)
			}
		})
	}
}
