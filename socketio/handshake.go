package socketio

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// The websocket's opening handshake is the client's own (RFC 6455 4.1): the
// request goes out in one write and the response's head is read up to its
// end, bounded by maxHandshakeBytes, with no http.Request, bufio or URL
// parsing per connection; the bytes after the head (the server's first
// frames) stay for the frame reader. A response other than a plain 101 is
// parsed by net/http, so that a refusal is explained as before, and
// options the client's handshake does not write itself (ExtraHeaders that
// name the websocket's own headers or Host) go through gorilla's Dialer.

// defaultUserAgent is what net/http sends, and so the polling requests.
const defaultUserAgent = "Go-http-client/1.1"

// acceptGUID is the key's suffix for Sec-WebSocket-Accept (RFC 6455 1.3).
const acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// ownHandshake reports whether the client's own handshake can write every
// header of h; if not, gorilla's Dialer takes the handshake.
func ownHandshake(h http.Header) bool {
	for k, vs := range h {
		switch textproto.CanonicalMIMEHeaderKey(k) {
		case "Host", "Upgrade", "Connection", "Sec-Websocket-Key", "Sec-Websocket-Version",
			"Sec-Websocket-Extensions", "Sec-Websocket-Protocol":
			return false
		}
		if !validHeaderName(k) {
			return false
		}
		for _, v := range vs {
			if strings.ContainsAny(v, "\r\n") {
				return false
			}
		}
	}
	return true
}

// validHeaderName reports whether k is an HTTP token (RFC 9110 5.6.2).
func validHeaderName(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c >= 0x80 || c <= ' ' || strings.IndexByte("\"(),/:;<=>?@[\\]{}\x7f", c) >= 0 {
			return false
		}
	}
	return true
}

// challengeKey is a new Sec-WebSocket-Key: 16 random bytes in base64,
// kept in an array so that a handshake allocates nothing for it.
type challengeKey [24]byte

func newChallengeKey() (k challengeKey) {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	base64.StdEncoding.Encode(k[:], b[:])
	return k
}

// acceptKey is the Sec-WebSocket-Accept the server must answer key with
// (28 bytes of base64), computed in place.
func acceptKey(key challengeKey) (accept [28]byte) {
	var in [len(key) + len(acceptGUID)]byte
	copy(in[copy(in[:], key[:]):], acceptGUID)
	sum := sha1.Sum(in[:])
	base64.StdEncoding.Encode(accept[:], sum[:])
	return accept
}

// appendUpgradeRequest appends the handshake's request for path (escaped)
// and query on host, with the extra headers and the cookies' header line
// ("" for none).
func appendUpgradeRequest(b []byte, path, query, host string, key *challengeKey, extra http.Header, cookie string) []byte {
	b = append(b, "GET "...)
	if path == "" {
		path = "/"
	}
	b = append(b, path...)
	if query != "" {
		b = append(b, '?')
		b = append(b, query...)
	}
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, host...)
	userAgent := defaultUserAgent
	if vs, ok := extra["User-Agent"]; ok {
		userAgent = "" // net/http sends none for an empty one
		if len(vs) > 0 {
			userAgent = strings.TrimSpace(vs[0])
		}
	}
	if userAgent != "" {
		b = append(b, "\r\nUser-Agent: "...)
		b = append(b, userAgent...)
	}
	b = append(b, "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "...)
	b = append(b, key[:]...)
	b = append(b, "\r\nSec-WebSocket-Version: 13\r\n"...)
	for k, vs := range extra {
		if k == "User-Agent" {
			continue
		}
		for _, v := range vs {
			b = append(b, k...)
			b = append(b, ": "...)
			b = append(b, strings.TrimSpace(v)...)
			b = append(b, "\r\n"...)
		}
	}
	if cookie != "" {
		b = append(b, "Cookie: "...)
		b = append(b, cookie...)
		b = append(b, "\r\n"...)
	}
	return append(b, "\r\n"...)
}

// cookieLine is the Cookie header of cookies, as net/http writes it.
func cookieLine(cookies []*http.Cookie) string {
	if len(cookies) == 0 {
		return ""
	}
	r := http.Request{Header: http.Header{}}
	for _, c := range cookies {
		r.AddCookie(c)
	}
	return r.Header.Get("Cookie")
}

// upgradeHead is the response head of an accepted handshake.
type upgradeHead struct {
	header http.Header
}

// errNotPlainUpgrade says that a response head is not one parseUpgradeHead
// reads: net/http reads it instead.
var errNotPlainUpgrade = errors.New("not a plain 101 response")

// parseUpgradeHead reads head (the response up to and including its
// blank line) when it is a 101 with well-formed header lines, as
// net/http.ReadResponse would read it; anything else is
// errNotPlainUpgrade, for net/http to read.
func parseUpgradeHead(head []byte) (http.Header, error) {
	line, rest, ok := bytes.Cut(head, []byte("\r\n"))
	if !ok || !bytes.HasPrefix(line, []byte("HTTP/1.1 101")) || len(line) > 12 && line[12] != ' ' || !plainHeaderValue(line) {
		return nil, errNotPlainUpgrade
	}
	s := string(rest) // one string for every key and value
	h := make(http.Header, 4)
	// One array for the values of the first lines, each key's slice a
	// window of it: a 101 has three or four header lines.
	values := make([]string, 0, 4)
	for {
		i := strings.Index(s, "\r\n")
		if i < 0 {
			return nil, errNotPlainUpgrade
		}
		if i == 0 {
			if len(s) != 2 {
				return nil, errNotPlainUpgrade // bytes after the head
			}
			return h, nil
		}
		kv := s[:i]
		s = s[i+2:]
		colon := strings.IndexByte(kv, ':')
		if colon <= 0 {
			return nil, errNotPlainUpgrade
		}
		k, v := kv[:colon], kv[colon+1:]
		if !validHeaderName(k) || !plainHeaderValue(v) {
			return nil, errNotPlainUpgrade
		}
		k = canonicalKey(k)
		v = strings.Trim(v, " \t")
		if vs, ok := h[k]; ok || len(values) == cap(values) {
			h[k] = append(vs, v)
			continue
		}
		values = append(values, v)
		h[k] = values[len(values)-1 : len(values) : len(values)]
	}
}

// canonicalKey is textproto.CanonicalMIMEHeaderKey(k), without making a
// string for the keys of a websocket server's 101, which are canonical but
// for the "WebSocket" in Sec-WebSocket-Accept.
func canonicalKey(k string) string {
	if k == "Sec-WebSocket-Accept" {
		return "Sec-Websocket-Accept"
	}
	return textproto.CanonicalMIMEHeaderKey(k)
}

// plainHeaderValue reports whether v is a header value net/http keeps as
// it is, but for the spaces and tabs around it: no control bytes (which it
// refuses or rewrites).
func plainHeaderValue[T string | []byte](v T) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// accepted reports whether header accepts the handshake made with key, as
// gorilla's Dialer checks it.
func accepted(header http.Header, key *challengeKey) bool {
	accept := acceptKey(*key)
	return tokenListContains(header["Upgrade"], "websocket") &&
		tokenListContains(header["Connection"], "upgrade") &&
		header.Get("Sec-Websocket-Accept") == string(accept[:])
}

// tokenListContains reports whether one of the comma-separated tokens of
// values is token, compared without case.
func tokenListContains(values []string, token string) bool {
	for _, v := range values {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.Trim(t, " \t"), token) {
				return true
			}
		}
	}
	return false
}

// headLength is the length of the response head at the start of b, up to
// and including its blank line (CRLF, or a bare LF as net/http also
// reads it), or -1 if b does not hold all of it yet; from is where the
// search may start (a former length of b).
func headLength(b []byte, from int) int {
	for i := max(from-2, 0); i < len(b); i++ {
		if b[i] != '\n' {
			continue
		}
		switch {
		case i+1 < len(b) && b[i+1] == '\n':
			return i + 2
		case i+2 < len(b) && b[i+1] == '\r' && b[i+2] == '\n':
			return i + 3
		}
	}
	return -1
}

// readHead reads from c into b until the response head is complete, at
// most maxHandshakeBytes of it; it returns what it read, the head being
// read[:end].
func readHead(c net.Conn, b []byte) (read []byte, end int, err error) {
	for {
		if len(b) >= maxHandshakeBytes {
			return b, 0, errHandshakeTooLarge
		}
		if len(b) == cap(b) {
			b = slices.Grow(b, min(max(cap(b), 512), maxHandshakeBytes-len(b)))
		}
		from := len(b)
		n, err := c.Read(b[len(b):min(cap(b), maxHandshakeBytes)])
		b = b[:len(b)+n]
		if end := headLength(b, from); end >= 0 {
			return b, end, nil
		}
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return b, 0, err
		}
	}
}

// wsHandshake is one handshake of the client's own.
type wsHandshake struct {
	cfg *config
	jar http.CookieJar
	sid string
}

// dial connects and makes the handshake, within ctx (a ctx without a
// deadline is bounded by ConnectTimeout). It returns the connection, the
// response's header and the bytes that came after its head; resp is set,
// with the start of its body, for a response that refused the handshake.
func (h *wsHandshake) dial(ctx context.Context) (conn net.Conn, header http.Header, extra []byte, resp *http.Response, err error) {
	conn, header, extra, resp, _, err = h.dialArmed(ctx, false)
	return conn, header, extra, resp, err
}

// dialArmed is dial; with keep and a ctx with a deadline, ctx's end still
// interrupts the connection's reads and writes after the handshake, until
// stop (then non-nil) is called: what is read next, within the same bound,
// needs no callback of its own on ctx. stop returns false if ctx ended
// first, the connection then being unusable.
func (h *wsHandshake) dialArmed(ctx context.Context, keep bool) (conn net.Conn, header http.Header, extra []byte, resp *http.Response, stop func() bool, err error) {
	base := h.cfg.base
	hostPort := base.Host
	if base.Port() == "" {
		port := "80"
		if base.Scheme == "https" {
			port = "443"
		}
		hostPort = net.JoinHostPort(base.Hostname(), port)
	}
	raw, err := h.cfg.DialContext(ctx, "tcp", hostPort)
	if err != nil {
		return nil, nil, nil, nil, nil, err
	}
	// A cancelled ctx, or its deadline, interrupts the handshake's reads
	// and writes.
	stop = context.AfterFunc(ctx, func() { _ = raw.SetDeadline(time.Unix(1, 0)) })
	_, bounded := ctx.Deadline()
	if !bounded {
		_ = raw.SetDeadline(time.Now().Add(h.cfg.ConnectTimeout))
	}
	conn, header, extra, resp, err = h.handshake(ctx, raw)
	if err == nil && keep && bounded {
		return conn, header, extra, nil, stop, nil
	}
	if !stop() {
		// ctx ended, during the handshake or as it ended: the
		// connection may be unusable.
		raw.Close()
		return nil, nil, nil, resp, nil, ctx.Err()
	}
	if err != nil {
		raw.Close()
		return nil, nil, nil, resp, nil, err
	}
	if !bounded {
		_ = raw.SetDeadline(time.Time{})
	}
	return conn, header, extra, nil, nil, nil
}

func (h *wsHandshake) handshake(ctx context.Context, conn net.Conn) (_ net.Conn, header http.Header, extra []byte, resp *http.Response, err error) {
	cfg, base := h.cfg, h.cfg.base
	if base.Scheme == "https" {
		tc := tls.Client(conn, h.tlsConfig(base.Hostname()))
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, nil, nil, nil, err
		}
		conn = tc
	}
	query := cfg.wsQuery(h.sid)
	// The jar sees the URL with its HTTP scheme, as gorilla's Dialer
	// shows it: net/http's cookiejar keeps cookies for http and https
	// only. The URL is made only for the jar and for a refusal: most
	// connections have no cookie.
	var u *url.URL
	engineURL := func() *url.URL {
		if u == nil {
			u = &url.URL{Scheme: base.Scheme, Host: base.Host, Path: cfg.Path, RawQuery: query}
		}
		return u
	}
	var cookies []*http.Cookie
	if h.jar != nil && !emptyJar(h.jar) {
		cookies = h.jar.Cookies(engineURL())
	}
	key := newChallengeKey()
	buf := getBuffer()
	defer putBuffer(buf)
	buf.b = appendUpgradeRequest(buf.b[:0], cfg.requestPath, query, base.Host, &key, cfg.ExtraHeaders, cookieLine(cookies))
	if _, err := conn.Write(buf.b); err != nil {
		return nil, nil, nil, nil, err
	}
	read, end, err := readHead(conn, buf.b[:0])
	buf.b = read
	if err != nil {
		return nil, nil, nil, nil, err
	}
	header, err = parseUpgradeHead(read[:end])
	if err == nil {
		if len(header["Set-Cookie"]) > 0 {
			h.keepCookies(engineURL(), header)
		}
		if accepted(header, &key) {
			return conn, header, bytes.Clone(read[end:]), nil, nil
		}
	}
	parsed := err == nil
	// A refusal, or a head that only net/http reads: what net/http reads
	// in it decides, as with gorilla's Dialer.
	br := bufio.NewReader(io.MultiReader(bytes.NewReader(read), conn))
	resp, err = http.ReadResponse(br, &http.Request{Method: http.MethodGet, URL: engineURL(), Header: http.Header{}})
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if !parsed {
		h.keepCookies(engineURL(), resp.Header)
	}
	if resp.StatusCode == http.StatusSwitchingProtocols && accepted(resp.Header, &key) {
		// Its head was all in read (headLength found its end): what
		// is buffered after it is the first frames.
		rest, _ := br.Peek(br.Buffered())
		return conn, resp.Header, bytes.Clone(rest), nil, nil
	}
	body := make([]byte, 1024)
	n, _ := io.ReadFull(resp.Body, body)
	resp.Body = io.NopCloser(bytes.NewReader(body[:n]))
	return nil, nil, nil, resp, websocket.ErrBadHandshake
}

// emptyJar reports whether jar is the Manager's own jar with no cookie
// yet, which has none to send.
func emptyJar(jar http.CookieJar) bool {
	lj, ok := jar.(*lazyJar)
	if !ok {
		return false
	}
	lj.mu.RLock()
	defer lj.mu.RUnlock()
	return lj.jar == nil
}

// keepCookies stores the cookies that header sets in the jar.
func (h *wsHandshake) keepCookies(u *url.URL, header http.Header) {
	if h.jar == nil || len(header["Set-Cookie"]) == 0 {
		return
	}
	if rc := (&http.Response{Header: header}).Cookies(); len(rc) > 0 {
		h.jar.SetCookies(u, rc)
	}
}

func (h *wsHandshake) tlsConfig(serverName string) *tls.Config {
	cfg := &tls.Config{}
	if c := h.cfg.tlsConfig(); c != nil {
		cfg = c.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = serverName
	}
	return cfg
}
