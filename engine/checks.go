package engine

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/sockload/sockload/scenario"
	"github.com/sockload/sockload/socketio"
)

// check verifies an ack, a response or a waited-for event against what the
// step expects, and stores its captures in the VU's variables. The error
// codes are Artillery's where it has them ("Failed match", "Failed capture").
func (v *vu) check(c *scenario.Check, msg socketio.Message, concat bool) error {
	if c == nil || (c.ArgsMode == scenario.ArgsNone && len(c.Match) == 0 && len(c.Capture) == 0) {
		return nil
	}
	args, err := msg.Args()
	if err != nil {
		return failf("parse error", "arguments of %q: %v", msg.Event, err)
	}
	root := any(args)
	if err := v.checkArgs(c, args, concat); err != nil {
		return err
	}
	for _, m := range c.Match {
		got, _ := m.JSON.Eval(root)
		want := m.Value.Render(v.tctx)
		if !valuesMatch(got, want) {
			return failf("Failed match", "line %d: %s is %s, expected %s", m.Pos.Line, m.JSON, brief(got), brief(want))
		}
	}
	for _, cp := range c.Capture {
		got, ok := cp.JSON.Eval(root)
		if !ok && cp.Strict {
			return failf("Failed capture", "line %d: nothing at %s to capture as %q", cp.Pos.Line, cp.JSON, cp.As)
		}
		v.tctx.Vars[cp.As] = got
	}
	return nil
}

func (v *vu) checkArgs(c *scenario.Check, args []any, concat bool) error {
	if c.ArgsMode == scenario.ArgsNone {
		return nil
	}
	want := c.Args.Render(v.tctx)
	var last any
	if len(args) > 0 {
		last = args[len(args)-1]
	}
	ok := false
	switch c.ArgsMode {
	case scenario.ArgsAll:
		ok = deepEqualJSON(args, want)
	case scenario.ArgsLast:
		ok = deepEqualJSON(last, want)
	case scenario.ArgsSubstring:
		text := textOf(last)
		if concat {
			parts := make([]string, len(args))
			for i, a := range args {
				parts[i] = textOf(a)
			}
			text = strings.Join(parts, "")
		}
		ok = strings.Contains(text, textOf(want))
	}
	if !ok {
		return failf("Failed match", "line %d: arguments %s do not match %s", c.Pos.Line, brief(args), brief(want))
	}
	return nil
}

// valuesMatch compares as JSON; a string expectation also matches a number
// or boolean with that text, since scenarios often write "42" for 42.
func valuesMatch(got, want any) bool {
	if deepEqualJSON(got, want) {
		return true
	}
	if s, ok := want.(string); ok {
		switch got.(type) {
		case float64, bool:
			return textOf(got) == s
		}
	}
	return false
}

// deepEqualJSON compares two values as their JSON forms would compare:
// numbers of any Go type are equal when their values are.
func deepEqualJSON(a, b any) bool {
	return reflect.DeepEqual(normalize(a), normalize(b))
}

// normalize converts template and YAML values to the types encoding/json
// decodes into, so that they compare with received arguments.
func normalize(v any) any {
	switch x := v.(type) {
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case uint64:
		return float64(x)
	case float32:
		return float64(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalize(e)
		}
		return out
	}
	return v
}

// textOf formats a value as a string for substring checks.
func textOf(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	b, err := json.Marshal(normalize(v))
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// brief renders a value for an error message, cut short.
func brief(v any) string {
	b, err := json.Marshal(normalize(v))
	s := string(b)
	if err != nil {
		s = fmt.Sprint(v)
	}
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}
