package scenario

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"testing"
)

// FuzzHTTPVerify checks arbitrary responses (status, a header, any body)
// with a step using every kind of capture, match and expectation: it must
// never panic, a failure is always a *CheckError, and a pass has captured
// every strict value, the JSON one equal to the body's own field.
func FuzzHTTPVerify(f *testing.F) {
	for _, seed := range []struct {
		status int
		header string
		body   string
	}{
		{200, "t1", `{"token":"abc","user":{"id":7}}`},
		{500, "", `{"error":"boom"}`},
		{200, "x", `token=zz`},
		{204, "", ``},
		{200, "h", `[1,2,{"token":null}]`},
	} {
		f.Add(seed.status, seed.header, []byte(seed.body))
	}
	s, err := Parse("fuzz.yml", []byte(`config:
  target: "http://localhost:3000"
  phases: [{duration: 1, arrivalCount: 1}]
scenarios:
  - engine: socketio
    flow:
      - post:
          url: "/login"
          capture:
            - {json: "$.token", as: "token"}
            - {header: "x-token", as: "h", strict: false}
            - {regexp: "token.{0,3}(\\w+)", as: "re", strict: false}
            - {json: "$.user.id", as: "id", strict: false, transform: "id-{{ id }}"}
          match:
            - {json: "$.token", value: "{{ token }}"}
          expect:
            - statusCode: [200, 201]
            - contentType: json
            - hasHeader: "x-token"
            - hasProperty: "user.id"
            - equals: ["{{ token }}", "{{ token }}"]
`), Options{})
	if err != nil {
		f.Fatal(err)
	}
	step := s.Scenarios[0].Flow[0].(*HTTPStep)
	f.Fuzz(func(t *testing.T, status int, header string, body []byte) {
		h := http.Header{"Content-Type": {"application/json"}}
		if header != "" {
			h.Set("X-Token", header)
		}
		resp := &HTTPResponse{Status: status, Header: h, Body: body}
		captured, err := step.Verify(resp, &Context{Vars: map[string]any{}})
		if err != nil {
			var ce *CheckError
			if !errors.As(err, &ce) || ce.Kind == "" || ce.Detail == "" {
				t.Fatalf("a failure that is not a CheckError with a kind and a detail: %v", err)
			}
			return
		}
		if strconv.Itoa(status) != "200" && strconv.Itoa(status) != "201" {
			t.Fatalf("status %d passed statusCode [200, 201]", status)
		}
		var decoded map[string]any
		if json.Unmarshal(body, &decoded) != nil {
			t.Fatalf("a body that is not a JSON object passed hasProperty: %q", body)
		}
		if !JSONEqual(captured["token"], decoded["token"]) {
			t.Fatalf("captured token %#v, the body holds %#v", captured["token"], decoded["token"])
		}
	})
}
