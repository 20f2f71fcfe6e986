package main

import (
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestServeRunsUntilSignal(t *testing.T) {
	var out, errOut syncBuffer
	signals := make(chan os.Signal, 1)
	pio := &processIO{
		stdout:  &out,
		stderr:  &errOut,
		getenv:  func(string) string { return "" },
		signals: func() (<-chan os.Signal, func()) { return signals, func() {} },
	}
	done := make(chan exitCode, 1)
	go func() {
		done <- runCLI(pio, []string{"serve", "--addr", "127.0.0.1:0", "--capacity", "100", "--eio", "3"})
	}()

	listening := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+) \(path /socket\.io/, Engine\.IO v3`)
	var url string
	deadline := time.Now().Add(10 * time.Second)
	for url == "" {
		if m := listening.FindStringSubmatch(out.String()); m != nil {
			url = m[1]
			break
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited with %d: %s%s", code, out.String(), errOut.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve printed no address: %q", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}

	resp, err := http.Get(url + "/socket.io/?EIO=3&transport=polling")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("handshake: HTTP %d", resp.StatusCode)
	}
	resp, err = http.Get(url + "/__stats")
	if err != nil {
		t.Fatal(err)
	}
	var stats struct{ Connections int }
	err = json.NewDecoder(resp.Body).Decode(&stats)
	resp.Body.Close()
	if err != nil || stats.Connections != 1 {
		t.Fatalf("stats: %+v, %v; want the handshake's connection", stats, err)
	}

	signals <- os.Interrupt
	select {
	case code := <-done:
		if code != exitOK || !strings.Contains(out.String(), "stopped: 1 socket connections") {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop on the signal")
	}
	if _, err := http.Get(url + "/__stats"); err == nil {
		t.Fatal("the target still answers after stopping")
	}
}

func TestServeRefusesInvalidInput(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"remote address", []string{"--addr", "0.0.0.0:0"}, "--allow-remote"},
		{"unknown protocol", []string{"--eio", "5"}, "--eio 5"},
		{"bad ack delay", []string{"--ack-delay", "soon"}, "--ack-delay"},
		{"negative capacity", []string{"--capacity", "-1"}, "--capacity -1"},
		{"zero ping interval", []string{"--ping-interval", "0s"}, "--ping-interval"},
		{"arguments", []string{"extra"}, "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := runInProcess(t, append([]string{"serve"}, tt.args...)...)
			if code != exitInvalid || !strings.Contains(errOut, tt.want) {
				t.Fatalf("code %d, stderr %q; want %d mentioning %q", code, errOut, exitInvalid, tt.want)
			}
		})
	}
}

// TestServeHelpListed looks for serve in the list of commands, a line
// of its own with its short description, not the word anywhere in the help.
func TestServeHelpListed(t *testing.T) {
	out, _, code := runInProcess(t, "--help")
	listed := regexp.MustCompile(`(?m)^\s+serve\s+\S`)
	if code != exitOK || !listed.MatchString(out) {
		t.Fatalf("help does not list serve: %q", out)
	}
}
