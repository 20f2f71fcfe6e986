package socketio

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sockload/sockload/socketio/wire"
)

// FuzzUpgradeHead checks the client's reading of a handshake response's
// head against net/http's: whatever parseUpgradeHead accepts, ReadResponse
// reads as a 101 with the same header; what it does not accept goes to
// ReadResponse anyway. headLength finds the end ReadResponse stops at.
func FuzzUpgradeHead(f *testing.F) {
	for _, head := range []string{
		"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
		"HTTP/1.1 101 Switching Protocols\r\nupgrade: WebSocket\r\nconnection: keep-alive, Upgrade\r\nSet-Cookie: io=abc; Path=/\r\nSet-Cookie: b=1\r\n\r\n\x81\x1f0{\"sid\":\"x\"}",
		"HTTP/1.1 101\r\nUpgrade:websocket \t\r\nX-Empty:\r\n\r\n",
		"HTTP/1.1 101 OK\nUpgrade: websocket\n\n",
		"HTTP/1.1 101 OK\r\nUpgrade: web\r\n socket\r\n\r\n",
		"HTTP/1.1 400 Bad Request\r\nContent-Length: 11\r\n\r\nbad request",
		"HTTP/1.0 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
		"HTTP/1.1 1010 x\r\n\r\n",
		"HTTP/1.1 101 x\r\nBad Key: v\r\n\r\n",
		"HTTP/1.1 101 x\r\nKey: v\x00\r\n\r\n",
		"HTTP/1.1 101 x\r\nKey: caf\xc3\xa9\r\n\r\n",
	} {
		f.Add([]byte(head))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		end := headLength(b, 0)
		if end < 0 {
			return
		}
		br := bufio.NewReader(bytes.NewReader(b))
		resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodGet, URL: &url.URL{Scheme: "http", Host: "h", Path: "/"}})
		if err == nil && resp.StatusCode == http.StatusSwitchingProtocols && len(b)-br.Buffered() != end {
			t.Fatalf("headLength = %d, net/http read a head of %d bytes", end, len(b)-br.Buffered())
		}
		h, perr := parseUpgradeHead(b[:end])
		if perr != nil {
			return
		}
		if err != nil {
			t.Fatalf("parseUpgradeHead read %q, net/http refused it: %v", b[:end], err)
		}
		if resp.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("parseUpgradeHead read %q as a 101, net/http as a %d", b[:end], resp.StatusCode)
		}
		if !reflect.DeepEqual(h, resp.Header) {
			t.Fatalf("parseUpgradeHead read the header %q, net/http %q", h, resp.Header)
		}
	})
}

func TestAcceptKey(t *testing.T) {
	// RFC 6455 1.3's example.
	if got := acceptKey(challengeKey([]byte("dGhlIHNhbXBsZSBub25jZQ=="))); string(got[:]) != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Errorf("acceptKey = %q", got)
	}
	k := newChallengeKey()
	raw, err := base64.StdEncoding.DecodeString(string(k[:]))
	if err != nil || len(raw) != 16 || k == newChallengeKey() {
		t.Errorf("challengeKey = %q: want 16 fresh random bytes in base64", k)
	}
}

// The request the client writes is the one net/http reads back as a
// websocket upgrade, with the extra headers and cookies.
func TestUpgradeRequest(t *testing.T) {
	extra := http.Header{"X-Token": {"a b", " padded "}, "User-Agent": {"load/1"}, "Authorization": {"Basic dTpw"}}
	key := challengeKey([]byte("dGhlIHNhbXBsZSBub25jZQ=="))
	b := appendUpgradeRequest(nil, "/socket.io/", "EIO=4&transport=websocket", "127.0.0.1:3000", &key, extra,
		cookieLine([]*http.Cookie{{Name: "io", Value: "x1"}, {Name: "s", Value: "2"}}))
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(b)))
	if err != nil {
		t.Fatal(err)
	}
	want := http.Header{
		"Upgrade": {"websocket"}, "Connection": {"Upgrade"}, "Sec-Websocket-Key": {"dGhlIHNhbXBsZSBub25jZQ=="},
		"Sec-Websocket-Version": {"13"}, "X-Token": {"a b", "padded"}, "User-Agent": {"load/1"},
		"Authorization": {"Basic dTpw"}, "Cookie": {"io=x1; s=2"},
	}
	if req.Method != http.MethodGet || req.RequestURI != "/socket.io/?EIO=4&transport=websocket" || req.Host != "127.0.0.1:3000" ||
		!reflect.DeepEqual(req.Header, want) {
		t.Errorf("request %s %s host %s header %v, want GET /socket.io/?EIO=4&transport=websocket on 127.0.0.1:3000 with %v",
			req.Method, req.RequestURI, req.Host, req.Header, want)
	}
	if req, _ := http.ReadRequest(bufio.NewReader(bytes.NewReader(appendUpgradeRequest(nil, "", "", "h", &key, nil, "")))); req.UserAgent() != defaultUserAgent {
		t.Errorf("User-Agent %q, want net/http's %q", req.UserAgent(), defaultUserAgent)
	}
}

func TestOwnHandshake(t *testing.T) {
	for _, tc := range []struct {
		h    http.Header
		want bool
	}{
		{nil, true},
		{http.Header{"X-A": {"1"}, "Authorization": {"Basic x"}}, true},
		{http.Header{"Sec-WebSocket-Protocol": {"chat"}}, false},
		{http.Header{"Host": {"other"}}, false},
		{http.Header{"upgrade": {"h2c"}}, false},
		{http.Header{"X-Bad": {"a\r\nInjected: 1"}}, false},
		{http.Header{"Bad Key": {"v"}}, false},
	} {
		if got := ownHandshake(tc.h); got != tc.want {
			t.Errorf("ownHandshake(%v) = %v, want %v", tc.h, got, tc.want)
		}
	}
}

// engineQuery's short cut gives what url.Values gives.
func TestEngineQuery(t *testing.T) {
	base, _ := url.Parse("http://h:1")
	withQuery, _ := url.Parse("http://h:1/?x=1")
	for _, tc := range []struct {
		base      *url.URL
		v         wire.EngineVersion
		query     url.Values
		auth      map[string]any
		transport string
		sid       string
	}{
		{base, wire.EngineV4, nil, nil, TransportWebsocket, ""},
		{base, wire.EngineV4, nil, nil, TransportWebsocket, "a+b/c="},
		{base, wire.EngineV3, nil, nil, TransportPolling, "s"},
		{base, wire.EngineV3, nil, nil, TransportWebsocket, ""},
		{base, wire.EngineV4, nil, map[string]any{"t": 1}, TransportPolling, ""},
		{base, wire.EngineV3, nil, map[string]any{"t": 1}, TransportPolling, ""},
		{base, wire.EngineV4, url.Values{"room": {"a b"}}, nil, TransportWebsocket, "s"},
		{withQuery, wire.EngineV4, nil, nil, TransportWebsocket, ""},
	} {
		c := &config{Options: &Options{EngineVersion: tc.v}, Query: tc.query, Auth: tc.auth}
		q := url.Values{}
		for k, v := range tc.base.Query() {
			q[k] = v
		}
		for k, v := range tc.query {
			q[k] = v
		}
		if tc.v == wire.EngineV3 {
			for k := range tc.auth {
				q.Set(k, "1")
			}
			if tc.transport == TransportPolling {
				q.Set("b64", "1")
			}
		}
		q.Set("EIO", map[wire.EngineVersion]string{wire.EngineV3: "3", wire.EngineV4: "4"}[tc.v])
		q.Set("transport", tc.transport)
		if tc.sid != "" {
			q.Set("sid", tc.sid)
		}
		if got, want := c.engineQuery(tc.base, tc.transport, tc.sid), q.Encode(); got != want {
			t.Errorf("engineQuery = %q, want %q", got, want)
		}
	}
}

// A server answering the upgrade with a bare-LF head, or a header line
// folded in two, is read as net/http reads it; the frames after the head
// are the transport's.
func TestHandshakeHeadsOnlyNetHTTPReads(t *testing.T) {
	for name, head := range map[string]string{
		"bare LF":  "HTTP/1.1 101 Switching Protocols\nUpgrade: websocket\nConnection: Upgrade\nSec-WebSocket-Accept: %s\n\n",
		"HTTP/1.0": "HTTP/1.0 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			addr := serveUpgrade(t, head, "\x81\x02ab")
			cfg, err := newConfig("http://"+addr, Options{Transports: []string{TransportWebsocket}})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			h := wsHandshake{cfg: cfg}
			conn, header, extra, _, err := h.dial(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if header.Get("Upgrade") != "websocket" || string(extra) != "\x81\x02ab" {
				t.Errorf("header %v, extra %q; want the upgrade and the frame after the head", header, extra)
			}
		})
	}
}

// serveUpgrade answers one connection's upgrade with head (its %s the
// accept key) followed by after.
func serveUpgrade(t *testing.T, head, after string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		req, err := http.ReadRequest(bufio.NewReader(c))
		if err != nil {
			return
		}
		_, _ = c.Write([]byte(strings.Replace(head, "%s", acceptOf(req.Header.Get("Sec-Websocket-Key")), 1) + after))
		time.Sleep(time.Second)
	}()
	return ln.Addr().String()
}

// acceptOf is the Sec-WebSocket-Accept for a key a request sent.
func acceptOf(key string) string {
	accept := acceptKey(challengeKey([]byte(key)))
	return string(accept[:])
}
