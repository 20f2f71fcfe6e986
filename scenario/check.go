package scenario

import (
	"encoding/json"
	"fmt"
	"strings"
)

// CheckError is a failed acknowledge, response or waitFor check. Kind is
// short and stable, Artillery's own wording where it has one, fit for a
// metric name such as errors.<Kind>; Detail says what arrived and what was
// expected.
type CheckError struct {
	Kind   string // "data is not valid" (args/data), "Failed match" or "Failed capture"
	Detail string
	// Expected and Received are what the check wanted and what arrived,
	// as JSON (a match's path first: "$.status = \"ok\"").
	Expected, Received string
}

func (e *CheckError) Error() string { return e.Kind + ": " + e.Detail }

// Verify checks the arguments of an ack or an event (as decoded from JSON:
// []any, map[string]any, string, float64, bool, nil) against c, in
// Artillery's terms:
//
//   - args/data as a list must deep-equal the list of all arguments;
//   - as a mapping (or number, boolean) it must deep-equal the last argument;
//   - as a string it must be a substring of the last argument (with concat,
//     of all arguments joined);
//   - each match compares the value at its JSON path with its value (a
//     path starting with a name, $.token, reads the only argument);
//   - each capture stores the value at its path under its name.
//
// It returns the captured variables (nil when none). ctx renders the
// expected values and is not modified; the caller stores the captures.
func (c *Check) Verify(args []any, ctx *Context, concat bool) (map[string]any, error) {
	if c == nil {
		return nil, nil
	}
	if err := c.verifyArgs(args, ctx, concat); err != nil {
		return nil, err
	}
	for _, m := range c.Match {
		got, ok := evalArgs(m.JSON, args)
		want := m.Value.Render(ctx)
		if !ok {
			return nil, &CheckError{Kind: "Failed match", Detail: fmt.Sprintf("nothing at %s in %s (expected %s)", m.JSON, jsonText(args), jsonText(want)),
				Expected: m.JSON.String() + " = " + jsonText(want), Received: jsonText(args)}
		}
		if !matchEqual(got, want) {
			return nil, &CheckError{Kind: "Failed match", Detail: fmt.Sprintf("%s is %s, expected %s", m.JSON, jsonText(got), jsonText(want)),
				Expected: m.JSON.String() + " = " + jsonText(want), Received: m.JSON.String() + " = " + jsonText(got)}
		}
	}
	var captured map[string]any
	for _, cp := range c.Capture {
		got, ok := evalArgs(cp.JSON, args)
		if !ok {
			if cp.Strict {
				return nil, &CheckError{Kind: "Failed capture", Detail: fmt.Sprintf("nothing at %s in %s to capture as %s", cp.JSON, jsonText(args), cp.As),
					Expected: "a value at " + cp.JSON.String(), Received: jsonText(args)}
			}
			continue
		}
		if captured == nil {
			captured = make(map[string]any, len(c.Capture))
		}
		captured[cp.As] = got
	}
	return captured, nil
}

// Filters reports whether c says which events are wanted (args/data or
// match), so that a wait skips the others rather than failing on them.
func (c *Check) Filters() bool {
	return c != nil && (c.ArgsMode != ArgsNone || len(c.Match) > 0)
}

// Matches reports whether args pass c's args/data and match checks: the
// filter of waitFor, response and listen, which skip an event that does not
// match instead of failing on it. Captures are not looked at (Verify does).
func (c *Check) Matches(args []any, ctx *Context, concat bool) bool {
	if c == nil {
		return true
	}
	if c.verifyArgs(args, ctx, concat) != nil {
		return false
	}
	for _, m := range c.Match {
		got, ok := evalArgs(m.JSON, args)
		if !ok || !matchEqual(got, m.Value.Render(ctx)) {
			return false
		}
	}
	return true
}

// evalArgs evaluates p over the list of arguments. A path that starts
// with a name ($.token) cannot mean the list itself; with a single
// argument it reads that argument, as the socketio-v3 engine does.
func evalArgs(p *JSONPath, args []any) (any, bool) {
	if len(p.segs) > 0 && p.segs[0].index < 0 && len(args) == 1 {
		return p.Eval(args[0])
	}
	return p.Eval(any(args))
}

func (c *Check) verifyArgs(args []any, ctx *Context, concat bool) error {
	if c.ArgsMode == ArgsNone {
		return nil
	}
	want := c.Args.Render(ctx)
	var last any
	if len(args) > 0 {
		last = args[len(args)-1]
	}
	switch c.ArgsMode {
	case ArgsAll:
		if !JSONEqual(any(args), want) {
			return &CheckError{Kind: "data is not valid", Detail: fmt.Sprintf("got %s, expected %s", jsonText(args), jsonText(want)),
				Expected: jsonText(want), Received: jsonText(args)}
		}
	case ArgsLast:
		if !JSONEqual(last, want) {
			return &CheckError{Kind: "data is not valid", Detail: fmt.Sprintf("last argument is %s, expected %s", jsonText(last), jsonText(want)),
				Expected: jsonText(want), Received: jsonText(last)}
		}
	case ArgsSubstring:
		sub, _ := want.(string)
		var text string
		if concat {
			var b strings.Builder
			for _, a := range args {
				writeValue(&b, a)
			}
			text = b.String()
		} else if s, ok := last.(string); ok {
			text = s
		} else {
			return &CheckError{Kind: "data is not valid", Detail: fmt.Sprintf("last argument is %s, expected text containing %q", jsonText(last), sub),
				Expected: fmt.Sprintf("text containing %q", sub), Received: jsonText(last)}
		}
		if !strings.Contains(text, sub) {
			return &CheckError{Kind: "data is not valid", Detail: fmt.Sprintf("%q does not contain %q", truncate(text, 200), sub),
				Expected: fmt.Sprintf("text containing %q", sub), Received: fmt.Sprintf("%q", truncate(text, 200))}
		}
	}
	return nil
}

// matchEqual compares as JSON, and a string expectation also with the text
// of a number or boolean ("42" matches 42, "true" matches true).
func matchEqual(got, want any) bool {
	if JSONEqual(got, want) {
		return true
	}
	if s, ok := want.(string); ok {
		switch got.(type) {
		case float64, int64, int, bool:
			return toText(got) == s
		}
	}
	return false
}

// JSONEqual reports whether a and b are the same JSON value: numbers of
// any Go type compare by value, lists by element, maps by key.
func JSONEqual(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !JSONEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !JSONEqual(v, w) {
				return false
			}
		}
		return true
	}
	fa, okA := toFloat(a)
	fb, okB := toFloat(b)
	return okA && okB && fa == fb
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return truncate(string(b), 200)
}
