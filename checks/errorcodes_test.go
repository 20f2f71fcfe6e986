package checks

import (
	"strings"
	"testing"
)

// A check on an error code reads it as the run spelt it, spaces written as
// underscores too; one that names a code that never occurred says so and
// lists those that did, instead of passing silently on 0.
func TestChecksOnErrorCodes(t *testing.T) {
	in := Input{Aggregate: fixedSnapshot(t), Cores: 2} // errors.ack timeout = 1
	for _, tc := range []struct {
		name, expression string
		passed           bool
		note             string
	}{
		{"the code as spelt", `errors["ack timeout"] == 1`, true, ""},
		{"spaces as underscores", `errors.ack_timeout == 1`, true, ""},
		{"a code that never occurred", `errors.ECONNREFUSED == 0`, true, "errors.ECONNREFUSED never occurred; the errors that did: errors.ack timeout (1)"},
		{"a misspelt code", `errors.ack_timout == 0`, true, "errors.ack_timout never occurred; the errors that did: errors.ack timeout (1)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			results := gate(t, condition(tc.expression, true)).Evaluate(in)
			r := results[0]
			if r.Passed != tc.passed || r.Problem != "" {
				t.Errorf("passed %v (%s), want %v", r.Passed, r.Problem, tc.passed)
			}
			if r.Note != tc.note {
				t.Errorf("note %q, want %q", r.Note, tc.note)
			}
		})
	}
}

func TestErrorCodeNoteWhenNoErrorOccurred(t *testing.T) {
	note := errorCodeNote(Values{"vusers.created": 3}, "errors.Failed_match")
	if !strings.Contains(note, "errors.Failed_match never occurred; no error did") {
		t.Errorf("note %q", note)
	}
}
