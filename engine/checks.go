package engine

import (
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
