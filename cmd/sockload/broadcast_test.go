package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sockload/sockload/internal/cluster"
)

// TestReachCheckFailsARunWithoutTheAdapter runs a chat room over three
// nodes that do not share rooms: each message reaches only its sender's
// node, the summary says how many were missing, and a check on reach fails
// the run.
func TestReachCheckFailsARunWithoutTheAdapter(t *testing.T) {
	if testing.Short() {
		t.Skip("a 9-second run on a real cluster; skipped in -short mode")
	}
	cases := []struct {
		adapter bool
		code    exitCode
	}{
		{false, exitChecksFail},
		{true, exitOK},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("adapter %v", tc.adapter), func(t *testing.T) {
			c := cluster.Start(t, cluster.Options{Adapter: tc.adapter, Sticky: true})
			dir := t.TempDir()
			file := filepath.Join(dir, "chat.yml")
			writeFile(t, file, fmt.Sprintf(`
config:
  target: "%s"
  timeout: 2
  phases:
    - duration: 1
      arrivalCount: 15
  socketio: {transports: ["websocket"]}
  ensure:
    conditions:
      - expression: "socketio.reach.chat >= 99"
scenarios:
  - name: member
    engine: socketio
    flow:
      - emit: ["join", "r"]
        acknowledge: true
        joinGroup: "r"
      - think: 2
      - emit: ["chat", {room: "r", trace: "{{ $trace }}"}]
        to: "r"
      - think: 5
`, c.URL))
			run := newCLIRun()
			code := run.run(t, "run", "-q", "-o", filepath.Join(dir, "report.json"), file)
			out := run.out.String()
			if code != tc.code {
				t.Fatalf("exit code %d, want %d\n%s\n%s", code, tc.code, out, run.errOut.String())
			}
			if !strings.Contains(out, "Broadcasts (traced messages") || !strings.Contains(out, "  chat: reach ") {
				t.Errorf("the summary has no broadcast line:\n%s", out)
			}
			rep := readReport(t, filepath.Join(dir, "report.json"))
			var chat *float64
			for _, b := range rep.Broadcasts {
				if b.Event == "chat" {
					chat = b.Reach
					if b.Expected != 15*14 || b.Delivered+b.Missing != b.Expected {
						t.Errorf("chat: %+v", b)
					}
				}
			}
			if chat == nil || tc.adapter != (*chat == 100) {
				t.Errorf("reach of chat %v with adapter %v", chat, tc.adapter)
			}
		})
	}
}

// TestChatFanoutExampleRunsAgainstTheServedTarget runs
// examples/chat-fanout.yml against the built-in target, with fewer VUs
// and without its latency threshold (a loaded test machine may stall for
// longer than a production gate allows): every member reaches every other.
func TestChatFanoutExampleRunsAgainstTheServedTarget(t *testing.T) {
	if testing.Short() {
		t.Skip("the example's flow lasts 16 seconds; skipped in -short mode")
	}
	t.Parallel()
	example, err := filepath.Abs("../../examples/chat-fanout.yml")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "report.json")
	c := newCLIRun()
	code := c.run(t, "run", "--serve", "-q", "-o", out,
		"-t", "http://127.0.0.1:"+freePort(t),
		"--overrides", `{"config":{"phases":[{"duration":2,"arrivalRate":5}],"ensure":{"thresholds":[]}}}`,
		example)
	if code != exitOK {
		t.Fatalf("exit code %d\n%s\n%s", code, c.out.String(), c.errOut.String())
	}
	rep := readReport(t, out)
	if len(rep.Broadcasts) != 2 || rep.Broadcasts[1].Event != "chat" {
		t.Fatalf("broadcasts %+v", rep.Broadcasts)
	}
	chat := rep.Broadcasts[1]
	if chat.Reach == nil || *chat.Reach != 100 || chat.Expected == 0 || chat.Missing != 0 || chat.Duplicates != 0 {
		t.Errorf("chat: %+v", chat)
	}
	// A listener hears every chat received, also one that reached a VU
	// between the server's join and its ack, before it was expected.
	if n := rep.Aggregate.Counters["socketio.listened.chat"]; n < chat.Delivered {
		t.Errorf("the listeners heard %d chat messages, %d were delivered", n, chat.Delivered)
	}
}
