// Package hostile is a misbehaving Engine.IO / Socket.IO server for tests:
// each Mode is one way a broken, overloaded or hostile server can treat a
// client. It speaks just enough Engine.IO v4 and Socket.IO v5 (polling and
// websocket) to bring a client to the point where the misbehaviour starts.
//
// It listens on loopback only and never sends more than the client reads:
// an endless stream ends when the client closes the connection or the
// server is closed.
package hostile

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// Mode names one misbehaviour.
type Mode string

// The modes. Unless a mode says otherwise, the handshake is normal and
// namespace CONNECTs are answered.
const (
	// PingFlood sends Engine.IO pings as fast as the client takes them
	// (websocket frames, or polling responses full of pings).
	PingFlood Mode = "ping-flood"
	// EndlessHead answers the websocket upgrade with "HTTP/1.1 101 " and a
	// status line that never ends.
	EndlessHead Mode = "endless-head"
	// EndlessBody answers polling GETs with a body that never ends.
	EndlessBody Mode = "endless-body"
	// HugeMessage sends one 200 MB message after the namespace CONNECT.
	HugeMessage Mode = "huge-message"
	// SilentAccept accepts TCP connections and never answers.
	SilentAccept Mode = "silent-accept"
	// ResetAfterOpen sends the open packet and resets the connection.
	ResetAfterOpen Mode = "reset-after-open"
	// Garbage answers every request with random-looking bytes that are not
	// HTTP.
	Garbage Mode = "garbage"
	// WrongStatus answers every Engine.IO request with HTTP 500 (or
	// StatusCode).
	WrongStatus Mode = "wrong-status"
	// RedirectLoop answers every request with a 302 to itself.
	RedirectLoop Mode = "redirect-loop"
	// CrossHostRedirect answers every request with a 302 to the same path
	// on RedirectTo (another host).
	CrossHostRedirect Mode = "cross-host-redirect"
	// NoAcks receives events and never acknowledges them; Received counts
	// them.
	NoAcks Mode = "no-acks"
	// ForgedAcks answers every event with acks for ids never sent (a
	// 40-digit one among them), then the right ack.
	ForgedAcks Mode = "forged-acks"
	// BinaryBomb sends a BINARY_EVENT announcing a billion attachments.
	BinaryBomb Mode = "binary-bomb"
	// DeepJSON sends an event whose argument is nested 100,000 deep.
	DeepJSON Mode = "deep-json"
	// ConnectErrorPerVU refuses every namespace CONNECT with a message
	// unique to the connection.
	ConnectErrorPerVU Mode = "connect-error-per-vu"
)

// Modes lists every mode.
var Modes = []Mode{
	PingFlood, EndlessHead, EndlessBody, HugeMessage, SilentAccept, ResetAfterOpen, Garbage,
	WrongStatus, RedirectLoop, CrossHostRedirect, NoAcks, ForgedAcks, BinaryBomb, DeepJSON,
	ConnectErrorPerVU,
}

// HugeMessageSize is the size of HugeMessage's message.
const HugeMessageSize = 200 << 20

// Config configures a Server.
type Config struct {
	Mode Mode
	// Addr is the address to listen on (default 127.0.0.1:0); it must be
	// loopback.
	Addr string
	// RedirectTo is CrossHostRedirect's destination, as scheme://host:port.
	RedirectTo string
	// StatusCode is WrongStatus's status (default 500).
	StatusCode int
}

// Server is a running hostile server. Close stops it and every connection.
type Server struct {
	cfg  Config
	ln   net.Listener
	http *http.Server
	ctx  context.Context
	stop context.CancelFunc

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup

	sessions atomic.Int64
	received atomic.Int64
	auth     atomic.Value // string: the last request's Authorization header
	polls    sync.Map     // sid -> *pollSession
}

// Start listens and serves cfg.Mode until Close.
func Start(cfg Config) (*Server, error) {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	host, _, err := net.SplitHostPort(cfg.Addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("hostile: %q is not a loopback address", cfg.Addr)
	}
	if cfg.StatusCode == 0 {
		cfg.StatusCode = http.StatusInternalServerError
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("hostile: %w", err)
	}
	ctx, stop := context.WithCancel(context.Background())
	s := &Server{cfg: cfg, ln: ln, ctx: ctx, stop: stop, conns: map[net.Conn]struct{}{}}
	switch cfg.Mode {
	case SilentAccept, Garbage:
		s.wg.Add(1)
		go s.acceptRaw()
	default:
		s.http = &http.Server{Handler: s, ConnState: s.track, BaseContext: func(net.Listener) context.Context { return ctx }}
		go s.http.Serve(ln)
	}
	return s, nil
}

// URL is the server's base URL (http://127.0.0.1:port).
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// Addr is the listening address.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Sessions counts the Engine.IO sessions opened (handshakes answered).
func (s *Server) Sessions() int64 { return s.sessions.Load() }

// Received counts the Socket.IO events received.
func (s *Server) Received() int64 { return s.received.Load() }

// Authorization is the Authorization header of the last request.
func (s *Server) Authorization() string {
	v, _ := s.auth.Load().(string)
	return v
}

// Close stops the server and closes every connection.
func (s *Server) Close() {
	s.stop()
	s.ln.Close()
	if s.http != nil {
		s.http.Close()
	}
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *Server) track(c net.Conn, st http.ConnState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch st {
	case http.StateNew:
		s.conns[c] = struct{}{}
	case http.StateClosed:
		delete(s.conns, c)
	}
}

func (s *Server) acceptRaw() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer c.Close()
			if s.cfg.Mode == Garbage {
				s.writeGarbage(c)
				return
			}
			<-s.ctx.Done() // silent: hold the connection, read nothing
		}()
	}
}

func (s *Server) writeGarbage(c net.Conn) {
	b := make([]byte, 4096)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	for s.ctx.Err() == nil {
		c.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Write(b); err != nil {
			return
		}
	}
}

// ServeHTTP answers Engine.IO requests in the configured mode.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.auth.Store(r.Header.Get("Authorization"))
	switch s.cfg.Mode {
	case WrongStatus:
		http.Error(w, "hostile: wrong status", s.cfg.StatusCode)
		return
	case RedirectLoop:
		http.Redirect(w, r, r.URL.RequestURI(), http.StatusFound)
		return
	case CrossHostRedirect:
		http.Redirect(w, r, s.cfg.RedirectTo+r.URL.RequestURI(), http.StatusFound)
		return
	}
	q := r.URL.Query()
	if q.Get("transport") == "websocket" {
		s.serveWebsocket(w, r)
		return
	}
	s.servePolling(w, r)
}

func (s *Server) openPacket(sid string, upgrades bool) string {
	up := `[]`
	if upgrades {
		up = `["websocket"]`
	}
	return fmt.Sprintf(`0{"sid":%q,"upgrades":%s,"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`, sid, up)
}

// answers is what the server says to an Engine.IO message packet from the
// client ("40", "42[...]"): Engine.IO packets; conn numbers the session.
func (s *Server) answers(conn int64, pkt string) []string {
	switch {
	case strings.HasPrefix(pkt, "40"):
		nsp, _ := namespaceOf(pkt[2:])
		if s.cfg.Mode == ConnectErrorPerVU {
			return []string{"44" + nsp + fmt.Sprintf(`{"message":"refused connection %d (unique text)"}`, conn)}
		}
		out := []string{"40" + nsp + `{"sid":"s` + strconv.FormatInt(conn, 10) + `"}`}
		switch s.cfg.Mode {
		case BinaryBomb:
			out = append(out, "451000000000-"+nsp+`["bomb",{"_placeholder":true,"num":0}]`)
		case DeepJSON:
			out = append(out, "42"+nsp+`["deep",`+strings.Repeat("[", 100000)+strings.Repeat("]", 100000)+`]`)
		}
		return out
	case strings.HasPrefix(pkt, "42"):
		s.received.Add(1)
		nsp, rest := namespaceOf(pkt[2:])
		id := leadingDigits(rest)
		if id == "" || s.cfg.Mode == NoAcks {
			return nil
		}
		ack := "43" + nsp + id + `["ok"]`
		if s.cfg.Mode == ForgedAcks {
			return []string{"43" + nsp + "9999999999999999999999999999999999999999" + `["forged"]`, "43" + nsp + "7777" + `["forged"]`, ack}
		}
		return []string{ack}
	}
	return nil
}

// namespaceOf splits "/nsp,rest" into ("/nsp,", rest); the main namespace is
// "".
func namespaceOf(p string) (nsp, rest string) {
	if strings.HasPrefix(p, "/") {
		if i := strings.IndexByte(p, ','); i >= 0 {
			return p[:i+1], p[i+1:]
		}
		return p + ",", ""
	}
	return "", p
}

func leadingDigits(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

func (s *Server) serveWebsocket(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Mode == EndlessHead {
		s.endlessHead(w)
		return
	}
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer conn.Close()
	go func() { <-s.ctx.Done(); conn.Close() }()
	if sid := r.URL.Query().Get("sid"); sid != "" {
		s.serveProbe(conn, s.pollSession(sid))
		return
	}
	n := s.sessions.Add(1)
	sid := "h" + strconv.FormatInt(n, 10)
	if conn.WriteMessage(websocket.TextMessage, []byte(s.openPacket(sid, false))) != nil {
		return
	}
	switch s.cfg.Mode {
	case ResetAfterOpen:
		reset(conn.UnderlyingConn())
		return
	case PingFlood:
		var wmu sync.Mutex
		go s.answerWebsocket(conn, n, nil, &wmu)
		flood(conn, &wmu)
		return
	}
	s.answerWebsocket(conn, n, nil, new(sync.Mutex))
}

// flood writes pings until the connection fails.
func flood(conn *websocket.Conn, wmu *sync.Mutex) {
	for {
		wmu.Lock()
		err := conn.WriteMessage(websocket.TextMessage, []byte("2"))
		wmu.Unlock()
		if err != nil {
			return
		}
	}
}

// answerWebsocket reads the client's packets and answers them; wmu
// serializes its writes with a flood's.
func (s *Server) answerWebsocket(conn *websocket.Conn, n int64, p *pollSession, wmu *sync.Mutex) {
	defer conn.Close()
	for {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			return
		}
		if string(msg) == "5" && p != nil {
			// Upgraded: what the polling session had queued goes here.
			wmu.Lock()
			for _, a := range p.take() {
				err = conn.WriteMessage(websocket.TextMessage, []byte(a))
			}
			wmu.Unlock()
		}
		if len(msg) == 0 || msg[0] != '4' {
			continue
		}
		wmu.Lock()
		for _, a := range s.answers(n, string(msg)) {
			err = conn.WriteMessage(websocket.TextMessage, []byte(a))
		}
		if err == nil && s.cfg.Mode == HugeMessage && bytes.HasPrefix(msg, []byte("40")) {
			s.writeHuge(conn)
		}
		wmu.Unlock()
		if err != nil {
			return
		}
	}
}

// serveProbe answers an upgrade probe, then floods it with pings in
// PingFlood mode.
func (s *Server) serveProbe(conn *websocket.Conn, p *pollSession) {
	var n int64
	if p != nil {
		n = p.n
	}
	_, msg, err := conn.ReadMessage()
	if err != nil || string(msg) != "2probe" {
		return
	}
	if conn.WriteMessage(websocket.TextMessage, []byte("3probe")) != nil {
		return
	}
	var wmu sync.Mutex
	if s.cfg.Mode == PingFlood {
		go s.answerWebsocket(conn, n, p, &wmu)
		flood(conn, &wmu)
		return
	}
	s.answerWebsocket(conn, n, p, &wmu)
}

// pollSession is the polling session sid, nil if unknown.
func (s *Server) pollSession(sid string) *pollSession {
	if v, ok := s.polls.Load(sid); ok {
		return v.(*pollSession)
	}
	return nil
}

func (s *Server) writeHuge(conn *websocket.Conn) {
	w, err := conn.NextWriter(websocket.TextMessage)
	if err != nil {
		return
	}
	chunk := bytes.Repeat([]byte("a"), 64<<10)
	io.WriteString(w, `42["huge","`)
	for n := 0; n < HugeMessageSize; n += len(chunk) {
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
	io.WriteString(w, `"]`)
	w.Close()
}

func (s *Server) endlessHead(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return
	}
	c, _, err := hj.Hijack()
	if err != nil {
		return
	}
	defer c.Close()
	go func() { <-s.ctx.Done(); c.Close() }()
	c.Write([]byte("HTTP/1.1 101 "))
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	for {
		c.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if _, err := c.Write(chunk); err != nil {
			return
		}
	}
}

// reset closes c with a TCP reset rather than a FIN.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}

// pollSession is one polling session's queue of packets for the next GET.
type pollSession struct {
	n     int64
	mu    sync.Mutex
	queue []string
	ready chan struct{}
}

// take empties the queue and returns what it held.
func (p *pollSession) take() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	q := p.queue
	p.queue = nil
	return q
}

func (p *pollSession) push(pkts ...string) {
	p.mu.Lock()
	p.queue = append(p.queue, pkts...)
	p.mu.Unlock()
	select {
	case p.ready <- struct{}{}:
	default:
	}
}

func (s *Server) servePolling(w http.ResponseWriter, r *http.Request) {
	sid := r.URL.Query().Get("sid")
	if sid == "" {
		n := s.sessions.Add(1)
		sid = "h" + strconv.FormatInt(n, 10)
		s.polls.Store(sid, &pollSession{n: n, ready: make(chan struct{}, 1)})
		if s.cfg.Mode == ResetAfterOpen {
			s.resetAfter(w, s.openPacket(sid, false))
			return
		}
		io.WriteString(w, s.openPacket(sid, s.cfg.Mode == PingFlood))
		return
	}
	v, ok := s.polls.Load(sid)
	if !ok {
		http.Error(w, `{"code":1,"message":"Session ID unknown"}`, http.StatusBadRequest)
		return
	}
	p := v.(*pollSession)
	if r.Method == http.MethodPost {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		for _, pkt := range strings.Split(string(body), "\x1e") {
			if strings.HasPrefix(pkt, "4") {
				p.push(s.answers(p.n, pkt)...)
			}
			if strings.HasPrefix(pkt, "40") && s.cfg.Mode == HugeMessage {
				p.push("")
			}
		}
		io.WriteString(w, "ok")
		return
	}
	switch s.cfg.Mode {
	case PingFlood:
		q := p.take()
		io.WriteString(w, strings.Repeat("2\x1e", 1<<16)+strings.Join(append(q, "2"), "\x1e"))
		return
	case EndlessBody:
		chunk := bytes.Repeat([]byte("4"), 64<<10)
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
		return
	}
	select {
	case <-p.ready:
	case <-time.After(25 * time.Second):
		io.WriteString(w, "6")
		return
	case <-r.Context().Done():
		return
	}
	q := p.take()
	if i := slices.Index(q, ""); i >= 0 && len(q) > 1 {
		// The huge message goes in a poll of its own, after the rest.
		q = slices.Delete(q, i, i+1)
		p.push("")
	}
	for i, pkt := range q {
		if i > 0 {
			io.WriteString(w, "\x1e")
		}
		if pkt == "" { // HugeMessage
			io.WriteString(w, `42["huge","`)
			chunk := bytes.Repeat([]byte("a"), 64<<10)
			for n := 0; n < HugeMessageSize; n += len(chunk) {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
			io.WriteString(w, `"]`)
			continue
		}
		io.WriteString(w, pkt)
	}
}

func (s *Server) resetAfter(w http.ResponseWriter, body string) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return
	}
	c, buf, err := hj.Hijack()
	if err != nil {
		return
	}
	fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s", len(body)+100, body)
	buf.Flush()
	reset(c)
}
