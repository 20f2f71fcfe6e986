package scenario

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

// Each check of an HTTP step against one response, in Artillery's terms.
func TestHTTPStepVerify(t *testing.T) {
	resp := func() *HTTPResponse {
		return &HTTPResponse{
			Status: 200,
			Header: http.Header{"Content-Type": {"application/json; charset=utf-8"}, "X-Token": {"h1"}},
			Body:   []byte(`{"token":"abc","user":{"id":7,"name":"alice"},"items":[1,2]}`),
		}
	}
	cases := []struct {
		name   string
		step   string
		kind   string // "" when it passes
		detail string
		want   map[string]any
	}{
		{"json capture", `capture: {json: "$.token", as: "t"}`, "", "", map[string]any{"t": "abc"}},
		{"nested json capture", `capture: {json: "$.user.id", as: "id"}`, "", "", map[string]any{"id": 7.0}},
		{"header capture", `capture: {header: "x-token", as: "h"}`, "", "", map[string]any{"h": "h1"}},
		{"regexp group", `capture: {regexp: "\"name\":\"(\\w+)\"", as: "n"}`, "", "", map[string]any{"n": "alice"}},
		{"regexp group 0", `capture: {regexp: "items", group: 0, as: "n"}`, "", "", map[string]any{"n": "items"}},
		{"transform", `capture: {json: "$.token", as: "t", transform: "Bearer {{ t }}"}`, "", "", map[string]any{"t": "Bearer abc"}},
		{"missing capture", `capture: {json: "$.nope", as: "t"}`, "Failed capture", "nothing at $.nope in the response (status 200", nil},
		{"missing header", `capture: {header: "x-nope", as: "t"}`, "Failed capture", "nothing at header x-nope", nil},
		{"not strict", `capture: {json: "$.nope", as: "t", strict: false}`, "", "", nil},
		{"match", `match: {json: "$.user.name", value: "alice"}`, "", "", nil},
		{"match number as text", `match: {json: "$.user.id", value: "7"}`, "", "", nil},
		{"match regexp", `match: {regexp: "\"token\":\"(\\w+)\"", value: "abc"}`, "", "", nil},
		{"failed match", `match: {json: "$.user.name", value: "bob"}`, "Failed match", `$.user.name is "alice", expected "bob"`, nil},
		{"match after capture", "capture: {json: \"$.token\", as: \"t\"}\n    match: {json: \"$.token\", value: \"{{ t }}\"}", "", "", map[string]any{"t": "abc"}},
		{"status", "expect:\n      - statusCode: 200", "", "", nil},
		{"status list", "expect:\n      - statusCode: [201, 204]", "Failed expectation", "statusCode 200, expected 201 or 204", nil},
		{"content type json", "expect:\n      - contentType: json", "", "", nil},
		{"content type substring", "expect:\n      - contentType: text/html", "Failed expectation", `contentType "application/json; charset=utf-8", expected "text/html"`, nil},
		{"has header", "expect:\n      - hasHeader: x-token", "", "", nil},
		{"lacks header", "expect:\n      - hasHeader: x-other", "Failed expectation", "no header x-other", nil},
		{"has property", "expect:\n      - hasProperty: user.name", "", "", nil},
		{"has list property", "expect:\n      - hasProperty: items.1", "", "", nil},
		{"lacks property", "expect:\n      - hasProperty: user.email", "Failed expectation", `hasProperty "user.email": not in body`, nil},
		{"equals", "expect:\n      - equals: [\"{{ who }}\", \"alice\"]", "", "", nil},
		{"not equal", "expect:\n      - equals: [\"{{ who }}\", \"bob\"]", "Failed expectation", `equals: "alice" is not "bob"`, nil},
		{"expectations first", "capture: {json: \"$.nope\", as: \"t\"}\n    expect:\n      - statusCode: 201", "Failed expectation", "statusCode 200", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := Parse("http.yml", []byte(`config:
  target: "http://localhost:3000"
  phases: [{duration: 1, arrivalCount: 1}]
  variables:
    who: "alice"
scenarios:
  - engine: socketio
    flow:
      - get:
          url: "/x"
          `+strings.ReplaceAll(c.step, "\n    ", "\n          ")+"\n"), Options{})
			if err != nil {
				t.Fatal(err)
			}
			st := s.Scenarios[0].Flow[0].(*HTTPStep)
			got, err := st.Verify(resp(), &Context{Vars: map[string]any{"who": "alice"}})
			if c.kind == "" {
				if err != nil {
					t.Fatalf("want a pass, got %v", err)
				}
				if len(got) != len(c.want) {
					t.Fatalf("captured %v, want %v", got, c.want)
				}
				for k, v := range c.want {
					if !JSONEqual(got[k], v) {
						t.Errorf("captured %s = %#v, want %#v", k, got[k], v)
					}
				}
				return
			}
			var ce *CheckError
			if !errors.As(err, &ce) || ce.Kind != c.kind || !strings.Contains(ce.Detail, c.detail) || !strings.HasPrefix(ce.Detail, "GET /x: ") {
				t.Errorf("error %v, want %s saying GET /x: ...%s", err, c.kind, c.detail)
			}
		})
	}
}

// A body that is not JSON fails JSON captures and hasProperty, and says so.
func TestHTTPStepVerifyNonJSONBody(t *testing.T) {
	s, err := Parse("http.yml", []byte(`config:
  target: "http://localhost:3000"
  phases: [{duration: 1, arrivalCount: 1}]
scenarios:
  - engine: socketio
    flow:
      - get:
          url: "/x"
          expect:
            - hasProperty: token
`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	st := s.Scenarios[0].Flow[0].(*HTTPStep)
	_, err = st.Verify(&HTTPResponse{Status: 200, Header: http.Header{}, Body: []byte("<html>")}, nil)
	if err == nil || !strings.Contains(err.Error(), "the body is not JSON") {
		t.Errorf("error %v, want one saying the body is not JSON", err)
	}
}
