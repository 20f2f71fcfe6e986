package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sockload/sockload/engine"
	"github.com/sockload/sockload/internal/refserver"
)

// pingScenario pings and checks the pong; socketio is the scenario's
// config.socketio block (indented by four spaces).
const pingScenario = `config:
  target: "%s"
  phases:
    - duration: 1
      arrivalCount: 3
  socketio:
%s
scenarios:
  - flow:
      - emit: ["ping"]
        acknowledge:
          match:
            json: "$.0"
            value: "pong"
`

// A socket.io 2.x server and a scenario that does not say so: the probe
// detects it from the handshake, the run speaks Engine.IO 3 and says so
// once.
func TestSocketIO2ServerIsDetected(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the Node reference servers")
	}
	t.Parallel()
	srv := refserver.Start(t, refserver.V2)
	for _, tc := range []struct{ name, socketio string }{
		{"polling then websocket", `    timeout: 5000`},
		{"websocket only", `    transports: ["websocket"]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "v2.yml")
			writeFile(t, path, fmt.Sprintf(pingScenario, srv.URL, tc.socketio))
			out := filepath.Join(t.TempDir(), "report.json")
			c := newCLIRun()
			if code := c.run(t, "run", "-q", "-o", out, path); code != exitOK {
				t.Fatalf("exit code %d\nstdout:\n%s\nstderr:\n%s", code, c.out.String(), c.errOut.String())
			}
			if n := strings.Count(c.errOut.String(), "speaks Engine.IO 3 (socket.io 2.x)"); n != 1 {
				t.Errorf("the detection is said %d times, want once:\n%s", n, c.errOut.String())
			}
			counters := readReport(t, out).Aggregate.Counters
			if counters[engine.MetricVUsersCompleted] != 3 {
				t.Errorf("counters %v, want 3 VUs completed", counters)
			}
		})
	}
}

// Targets that no VU can use are diagnosed before the load, and the run, in
// which no VU completes, exits 1 with the diagnosis in its first errors.
func TestTargetsThatAreNotSocketIOAreDiagnosed(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the Node reference servers")
	}
	t.Parallel()
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<!DOCTYPE html><html><body>Welcome</body></html>")
	}))
	t.Cleanup(html.Close)
	sio := refserver.Start(t, refserver.V4)
	tests := []struct {
		name, target, socketio string
		stderr, code, message  string
	}{
		{
			name: "plain HTTP server", target: html.URL, socketio: `    timeout: 5000`,
			stderr: `Target check failed: this is not a Socket.IO server: GET /socket.io/ answered 200 OK (text/html; charset=utf-8) "<!DOCTYPE html>`,
			code:   engine.CodeNotSocketIO, message: "this is not a Socket.IO server",
		},
		{
			name: "plain HTTP server over websocket", target: html.URL, socketio: `    transports: ["websocket"]`,
			stderr: `this is not a Socket.IO server: GET /socket.io/ (websocket) answered 200 OK (text/html; charset=utf-8)`,
			code:   engine.CodeNotSocketIO, message: "this is not a Socket.IO server",
		},
		{
			name: "wrong path", target: sio.URL, socketio: `    path: "/io"`,
			stderr: `this is not a Socket.IO server: GET /io/ answered 404 Not Found`,
			code:   engine.CodeNotSocketIO, message: `404 Not Found`,
		},
		{
			name: "refused port", target: "http://127.0.0.1:" + freePort(t), socketio: `    timeout: 5000`,
			stderr: "Target check failed: nothing listens at 127.0.0.1:",
			code:   engine.CodeConnRefused, message: "nothing listens at 127.0.0.1:",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "s.yml")
			writeFile(t, path, fmt.Sprintf(pingScenario, tc.target, tc.socketio))
			out := filepath.Join(t.TempDir(), "report.json")
			c := newCLIRun()
			code := c.run(t, "run", "-q", "-o", out, path)
			if code != exitChecksFail {
				t.Errorf("exit code %d, want %d (no VU completed)", code, exitChecksFail)
			}
			if !strings.Contains(c.errOut.String(), tc.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.stderr, c.errOut.String())
			}
			rep := readReport(t, out)
			if n := rep.Aggregate.Counters["errors."+tc.code]; n != 3 {
				t.Errorf("errors.%s = %d, want 3 (%v)", tc.code, n, rep.Aggregate.Counters)
			}
			if len(rep.FirstErrors) == 0 || !strings.Contains(rep.FirstErrors[0].Message, tc.message) {
				t.Errorf("first errors %+v lack %q", rep.FirstErrors, tc.message)
			}
			if !strings.Contains(c.out.String(), "First errors:") {
				t.Errorf("the summary has no first errors:\n%s", c.out.String())
			}
		})
	}
}

// TestServeOnABusyPortSuggestsAnother: --serve where something already
// listens names the flag that serves elsewhere.
func TestServeOnABusyPortSuggestsAnother(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	path := filepath.Join(t.TempDir(), "s.yml")
	writeFile(t, path, fmt.Sprintf(pingScenario, "http://"+ln.Addr().String(), `    timeout: 5000`))
	c := newCLIRun()
	if code := c.run(t, "run", "-q", "--serve", path); code != exitInvalid {
		t.Errorf("exit code %d, want %d", code, exitInvalid)
	}
	want := "is already in use"
	if !strings.Contains(c.errOut.String(), want) || !strings.Contains(c.errOut.String(), "give -t http://127.0.0.1:") {
		t.Errorf("stderr does not suggest -t:\n%s", c.errOut.String())
	}
}
