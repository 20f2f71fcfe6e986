package engine

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sockload/sockload/metrics"
	"github.com/sockload/sockload/scenario"
)

// runHTTPSteps runs the flow's steps, all HTTP, as one VU.
func runHTTPSteps(t *testing.T, s *scenario.Script, insecure bool) (*vu, []error, metrics.Snapshot) {
	t.Helper()
	reg := metrics.New(time.Now(), metrics.Options{Rates: Rates})
	r, err := New(Config{Script: s, Plan: PlanOf(s), Registry: reg, Seed: 1, InsecureSkipVerify: insecure})
	if err != nil {
		t.Fatal(err)
	}
	v := r.newVU(1, 0, 0)
	var errs []error
	for _, st := range s.Scenarios[0].Flow {
		errs = append(errs, v.httpStep(context.Background(), st.(*scenario.HTTPStep)))
	}
	return v, errs, reg.Rotate(time.Now())
}

// Every key of an HTTP step reaches the request: the default headers of
// config.http (replaced by the step's of the same name), qs, a JSON or form
// body, basic auth, cookies (kept in the VU's jar for the next request),
// and followRedirect.
func TestHTTPRequestIsBuiltFromTheStep(t *testing.T) {
	var mu sync.Mutex
	var got []*http.Request
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, r)
		bodies = append(bodies, string(b))
		mu.Unlock()
		if r.URL.Path == "/redirect" {
			http.Redirect(w, r, "/landed", http.StatusFound)
			return
		}
		w.Header().Set("Set-Cookie", "sid=s1; Path=/")
		w.Write([]byte(`{"ok":true}`))
	}))
	defer srv.Close()
	s := loadScript(t, srv.URL, `
config:
  target: "%s"
  phases: [{duration: 1, arrivalCount: 1}]
  http:
    defaults:
      headers:
        x-client: "sockload"
        x-team: "core"
  variables:
    name: "ann"
scenarios:
  - engine: socketio
    flow:
      - post:
          url: "/login"
          qs: {v: "{{ name }}"}
          headers: {x-team: "{{ name }}-team"}
          json: {user: "{{ name }}", n: 2}
          auth: {user: "{{ name }}", pass: "pw"}
          cookie: {theme: "dark"}
      - put:
          url: "/form"
          form: {a: "1", b: "{{ name }}"}
      - get:
          url: "/redirect"
          followRedirect: false
          expect:
            - statusCode: 302
      - get: "/redirect"
`)
	_, errs, snap := runHTTPSteps(t, s, false)
	for i, err := range errs {
		if err != nil {
			t.Errorf("step %d: %v", i+1, err)
		}
	}
	if len(got) != 5 {
		t.Fatalf("the server got %d requests, want 5 (the last redirect followed)", len(got))
	}
	login := got[0]
	user, pass, _ := login.BasicAuth()
	var body map[string]any
	_ = json.Unmarshal([]byte(bodies[0]), &body)
	for what, ok := range map[string]bool{
		"method":                 login.Method == "POST",
		"qs":                     login.URL.Query().Get("v") == "ann",
		"default header":         login.Header.Get("X-Client") == "sockload",
		"step header replaces":   login.Header.Get("X-Team") == "ann-team",
		"json body":              body["user"] == "ann" && body["n"] == 2.0,
		"json content type":      login.Header.Get("Content-Type") == "application/json",
		"basic auth":             user == "ann" && pass == "pw",
		"cookie":                 strings.Contains(login.Header.Get("Cookie"), "theme=dark"),
		"form body":              bodies[1] == "a=1&b=ann" && got[1].Header.Get("Content-Type") == "application/x-www-form-urlencoded",
		"jar keeps the cookies":  strings.Contains(got[1].Header.Get("Cookie"), "sid=s1") && strings.Contains(got[1].Header.Get("Cookie"), "theme=dark"),
		"redirect not followed":  got[2].URL.Path == "/redirect" && got[3].URL.Path == "/redirect",
		"redirect followed":      got[4].URL.Path == "/landed",
		"codes":                  snap.Counters[MetricHTTPCodes+"302"] == 1 && snap.Counters[MetricHTTPCodes+"200"] == 3,
		"requests and responses": snap.Counters[MetricHTTPRequests] == 4 && snap.Counters[MetricHTTPResponses] == 4,
	} {
		if !ok {
			t.Errorf("%s: not as expected (request %+v)", what, login)
		}
	}
}

// TLS verification of HTTP steps follows the run's: a self-signed
// certificate fails unless -k or tls.rejectUnauthorized: false.
func TestHTTPStepTLSVerification(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("{}")) }))
	defer srv.Close()
	cases := []struct {
		name     string
		tls      string
		insecure bool
		ok       bool
	}{
		{"verified", "", false, false},
		{"-k", "", true, true},
		{"rejectUnauthorized false", "\n  tls:\n    rejectUnauthorized: false", false, true},
	}
	for _, c := range cases {
		s := loadScript(t, srv.URL, `
config:
  target: "%s"
  phases: [{duration: 1, arrivalCount: 1}]`+c.tls+`
scenarios:
  - engine: socketio
    flow:
      - get: "/"
`)
		_, errs, _ := runHTTPSteps(t, s, c.insecure)
		if (errs[0] == nil) != c.ok {
			t.Errorf("%s: error %v, want success %v", c.name, errs[0], c.ok)
		}
	}
}

// config.http.pool bounds the connections HTTP steps open to a host,
// shared by every VU; without it each concurrent VU opens its own.
func TestHTTPPoolBoundsConnections(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run of over a second; go test without -short runs it")
	}
	cases := []struct {
		pool  string
		check func(conns int) bool
		want  string
	}{
		{"\n  http:\n    pool: 2", func(n int) bool { return n <= 2 }, "at most 2"},
		{"", func(n int) bool { return n > 2 }, "more than 2"},
	}
	for _, c := range cases {
		var mu sync.Mutex
		conns := 0
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(200 * time.Millisecond)
			w.Write([]byte("{}"))
		}))
		srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				mu.Lock()
				conns++
				mu.Unlock()
			}
		}
		srv.Start()
		s := loadScript(t, srv.URL, `
config:
  target: "%s"
  phases: [{duration: 0.1, arrivalCount: 8}]`+c.pool+`
scenarios:
  - engine: socketio
    flow:
      - get: "/"
`)
		_, snap := runScript(t, context.Background(), s)
		srv.Close()
		if snap.Counters[MetricHTTPCodes+"200"] != 8 {
			t.Errorf("pool %q: %v", c.pool, snap.Counters)
		}
		if !c.check(conns) {
			t.Errorf("pool %q: %d connections, want %s", c.pool, conns, c.want)
		}
	}
}
