package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sockload/sockload/internal/refserver"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files of cmd/sockload's tests")

// traceScenario joins a namespace with an auth token and a query value,
// pings and echoes, over websocket (one transport, so the trace's order is
// fixed).
const traceScenario = `config:
  target: "%s"
  phases:
    - duration: 1
      arrivalCount: 1
  socketio:
    transports: ["websocket"]
    auth:
      token: "s3cret-token"
    query:
      apiKey: "s3cret-key"
scenarios:
  - engine: socketio
    flow:
      - emit: ["ping"]
        acknowledge:
          match: {json: "$.0", value: "pong"}
      - emit:
          channel: "echo"
          data: {n: 1}
        acknowledge:
          data: {n: 1}
`

// traceNoise is what changes between runs: times, ports, session ids.
var traceNoise = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`^\+\d+\.\d{3}s`), "+T"},
	{regexp.MustCompile(`127\.0\.0\.1:\d+`), "127.0.0.1:PORT"},
	{regexp.MustCompile(`"sid":"[^"]+"`), `"sid":"SID"`},
	{regexp.MustCompile(`"pingInterval":\d+,"pingTimeout":\d+`), `"pingInterval":N,"pingTimeout":N`},
}

// TestTraceOfOneVU is the golden trace of one VU against the Node reference
// server (go test ./cmd/sockload -run TestTraceOfOneVU -update rewrites
// it): the websocket handshake with its status, every packet both ways,
// the token in auth and the query's value hidden.
func TestTraceOfOneVU(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the Node reference servers")
	}
	srv := refserver.Start(t, refserver.V4, "--auth-token", "s3cret-token")
	dir := t.TempDir()
	path := filepath.Join(dir, "trace.yml")
	writeFile(t, path, fmt.Sprintf(traceScenario, srv.URL))
	tracePath := filepath.Join(dir, "trace.txt")
	c := newCLIRun()
	if code := c.run(t, "run", "-q", "--solo", "--trace-file", tracePath, path); code != exitOK {
		t.Fatalf("exit code %d\nstderr:\n%s", code, c.errOut.String())
	}
	raw, err := os.ReadFile(tracePath)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "s3cret") {
		t.Errorf("the trace shows a secret:\n%s", raw)
	}
	var lines []string
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		for _, n := range traceNoise {
			line = n.re.ReplaceAllString(line, n.with)
		}
		lines = append(lines, line)
	}
	got := strings.Join(lines, "\n") + "\n"
	golden := filepath.Join("testdata", "trace-websocket.golden")
	if *updateGolden {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test ./cmd/sockload -run TestTraceOfOneVU -update writes it)", err)
	}
	if got != string(want) {
		t.Errorf("the trace differs from %s:\n%s", golden, got)
	}
}

func TestTraceShowsSecretsWhenAsked(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the Node reference servers")
	}
	srv := refserver.Start(t, refserver.V4, "--auth-token", "s3cret-token")
	path := filepath.Join(t.TempDir(), "trace.yml")
	writeFile(t, path, fmt.Sprintf(traceScenario, srv.URL))
	c := newCLIRun()
	if code := c.run(t, "run", "-q", "--solo", "--trace", "--trace-secrets", path); code != exitOK {
		t.Fatalf("exit code %d\nstderr:\n%s", code, c.errOut.String())
	}
	for _, want := range []string{`0{"token":"s3cret-token"}`, "apiKey=s3cret-key"} {
		if !strings.Contains(c.errOut.String(), want) {
			t.Errorf("the trace on stderr lacks %q:\n%s", want, c.errOut.String())
		}
	}
}

// TestTraceOverPolling: the handshake's and polls' requests appear with
// their status, then the upgrade's probe, with the token hidden.
func TestTraceOverPolling(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the Node reference servers")
	}
	srv := refserver.Start(t, refserver.V4, "--auth-token", "s3cret-token")
	path := filepath.Join(t.TempDir(), "trace.yml")
	writeFile(t, path, fmt.Sprintf(strings.Replace(traceScenario, `transports: ["websocket"]`, `transports: ["polling", "websocket"]`, 1), srv.URL))
	c := newCLIRun()
	if code := c.run(t, "run", "-q", "--solo", "--trace", path); code != exitOK {
		t.Fatalf("exit code %d\nstderr:\n%s", code, c.errOut.String())
	}
	trace := c.errOut.String()
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`VU 1 → GET http://127\.0\.0\.1:\d+/socket\.io/\?EIO=4&apiKey=\[redacted\]&t=\w+&transport=polling 200`),
		regexp.MustCompile(`VU 1 ← polling open \{"sid":`),
		regexp.MustCompile(`VU 1 → POST http://127\.0\.0\.1:\d+/socket\.io/\?EIO=4&apiKey=\[redacted\]&sid=[^&]+&t=\w+&transport=polling 200`),
		regexp.MustCompile(`VU 1 → polling message CONNECT 0\{"token":"\[redacted\]"\}`),
	} {
		if !want.MatchString(trace) {
			t.Errorf("the trace lacks %s:\n%s", want, trace)
		}
	}
	if strings.Contains(trace, "s3cret") {
		t.Errorf("the trace shows a secret:\n%s", trace)
	}
}
