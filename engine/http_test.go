package engine

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sockload/sockload/internal/refserver"
	"github.com/sockload/sockload/metrics"
	"github.com/sockload/sockload/scenario"
)

// Log in over HTTP, capture the token, connect /private with it (the
// server refuses sockets without a login), emit and ack; then call a REST
// endpoint while connected. Every count is exact on both sides.
func TestLoginThenConnectWithTheCapturedToken(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run against the Node reference server; go test without -short runs it")
	}
	t.Parallel()
	srv := refserver.Start(t, refserver.V4, "--namespaces", "/,/private")
	s := loadScript(t, srv.URL, `
config:
  target: "%s"
  phases:
    - duration: 1
      arrivalCount: 6
  socketio:
    transports: ["websocket"]
scenarios:
  - name: login
    flow:
      - post:
          url: "/login"
          json: {username: "user{{ $randomNumber(1, 1000) }}", password: "secret"}
          capture:
            - json: "$.token"
              as: "token"
            - json: "$.user"
              as: "user"
          expect:
            - statusCode: 200
            - contentType: json
            - hasProperty: "token"
      - connect:
          namespace: "/private"
          auth:
            token: "{{ token }}"
      - namespace: "/private"
        emit: ["whoami"]
        acknowledge:
          match:
            json: "$.0"
            value: "{{ user }}"
      - get:
          url: "/me"
          headers:
            Authorization: "Bearer {{ token }}"
          match:
            json: "$.user"
            value: "{{ user }}"
`)
	_, snap := runScript(t, context.Background(), s)
	expectCounters(t, snap, map[string]int64{
		MetricVUsersCompleted:      6,
		MetricVUsersFailed:         0,
		MetricHTTPRequests:         12,
		MetricHTTPResponses:        12,
		MetricHTTPCodes + "200":    12,
		MetricEmit:                 6,
		MetricErrors + "ETIMEDOUT": 0,
	})
	if snap.Counters[MetricHTTPDownloadedBytes] < 12*10 {
		t.Errorf("http.downloaded_bytes = %d, want the bodies' bytes", snap.Counters[MetricHTTPDownloadedBytes])
	}
	for name, want := range map[string]int64{
		MetricHTTPResponseTime:             12,
		MetricHTTPResponseTime + "./login": 6,
		MetricHTTPResponseTime + "./me":    6,
		MetricResponseTime + ".whoami":     6,
	} {
		if h := snap.Histograms[name]; h == nil || h.TotalCount() != want {
			t.Errorf("%s holds %v values, want %d", name, h, want)
		}
	}
	expectCatalogued(t, snap, MetricsFor(s))
	stats := srv.Stats()
	if got := stats.Received["/private"]["whoami"]; got != 6 {
		t.Errorf("the server received %d whoami on /private, want 6", got)
	}
	if stats.HTTPRequests != 12 {
		t.Errorf("the server answered %d HTTP requests, want 12 (a login and a GET /me per VU)", stats.HTTPRequests)
	}
}

// Without the login, /private refuses the socket: the proof that the
// token above is what let it in.
func TestPrivateNamespaceRefusesWithoutLogin(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run against the Node reference server; go test without -short runs it")
	}
	t.Parallel()
	srv := refserver.Start(t, refserver.V4, "--namespaces", "/,/private")
	s := loadScript(t, srv.URL, `
config:
  target: "%s"
  phases:
    - duration: 1
      arrivalCount: 2
  socketio:
    transports: ["websocket"]
scenarios:
  - flow:
      - connect:
          namespace: "/private"
          auth: {token: "forged.0000"}
`)
	_, snap := runScript(t, context.Background(), s)
	expectCounters(t, snap, map[string]int64{MetricVUsersFailed: 2, MetricErrors + CodeConnectError: 2})
}

// The session cookie set by the HTTP login reaches the Socket.IO
// handshake, over polling and websocket alike: one cookie jar per VU.
func TestSessionCookieReachesTheHandshake(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run against the Node reference server; go test without -short runs it")
	}
	t.Parallel()
	srv := refserver.Start(t, refserver.V4, "--namespaces", "/,/private")
	for _, transports := range []string{`["websocket"]`, `["polling", "websocket"]`, `["polling"]`} {
		t.Run(transports, func(t *testing.T) {
			s := loadScript(t, srv.URL, `
config:
  target: "%s"
  phases:
    - duration: 1
      arrivalCount: 3
  socketio:
    transports: `+transports+`
scenarios:
  - flow:
      - post:
          url: "/login"
          form: {username: "carol", password: "secret"}
          expect:
            - hasHeader: "set-cookie"
      - namespace: "/private"
        emit: ["whoami"]
        acknowledge:
          match:
            json: "$.0"
            value: "carol"
`)
			_, snap := runScript(t, context.Background(), s)
			expectCounters(t, snap, map[string]int64{MetricVUsersCompleted: 3, MetricVUsersFailed: 0, MetricHTTPCodes + "200": 3})
		})
	}
}

// A flow that starts with an HTTP step connects "/" lazily at its first
// Socket.IO step, so the connection carries what the HTTP step captured.
func TestCapturedValuesReachConnectionsOpenedLater(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run against the Node reference server; go test without -short runs it")
	}
	t.Parallel()
	srv := refserver.Start(t, refserver.V4)
	s := loadScript(t, srv.URL, `
config:
  target: "%s"
  phases:
    - duration: 1
      arrivalCount: 2
  socketio:
    transports: ["websocket"]
    query:
      token: "{{ token }}"
    extraHeaders:
      x-token: "{{ token }}"
scenarios:
  - flow:
      - post:
          url: "/login"
          json: {username: "dave", password: "secret"}
          capture:
            json: "$.token"
            as: "token"
            transform: "T-{{ token }}"
      - emit: ["handshake"]
        acknowledge:
          match:
            - json: "$.0.query.token"
              value: "{{ token }}"
            - json: "$.0.headers.x-token"
              value: "{{ token }}"
      - emit: ["handshake"]
        acknowledge:
          capture:
            json: "$.0.query.token"
            as: "seen"
      - log: "{{ seen }}"
`)
	var logged []string
	reg := metrics.New(time.Now(), metrics.Options{Rates: Rates})
	r, err := New(Config{Script: s, Plan: PlanOf(s), Registry: reg, Seed: 1, Log: func(m string) { logged = append(logged, m) }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	snap := reg.Rotate(time.Now())
	expectCounters(t, snap, map[string]int64{MetricVUsersCompleted: 2, MetricVUsersFailed: 0})
	for _, m := range logged {
		if !strings.HasPrefix(m, "T-dave.") {
			t.Errorf("the connection's query token is %q, want the transformed capture T-dave.<mac>", m)
		}
	}
}

// HTTP failures are counted by code, and each step's error says what
// happened.
func TestHTTPFailuresAreCountedByCode(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run against the Node reference server; go test without -short runs it")
	}
	t.Parallel()
	srv := refserver.Start(t, refserver.V4)
	refused := refusedURL(t)
	cases := []struct {
		name, step string
		code       string // errors.<code>; "" when the VU completes
		status     string // http.codes.<status> counted once, when set
		message    string // in the step's error
	}{
		{"500 is a response, not an error", `get: "/status/500"`, "", "500", ""},
		{"500 against statusCode", "get:\n          url: \"/status/500\"\n          expect:\n            - statusCode: [200, 201]", "Failed expectation", "500", "GET /status/500: statusCode 500, expected 200 or 201"},
		{"timeout", "get:\n          url: \"/delay/2000\"\n          timeout: 0.2", "ETIMEDOUT", "", "no response within 200ms"},
		{"connection refused", "get: \"" + refused + "/x\"", "ECONNREFUSED", "", "connection refused"},
		{"failed capture", "get:\n          url: \"/status/404\"\n          capture: {json: \"$.token\", as: \"token\"}", "Failed capture", "404", `nothing at $.token in the response (status 404, body "{\"status\":404}")`},
		{"failed match", "get:\n          url: \"/me\"\n          match: {json: \"$.error\", value: \"welcome\"}", "Failed match", "401", `$.error is "log in first", expected "welcome"`},
		{"bad login", "post:\n          url: \"/login\"\n          json: {username: \"x\", password: \"wrong\"}\n          expect:\n            - statusCode: 200", "Failed expectation", "401", `statusCode 401, expected 200 (body "{\"error\":\"invalid credentials\"}")`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := loadScript(t, srv.URL, `
config:
  target: "%s"
  phases:
    - duration: 1
      arrivalCount: 1
scenarios:
  - flow:
      - `+c.step+`
`)
			st := s.Scenarios[0].Flow[0].(*scenario.HTTPStep)
			reg := metrics.New(time.Now(), metrics.Options{Rates: Rates})
			r, err := New(Config{Script: s, Plan: PlanOf(s), Registry: reg, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			v := r.newVU(1, 0, 0)
			err = v.httpStep(context.Background(), st)
			snap := reg.Rotate(time.Now())
			if c.status != "" && snap.Counters[MetricHTTPCodes+c.status] != 1 {
				t.Errorf("http.codes.%s = %d, want 1 (%v)", c.status, snap.Counters[MetricHTTPCodes+c.status], snap.Counters)
			}
			if snap.Counters[MetricHTTPRequests] != 1 {
				t.Errorf("http.requests = %d, want 1", snap.Counters[MetricHTTPRequests])
			}
			if c.code == "" {
				if err != nil {
					t.Fatalf("want no error, got %v", err)
				}
				return
			}
			var se *stepError
			if !errors.As(err, &se) || se.code != c.code {
				t.Fatalf("error %v, want code %q", err, c.code)
			}
			if !strings.Contains(err.Error(), c.message) {
				t.Errorf("error %q does not say %q", err, c.message)
			}
		})
	}
}

// refusedURL is an address on loopback where nothing listens.
func refusedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}
