package scenario

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// HTTPResponse is what an HTTP step's checks read: the status, the headers
// and the body (as much of it as was read).
type HTTPResponse struct {
	Status int
	Header http.Header
	Body   []byte

	parsed  bool
	decoded any
	jsonOK  bool
}

// JSON returns the body decoded as JSON, and whether it is JSON. It decodes
// once.
func (r *HTTPResponse) JSON() (any, bool) {
	if !r.parsed {
		r.parsed = true
		r.jsonOK = json.Unmarshal(r.Body, &r.decoded) == nil
	}
	return r.decoded, r.jsonOK
}

// Verify checks resp against the step: its expectations first (so that a
// wrong status says so rather than a capture finding nothing), then its
// captures, then its matches. It returns the captured variables; the
// caller stores them. ctx renders expected values, transforms (with the
// captures made so far visible) and is not modified. A failure is a
// *CheckError of kind "Failed expectation", "Failed capture" or "Failed
// match", whose detail names the request and what arrived.
func (h *HTTPStep) Verify(resp *HTTPResponse, ctx *Context) (map[string]any, error) {
	for _, e := range h.Expect {
		if detail, ok := e.check(resp, ctx); !ok {
			return nil, &CheckError{Kind: "Failed expectation", Detail: fmt.Sprintf("%s %s: %s", h.Method, h.Name, detail)}
		}
	}
	var captured map[string]any
	view := ctx
	for _, cp := range h.Capture {
		got, ok := cp.read(resp)
		if !ok {
			if cp.Strict {
				return nil, &CheckError{Kind: "Failed capture", Detail: fmt.Sprintf("%s %s: nothing at %s in the response (status %d, %s) to capture as %s",
					h.Method, h.Name, cp.source(), resp.Status, bodySample(resp), cp.As)}
			}
			continue
		}
		if captured == nil {
			captured = make(map[string]any, len(h.Capture))
		}
		captured[cp.As] = got
		if cp.Transform != nil {
			captured[cp.As] = cp.Transform.Render(ctx.with(captured))
		}
	}
	if captured != nil && len(h.Match) > 0 {
		view = ctx.with(captured)
	}
	for _, m := range h.Match {
		got, ok := m.read(resp)
		want := m.Value.Render(view)
		if !ok {
			return nil, &CheckError{Kind: "Failed match", Detail: fmt.Sprintf("%s %s: nothing at %s in %s (expected %s)", h.Method, h.Name, m.source(), bodySample(resp), jsonText(want)),
				Expected: m.source() + " = " + jsonText(want), Received: bodySample(resp)}
		}
		if !matchEqual(got, want) {
			return nil, &CheckError{Kind: "Failed match", Detail: fmt.Sprintf("%s %s: %s is %s, expected %s", h.Method, h.Name, m.source(), jsonText(got), jsonText(want)),
				Expected: m.source() + " = " + jsonText(want), Received: m.source() + " = " + jsonText(got)}
		}
	}
	return captured, nil
}

// with returns a copy of ctx whose variables also hold extra.
func (c *Context) with(extra map[string]any) *Context {
	out := Context{}
	if c != nil {
		out = *c
	}
	vars := make(map[string]any, len(out.Vars)+len(extra))
	for k, v := range out.Vars {
		vars[k] = v
	}
	out.Vars = vars
	for k, v := range extra {
		vars[k] = v
	}
	return &out
}

func bodySample(resp *HTTPResponse) string {
	if len(resp.Body) == 0 {
		return "an empty body"
	}
	return fmt.Sprintf("body %q", truncate(string(resp.Body), 120))
}

func (cp *HTTPCapture) source() string {
	switch cp.Kind {
	case CaptureHeader:
		return "header " + cp.Header
	case CaptureRegexp:
		return "regexp " + cp.Regexp.String()
	}
	return cp.JSON.String()
}

func (cp *HTTPCapture) read(resp *HTTPResponse) (any, bool) {
	switch cp.Kind {
	case CaptureHeader:
		vals := resp.Header.Values(cp.Header)
		if len(vals) == 0 {
			return nil, false
		}
		return vals[0], true
	case CaptureRegexp:
		m := cp.Regexp.FindSubmatch(resp.Body)
		if m == nil || cp.Group >= len(m) {
			return nil, false
		}
		return string(m[cp.Group]), true
	}
	body, ok := resp.JSON()
	if !ok {
		return nil, false
	}
	return cp.JSON.Eval(body)
}

func (m *HTTPMatch) source() string {
	if m.Regexp != nil {
		return "regexp " + m.Regexp.String()
	}
	return m.JSON.String()
}

func (m *HTTPMatch) read(resp *HTTPResponse) (any, bool) {
	if m.Regexp != nil {
		g := m.Regexp.FindSubmatch(resp.Body)
		if g == nil {
			return nil, false
		}
		if len(g) > 1 {
			return string(g[1]), true
		}
		return string(g[0]), true
	}
	body, ok := resp.JSON()
	if !ok {
		return nil, false
	}
	return m.JSON.Eval(body)
}

// check returns whether resp meets e, and what it saw when not.
func (e *Expectation) check(resp *HTTPResponse, ctx *Context) (string, bool) {
	switch e.Kind {
	case ExpectStatusCode:
		var want []string
		for _, v := range e.Values {
			s := RenderString(v, ctx)
			if s == strconv.Itoa(resp.Status) {
				return "", true
			}
			want = append(want, s)
		}
		return fmt.Sprintf("statusCode %d, expected %s (%s)", resp.Status, strings.Join(want, " or "), bodySample(resp)), false
	case ExpectContentType:
		want, got := RenderString(e.Values[0], ctx), resp.Header.Get("Content-Type")
		ok := strings.Contains(strings.ToLower(got), strings.ToLower(want))
		if want == "json" {
			ok = strings.HasPrefix(strings.ToLower(got), "application/json")
		}
		return fmt.Sprintf("contentType %q, expected %q", got, want), ok
	case ExpectHasHeader:
		name := RenderString(e.Values[0], ctx)
		return fmt.Sprintf("no header %s in the response", name), len(resp.Header.Values(name)) > 0
	case ExpectHasProperty:
		prop := RenderString(e.Values[0], ctx)
		body, ok := resp.JSON()
		if !ok {
			return fmt.Sprintf("hasProperty %q: the body is not JSON (%s)", prop, bodySample(resp)), false
		}
		if _, found := propertyOf(body, prop); !found {
			return fmt.Sprintf("hasProperty %q: not in %s", prop, bodySample(resp)), false
		}
		return "", true
	case ExpectEquals:
		first := RenderString(e.Values[0], ctx)
		for _, v := range e.Values[1:] {
			if s := RenderString(v, ctx); s != first {
				return fmt.Sprintf("equals: %q is not %q", first, s), false
			}
		}
		return "", true
	}
	return "unknown expectation " + string(e.Kind), false
}

// propertyOf reads a dotted path ("user.id", "items.0") from a decoded
// JSON value, as lodash's _.has that Artillery's hasProperty uses.
func propertyOf(v any, path string) (any, bool) {
	for _, name := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			next, ok := x[name]
			if !ok {
				return nil, false
			}
			v = next
		case []any:
			i, err := strconv.Atoi(name)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}
