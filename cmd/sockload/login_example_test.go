package main

import (
	"path/filepath"
	"testing"

	"github.com/sockload/sockload/engine"
)

// examples/login-then-chat.yml, shortened to four arrivals, against the built-in target served in the same process: every
// login, profile request and chat message is counted exactly, and the
// private namespace let every VU in with its captured token.
func TestLoginThenChatExampleAgainstServedTarget(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run of over a second; go test without -short runs it")
	}
	t.Parallel()
	path, err := filepath.Abs("../../examples/login-then-chat.yml")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "report.json")
	c := newCLIRun()
	code := c.run(t, "run", "-q", "--serve", "-o", out,
		"-t", "http://127.0.0.1:"+freePort(t),
		"--overrides", `{"config":{"phases":[{"duration":1,"arrivalCount":4}]}}`,
		path)
	if code != exitOK {
		t.Fatalf("exit code %d\nstdout:\n%s\nstderr:\n%s", code, c.out.String(), c.errOut.String())
	}
	rep := readReport(t, out)
	counters := rep.Aggregate.Counters
	for name, want := range map[string]int64{
		engine.MetricVUsersCompleted:      4,
		engine.MetricVUsersFailed:         0,
		engine.MetricHTTPRequests:         8, // a login and a profile each
		engine.MetricHTTPResponses:        8,
		engine.MetricHTTPCodes + "200":    8,
		engine.MetricEmit:                 28, // whoami, join and five broadcasts each
		engine.MetricErrors + "ETIMEDOUT": 0,
	} {
		if counters[name] != want {
			t.Errorf("%s = %d, want %d", name, counters[name], want)
		}
	}
	for name, want := range map[string]int64{
		engine.MetricHTTPResponseTime:        8,
		engine.HTTPResponseTimeOf("/login"):  4,
		engine.HTTPResponseTimeOf("profile"): 4,
		engine.ResponseTimeOf("whoami"):      4,
		engine.ResponseTimeOf("broadcast"):   20,
	} {
		h := rep.Aggregate.Histograms[name]
		if h == nil || h.TotalCount() != want {
			var got int64
			if h != nil {
				got = h.TotalCount()
			}
			t.Errorf("%s holds %d values, want %d", name, got, want)
		}
	}
}
