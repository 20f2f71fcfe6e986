package target

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/sockload/sockload/socketio/wire"
)

// TestV3BinaryPollingPayload checks the Engine.IO v3 payload forms of an
// echo: a client that did not ask for base64 gets binary packets in the
// binary form (as application/octet-stream), one that asked with b64=1 gets
// them base64 in the text form, and a POST may use either form.
func TestV3BinaryPollingPayload(t *testing.T) {
	textForm := "6:4hello10:b4AQIDBA=="
	binaryForm := string([]byte{0, 6, 255, 52, 104, 101, 108, 108, 111, 1, 5, 255, 4, 1, 2, 3, 4})
	tests := []struct {
		name     string
		query    string
		postType string
		post     string
		wantType string
		wantBody string
	}{
		{"binary client, text POST", "", "text/plain;charset=UTF-8", textForm, "application/octet-stream", binaryForm},
		{"binary client, binary POST", "", "application/octet-stream", binaryForm, "application/octet-stream", binaryForm},
		{"base64 client", "&b64=1", "text/plain;charset=UTF-8", textForm, "text/plain; charset=UTF-8", textForm},
		{"base64 client, binary POST", "&b64=1", "application/octet-stream", binaryForm, "text/plain; charset=UTF-8", textForm},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startServer(t, Config{EngineVersion: wire.EngineV3, EngineOnly: true})
			base := engineURL(srv, "http", wire.EngineV3, "polling", "")
			ctype, body := pollGet(t, base+tt.query)
			if !strings.HasPrefix(ctype, "text/plain") {
				t.Fatalf("handshake Content-Type %q, want text/plain: it holds no binary packet", ctype)
			}
			var open wire.Packet
			if err := wire.DecodePayload(wire.EngineV3, body, 0, func(p wire.Packet) error {
				if p.Type == wire.Open {
					open = p
				}
				return nil
			}); err != nil || open.Type != wire.Open {
				t.Fatalf("handshake %q: %v", body, err)
			}
			h, err := wire.ParseHandshake(open.Data)
			if err != nil {
				t.Fatal(err)
			}
			url := base + "&sid=" + h.SID + tt.query

			resp, err := http.Post(url, tt.postType, strings.NewReader(tt.post))
			if err != nil {
				t.Fatal(err)
			}
			answer, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || string(answer) != "ok" {
				t.Fatalf("POST %q: HTTP %d %q", tt.post, resp.StatusCode, answer)
			}

			ctype, body = pollGet(t, url)
			if ctype != tt.wantType || !bytes.Equal(body, []byte(tt.wantBody)) {
				t.Fatalf("GET: %q %v, want %q %v", ctype, body, tt.wantType, []byte(tt.wantBody))
			}

			// A text message alone is echoed in the text form.
			resp, err = http.Post(url, "text/plain;charset=UTF-8", strings.NewReader("6:4hello"))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if ctype, body = pollGet(t, url); !strings.HasPrefix(ctype, "text/plain") || string(body) != "6:4hello" {
				t.Fatalf("text-only GET: %q %q, want text/plain 6:4hello", ctype, body)
			}
		})
	}
}

// pollGet polls url once and returns the answer's Content-Type and body.
func pollGet(t *testing.T, url string) (string, []byte) {
	t.Helper()
	resp, err := pollHTTP.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d %q, %v", url, resp.StatusCode, body, err)
	}
	return resp.Header.Get("Content-Type"), body
}
