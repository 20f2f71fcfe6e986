package scenario

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// HTTPMethods are the step keys of HTTP requests, in Artillery's HTTP
// engine's spelling, and the method each sends.
var HTTPMethods = map[string]string{
	"get": "GET", "post": "POST", "put": "PUT", "patch": "PATCH",
	"delete": "DELETE", "head": "HEAD", "options": "OPTIONS",
}

// HTTPConfig is config.http, with config.defaults.headers (or
// config.http.defaults.headers, Artillery 2's place for them).
type HTTPConfig struct {
	// Timeout bounds each request, from sending it to the end of its body
	// (config.http.timeout, seconds; default config.timeout). A step's own
	// timeout replaces it.
	Timeout time.Duration
	// Pool is the most connections kept open per host (config.http.pool, or
	// maxSockets); 0 lets every VU open what it needs.
	Pool int
	// Headers are sent with every request; a step's headers replace the
	// ones of the same name.
	Headers []KeyTemplate
}

// HTTPStep is an HTTP request in a flow (get, post, put, patch, delete,
// head, options), with the keys of Artillery's HTTP engine a Socket.IO flow
// needs. It runs with the VU's cookie jar, the one its Socket.IO
// connections use, so a session cookie set by a login reaches the
// handshake; its captures are variables of the VU, usable by later steps
// and by the options of connections opened after it.
type HTTPStep struct {
	Pos    Pos
	Method string // "GET", "POST", ...
	// Name names the request in http.response_time.<name>: the step's name:,
	// else the URL as written (its template text, not a rendered URL, so
	// that per-VU values do not make a histogram each).
	Name string
	// URL is relative to config.target when it starts with "/", else absolute.
	URL     *Template
	Headers []KeyTemplate
	Query   []KeyTemplate // qs
	// At most one body: JSON (encoded as JSON, with Content-Type
	// application/json), Body (sent as it renders) or Form (URL-encoded).
	JSON *Template
	Body *Template
	Form []KeyTemplate
	// Auth is basic authentication (auth: {user, pass}).
	Auth    *BasicAuth
	Cookies []KeyTemplate // cookie: sent with the request, added to the jar's
	// FollowRedirect follows 3xx responses (default true, as Artillery).
	FollowRedirect bool
	// Timeout bounds the request and its response's body: the step's
	// timeout, else config.http.timeout, else config.timeout; never 0.
	Timeout time.Duration
	Capture []HTTPCapture
	Match   []HTTPMatch
	Expect  []Expectation
}

// BasicAuth is an HTTP step's auth: {user, pass}.
type BasicAuth struct {
	User, Pass *Template
}

// HTTPCaptureKind says where a capture reads from.
type HTTPCaptureKind int

const (
	CaptureJSON   HTTPCaptureKind = iota // a JSON path over the body, $ being the body
	CaptureHeader                        // a response header, by name
	CaptureRegexp                        // a regular expression over the body
)

// HTTPCapture stores a value of a response in the VU's variable As.
type HTTPCapture struct {
	Pos    Pos
	Kind   HTTPCaptureKind
	JSON   *JSONPath
	Header string
	Regexp *regexp.Regexp
	Group  int // the regexp's group (default: the first group, or the match when it has none)
	As     string
	// Transform, when set, is rendered after the value is stored in As
	// (so it may use {{ As }}) and replaces it: transform: "Bearer {{ token }}".
	Transform *Template
	// Strict fails the VU when nothing is found (default true).
	Strict bool
}

// HTTPMatch compares a value of the response body with Value: the value at
// JSON, or the first group of Regexp (the whole match without groups).
type HTTPMatch struct {
	Pos    Pos
	JSON   *JSONPath
	Regexp *regexp.Regexp
	Value  *Template
}

// ExpectKind names an expectation of Artillery's expect plugin.
type ExpectKind string

const (
	ExpectStatusCode  ExpectKind = "statusCode"  // the status is one of Values
	ExpectContentType ExpectKind = "contentType" // "json" means application/json; otherwise a substring of Content-Type
	ExpectHasHeader   ExpectKind = "hasHeader"   // the response has header Values[0]
	ExpectHasProperty ExpectKind = "hasProperty" // the JSON body has the dotted path Values[0]
	ExpectEquals      ExpectKind = "equals"      // every value of Values renders to the same text
)

// Expectation is one check of an HTTP step's expect: list. A failed one
// fails the VU with errors.Failed expectation.
type Expectation struct {
	Pos    Pos
	Kind   ExpectKind
	Values []*Template
}

func (*HTTPStep) isStep()         {}
func (s *HTTPStep) Position() Pos { return s.Pos }

var _ Step = (*HTTPStep)(nil)

const httpStepExample = `write:
  - post:
      url: "/login"
      json: {username: "{{ user }}", password: "secret"}
      capture:
        json: "$.token"
        as: "token"`

// httpStep decodes get/post/... as a step.
func (d *decoder) httpStep(step *yaml.Node, kind string, v *yaml.Node) Step {
	h := &HTTPStep{Pos: pos(step), Method: HTTPMethods[kind], FollowRedirect: true, Timeout: d.httpTimeout}
	if v.Kind == yaml.ScalarNode && !isNull(v) {
		// get: "/path" is shorthand for get: {url: "/path"}.
		h.URL, h.Name = d.stringTemplate(v, kind+" url"), v.Value
		return nilIfNoURL(h)
	}
	if v.Kind != yaml.MappingNode {
		d.errf(v, httpStepExample, "%s must be a mapping with url (and headers, json, capture...), not %s", kind, kindName(v))
		return nil
	}
	_, u := lookup(v, "url")
	if u == nil {
		if !d.hasUnknownKeys(v, ctxHTTP) {
			d.errf(v, "add url: with the path (\"/login\", relative to config.target) or a full URL", "%s without a url", kind)
		}
		return nil
	}
	h.URL, h.Name = d.stringTemplate(u, "url"), u.Value
	var bodies []*yaml.Node
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], v.Content[i+1]
		switch k.Value {
		case "name":
			if s, ok := d.str(val, "name"); ok && s != "" {
				h.Name = s
			}
		case "headers":
			h.Headers = d.keyTemplates(val, "headers", false)
		case "qs":
			h.Query = d.keyTemplates(val, "qs", true)
		case "json":
			bodies = append(bodies, k)
			h.JSON = d.template(val)
		case "body":
			bodies = append(bodies, k)
			if val.Kind != yaml.ScalarNode {
				d.errf(val, "write the body as text, or use json: for an object", "body must be text, not %s", kindName(val))
				continue
			}
			h.Body = d.stringTemplate(val, "body")
		case "form":
			bodies = append(bodies, k)
			h.Form = d.keyTemplates(val, "form", false)
		case "formData":
			d.errf(k, "send the fields URL-encoded with form:, or as JSON with json:", "multipart formData is not supported here")
		case "auth":
			h.Auth = d.basicAuth(val)
		case "cookie":
			h.Cookies = d.keyTemplates(val, "cookie", false)
		case "followRedirect":
			h.FollowRedirect, _ = d.boolean(val, "followRedirect")
		case "timeout":
			if t, ok := d.duration(val, "timeout"); ok {
				if t <= 0 {
					d.errf(val, "write the seconds to wait for the response, like timeout: 5", "timeout must be more than 0")
				}
				h.Timeout = t
			}
		case "capture":
			h.Capture = d.httpCaptures(val)
		case "match":
			h.Match = d.httpMatches(val)
		case "expect":
			h.Expect = d.expectations(val)
		case "beforeRequest", "afterResponse", "ifTrue":
			d.errf(k, "remove it: set headers and bodies with templates, and check responses with capture, match and expect",
				"%s names a JavaScript function, which sockload does not run", k.Value)
		}
	}
	if len(bodies) > 1 {
		d.errf(bodies[1], "keep one of json:, body: and form:", "an HTTP request has one body, and this step gives %s and %s", bodies[0].Value, bodies[1].Value)
	}
	return nilIfNoURL(h)
}

func nilIfNoURL(h *HTTPStep) Step {
	if h.URL == nil {
		return nil
	}
	return h
}

func (d *decoder) basicAuth(v *yaml.Node) *BasicAuth {
	_, user := lookup(v, "user")
	_, pass := lookup(v, "pass")
	if v.Kind != yaml.MappingNode || user == nil {
		d.errf(v, "write auth:\n  user: \"alice\"\n  pass: \"secret\"", "auth is basic authentication: a mapping with user and pass")
		return nil
	}
	a := &BasicAuth{User: d.stringTemplate(user, "auth.user"), Pass: Literal("")}
	if pass != nil {
		a.Pass = d.stringTemplate(pass, "auth.pass")
	}
	return a
}

func (d *decoder) httpCaptures(n *yaml.Node) []HTTPCapture {
	var out []HTTPCapture
	for _, m := range listOrOne(n) {
		if m.Kind != yaml.MappingNode {
			d.errf(m, "write capture:\n  json: \"$.token\"\n  as: \"token\"", "capture must be a mapping with json (or header, or regexp) and as, or a list of them, not %s", kindName(m))
			continue
		}
		cp := HTTPCapture{Pos: pos(m), Strict: true}
		if !d.captureSource(m, &cp) {
			continue
		}
		if _, as := lookup(m, "as"); as == nil {
			d.errf(m, "add as: with the variable name to store it in", "capture without as")
			continue
		} else if name, ok := d.str(as, "as"); ok {
			cp.As = name
			d.defined[name] = true
		}
		if _, st := lookup(m, "strict"); st != nil {
			cp.Strict, _ = d.boolean(st, "strict")
		}
		if _, tr := lookup(m, "transform"); tr != nil {
			cp.Transform = d.transform(tr)
		}
		if cp.As != "" {
			out = append(out, cp)
		}
	}
	return out
}

// captureSource reads json, header or regexp (with group) of a capture.
func (d *decoder) captureSource(m *yaml.Node, cp *HTTPCapture) bool {
	jk, j := lookup(m, "json")
	_, h := lookup(m, "header")
	_, r := lookup(m, "regexp")
	set := 0
	for _, x := range []*yaml.Node{j, h, r} {
		if x != nil {
			set++
		}
	}
	if set != 1 {
		for _, other := range []string{"xpath", "selector"} {
			if k, _ := lookup(m, other); k != nil {
				d.errf(k, "capture with json: (a JSON body), header: or regexp:", "capture by %s is not supported here", other)
				return false
			}
		}
		d.errf(m, "give one of json: \"$.token\", header: \"x-token\" or regexp: \"token=(\\\\w+)\"", "a capture reads one of json, header or regexp; this one has %d", set)
		return false
	}
	switch {
	case j != nil:
		cp.Kind = CaptureJSON
		cp.JSON = d.bodyJSONPath(j, jk)
		return cp.JSON != nil
	case h != nil:
		cp.Kind = CaptureHeader
		name, ok := d.str(h, "header")
		cp.Header = name
		return ok && name != ""
	default:
		cp.Kind = CaptureRegexp
		cp.Regexp = d.regexp(r)
		if _, g := lookup(m, "group"); g != nil && cp.Regexp != nil {
			if n, ok := d.integer(g, "group"); ok {
				if n < 0 || n > cp.Regexp.NumSubexp() {
					d.errf(g, fmt.Sprintf("the expression has %d groups: write group: 0 (the whole match) to %d", cp.Regexp.NumSubexp(), cp.Regexp.NumSubexp()), "group %d is not a group of the expression", n)
				}
				cp.Group = n
			}
		} else if cp.Regexp != nil && cp.Regexp.NumSubexp() > 0 {
			cp.Group = 1
		}
		return cp.Regexp != nil
	}
}

func (d *decoder) regexp(v *yaml.Node) *regexp.Regexp {
	s, ok := d.str(v, "regexp")
	if !ok {
		return nil
	}
	re, err := regexp.Compile(s)
	if err != nil {
		d.errf(v, "write a Go (RE2) regular expression, like \"token=(\\\\w+)\"; lookarounds and backreferences are not supported", "regexp %q: %v", s, err)
		return nil
	}
	return re
}

// transform reads a capture's transform, a template; Artillery's are
// JavaScript expressions, which do not run here.
func (d *decoder) transform(v *yaml.Node) *Template {
	s, ok := d.str(v, "transform")
	if !ok {
		return nil
	}
	if !strings.Contains(s, "{{") && (strings.Contains(s, "this.") || strings.Contains(s, "(")) {
		d.errf(v, "write it as a template of the captured variable, like transform: \"Bearer {{ token }}\"", "transform %q is JavaScript, which sockload does not run", s)
		return nil
	}
	return d.stringTemplate(v, "transform")
}

// bodyJSONPath compiles a JSON path over an HTTP body: $ is the body.
func (d *decoder) bodyJSONPath(v, key *yaml.Node) *JSONPath {
	if v == nil {
		d.errf(key, "add json: with a path into the body, like json: \"$.token\"", "match without json")
		return nil
	}
	s, ok := d.str(v, "json")
	if !ok {
		return nil
	}
	p, err := ParseJSONPath(s)
	if err != nil {
		d.errf(v, "write a path into the response body, like \"$.token\" or \"$.user.id\"", "%v", err)
		return nil
	}
	return p
}

func (d *decoder) httpMatches(n *yaml.Node) []HTTPMatch {
	var out []HTTPMatch
	for _, m := range listOrOne(n) {
		if m.Kind != yaml.MappingNode {
			d.errf(m, "write match:\n  json: \"$.ok\"\n  value: true", "match must be a mapping with json (or regexp) and value, or a list of them, not %s", kindName(m))
			continue
		}
		mt := HTTPMatch{Pos: pos(m)}
		jk, j := lookup(m, "json")
		rk, r := lookup(m, "regexp")
		switch {
		case j != nil && r != nil:
			d.errf(rk, "keep one of json: and regexp:", "a match reads json or regexp, not both")
			continue
		case r != nil:
			if mt.Regexp = d.regexp(r); mt.Regexp == nil {
				continue
			}
		default:
			if mt.JSON = d.bodyJSONPath(j, orNode(jk, m)); mt.JSON == nil {
				continue
			}
		}
		_, val := lookup(m, "value")
		if val == nil {
			d.errf(m, "add value: with what the body should hold there", "match without a value")
			continue
		}
		mt.Value = d.template(val)
		out = append(out, mt)
	}
	return out
}

func orNode(a, b *yaml.Node) *yaml.Node {
	if a != nil {
		return a
	}
	return b
}

const expectExample = `write expect:
  - statusCode: 200
  - contentType: json
  - hasProperty: "token"`

func (d *decoder) expectations(n *yaml.Node) []Expectation {
	var out []Expectation
	for _, m := range listOrOne(n) {
		if m.Kind != yaml.MappingNode {
			d.errf(m, expectExample, "each expectation is a mapping like statusCode: 200, not %s", kindName(m))
			continue
		}
		for i := 0; i+1 < len(m.Content); i += 2 {
			k, val := m.Content[i], m.Content[i+1]
			e := Expectation{Pos: pos(k), Kind: ExpectKind(k.Value)}
			switch e.Kind {
			case ExpectStatusCode:
				for _, c := range listOrOne(val) {
					if c.Kind != yaml.ScalarNode || isNull(c) {
						d.errf(c, "write statusCode: 200, or a list: statusCode: [200, 201]", "statusCode must be a status code or a list of them, not %s", kindName(c))
						continue
					}
					if t := d.template(c); t != nil {
						if s, ok := t.Static(); ok {
							if n, isInt := s.(int64); !isInt || n < 100 || n > 599 {
								d.errf(c, "write a status code from 100 to 599, like 200", "statusCode %s is not an HTTP status code", c.Value)
								continue
							}
						}
						e.Values = append(e.Values, t)
					}
				}
			case ExpectContentType, ExpectHasHeader, ExpectHasProperty:
				if t := d.stringTemplate(val, string(e.Kind)); t != nil {
					e.Values = []*Template{t}
				}
			case ExpectEquals:
				if val.Kind != yaml.SequenceNode || len(val.Content) < 2 {
					d.errf(val, "write equals: [\"{{ status }}\", \"ok\"]", "equals takes a list of two or more values that must all be equal")
					continue
				}
				for _, c := range val.Content {
					if t := d.template(c); t != nil {
						e.Values = append(e.Values, t)
					}
				}
			default:
				continue // an unknown expectation: reported by the placement check
			}
			if len(e.Values) > 0 {
				out = append(out, e)
			}
		}
	}
	return out
}

// httpConfig reads config.http.
func (d *decoder) httpConfig(v *yaml.Node, c *Config) {
	if isNull(v) {
		return
	}
	if v.Kind != yaml.MappingNode {
		d.errf(v, "write http:\n  timeout: 10\n  pool: 50", "config.http must be a mapping, not %s", kindName(v))
		return
	}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], v.Content[i+1]
		switch k.Value {
		case "timeout":
			if t, ok := d.duration(val, "config.http.timeout"); ok {
				if t <= 0 {
					d.errf(val, "", "config.http.timeout must be more than 0")
				}
				c.HTTP.Timeout = t
			}
		case "pool", "maxSockets":
			if n, ok := d.integer(val, "config.http."+k.Value); ok {
				if n < 1 {
					d.errf(val, "write the most connections to keep per host, like pool: 50", "config.http.%s must be at least 1", k.Value)
				}
				c.HTTP.Pool = n
			}
		case "defaults":
			if _, h := lookup(val, "headers"); h != nil {
				c.HTTP.Headers = mergeHeaders(c.HTTP.Headers, d.keyTemplates(h, "headers", false))
			}
		case "extendedMetrics":
			d.warnf(k, "remove it: sockload times the whole request only (http.response_time)", "config.http.extendedMetrics is ignored by sockload")
		}
	}
}

// mergeHeaders returns base with over's headers replacing those of the
// same name (case-insensitive), then over's new ones.
func mergeHeaders(base, over []KeyTemplate) []KeyTemplate {
	out := make([]KeyTemplate, 0, len(base)+len(over))
	for _, b := range base {
		replaced := false
		for _, o := range over {
			if strings.EqualFold(o.Key, b.Key) {
				replaced = true
			}
		}
		if !replaced {
			out = append(out, b)
		}
	}
	return append(out, over...)
}
