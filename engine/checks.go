package engine

import (
	"bytes"
	"errors"

	"github.com/sockload/sockload/scenario"
	"github.com/sockload/sockload/socketio"
)

// check verifies an ack, a response or a waited-for event against what the
// step expects (scenario.Check.Verify, in Artillery's terms) and stores its
// captures in the VU's variables. A failure is counted under Artillery's
// name for it ("Failed match", "Failed capture", "data is not valid").
func (v *vu) check(c *scenario.Check, msg socketio.Message, concat bool) error {
	if c == nil || (c.ArgsMode == scenario.ArgsNone && len(c.Match) == 0 && len(c.Capture) == 0) {
		return nil
	}
	if want, ok := v.r.plainAcks[c]; ok && msg.Event == "" && bytes.Equal(msg.Raw(), want) {
		return nil // the ack is the text the check looks for: it passes
	}
	args, err := msg.Args()
	if err != nil {
		return failf("parse error", "arguments of %q: %v", msg.Event, err)
	}
	captured, err := c.Verify(args, v.tctx, concat)
	if err != nil {
		var ce *scenario.CheckError
		if errors.As(err, &ce) {
			return &stepError{code: ce.Kind, err: errors.New(ce.Detail),
				line: c.Pos.Line, expected: ce.Expected, received: ce.Received}
		}
		return failf("Failed match", "line %d: %v", c.Pos.Line, err)
	}
	for name, value := range captured {
		v.tctx.Vars[name] = value
	}
	return nil
}

// preparePlainAcks finds the ack checks of the script that only look for
// a literal text in the ack ({data: "pong"}), and keeps for each the ack
// that is that text alone (["pong"]): an ack of exactly those bytes
// passes without its arguments decoded (two allocations per ack of a
// loop). Any other ack is checked as before.
func (r *Runner) preparePlainAcks() {
	r.plainAcks = map[*scenario.Check][]byte{}
	for st := range r.cfg.Script.Steps() {
		e, ok := st.(*scenario.EmitStep)
		if !ok || e.Acknowledge == nil {
			continue
		}
		c := e.Acknowledge
		if c.ArgsMode != scenario.ArgsSubstring || len(c.Match) > 0 || len(c.Capture) > 0 {
			continue
		}
		lit, static := c.Args.Static()
		text, isText := lit.(string)
		if !static || !isText || !plainJSONText(text) {
			continue
		}
		r.plainAcks[c] = []byte(`["` + text + `"]`)
	}
}

// plainJSONText reports whether s is written in a JSON string as it is:
// printable ASCII without quotes or backslashes.
func plainJSONText(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
