package socketio

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sockload/sockload/internal/refserver"
	"github.com/sockload/sockload/socketio/wire"
)

func TestProbeFindsTheServersEngineVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the Node reference servers")
	}
	for _, tc := range []struct {
		server     refserver.Version
		transports []string
		want       wire.EngineVersion
	}{
		{refserver.V4, nil, wire.EngineV4},
		{refserver.V4, []string{TransportWebsocket}, wire.EngineV4},
		{refserver.V2, nil, wire.EngineV3},
		{refserver.V2, []string{TransportWebsocket}, wire.EngineV3},
	} {
		t.Run(string(tc.server)+" "+strings.Join(tc.transports, ","), func(t *testing.T) {
			srv := refserver.Start(t, tc.server)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			res, err := Probe(ctx, srv.URL, Options{Transports: tc.transports})
			if err != nil {
				t.Fatal(err)
			}
			if res.EngineVersion != tc.want {
				t.Errorf("probed Engine.IO %d, want %d", res.EngineVersion, tc.want)
			}
		})
	}
}

// Engine.IO's refusals, as a real server sends them, are named.
func TestEngineIORefusalsAreNamed(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the Node reference servers")
	}
	srv := refserver.Start(t, refserver.V4)
	cfg, err := newConfig(srv.URL, Options{})
	if err != nil {
		t.Fatal(err)
	}
	base := srv.URL + "/socket.io/?"
	for _, tc := range []struct {
		name, query string
		want        string
		code        int
	}{
		{"unknown transport", "EIO=4&transport=carrier-pigeon", "Transport unknown", 0},
		{"unknown session", "EIO=4&transport=polling&sid=nosuchsession", "Session ID unknown", 1},
		{"unsupported protocol version", "EIO=3&transport=polling", "Unsupported protocol version", 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, _, err := pollGet(ctx, &http.Client{}, cfg, base+tc.query, nil)
			var ee *EngineIOError
			if !errors.As(err, &ee) || ee.Code != tc.code || ee.Name() != tc.want {
				t.Fatalf("error %v, want Engine.IO's %q (code %d)", err, tc.want, tc.code)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%q does not name %q", err, tc.want)
			}
		})
	}
}

func TestHTTPAnswersAreClassified(t *testing.T) {
	for _, tc := range []struct {
		name        string
		status      int
		contentType string
		body        string
		want        string
	}{
		{"engine.io refusal", 400, "application/json", `{"code":1,"message":"Session ID unknown"}`, `Engine.IO refused the request: Session ID unknown (code 1, "Session ID unknown", HTTP 400)`},
		{"unknown code", 403, "application/json", `{"code":42,"message":"no"}`, "engine.io error (code 42"},
		{"404 page", 404, "text/plain", "not found", `this is not a Socket.IO server: GET /x answered 404 Not Found (text/plain) "not found"`},
		{"JSON without a code", 500, "application/json", `{"error":"boom"}`, `answered 500 Internal Server Error (application/json) "{\"error\":\"boom\"}"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: tc.status, Header: http.Header{"Content-Type": {tc.contentType}}}
			err := httpAnswerError("GET", "/x", resp, []byte(tc.body))
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%q lacks %q", err, tc.want)
			}
		})
	}
}

// FuzzHTTPAnswerError: any answer is classified as one of the two kinds,
// with at most 80 bytes of the body quoted.
func FuzzHTTPAnswerError(f *testing.F) {
	f.Add(400, []byte(`{"code":1,"message":"Session ID unknown"}`))
	f.Add(404, []byte("<html>not found</html>"))
	f.Add(500, []byte(`{"code":"x"}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		resp := &http.Response{StatusCode: status, Header: http.Header{}}
		err := httpAnswerError("GET", "/socket.io/", resp, body)
		var ee *EngineIOError
		var ns *NotSocketIOError
		switch {
		case errors.As(err, &ee):
			if ee.Name() == "" {
				t.Errorf("an Engine.IO error without a name: %v", err)
			}
		case errors.As(err, &ns):
			if len(ns.Start) > 80 {
				t.Errorf("%d bytes of the body kept", len(ns.Start))
			}
		default:
			t.Errorf("unclassified: %v", err)
		}
	})
}
