package target

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sockload/sockload/socketio/wire"
)

// Server is a running target. Its methods are safe for concurrent use.
type Server struct {
	cfg      Config
	listener net.Listener
	http     *http.Server
	upgrader websocket.Upgrader
	work     *worker // nil when capacity is unlimited
	stats    counters
	rooms    rooms
	logins   logins // POST /login's tokens

	mu       sync.Mutex
	sessions map[string]*session
	// clientClosed holds, for closeRaceWindow, the polling sessions whose
	// client closed them over POST while no GET waited (see
	// rememberClientClose).
	clientClosed map[string]*session
	closed       bool

	handlers  sync.WaitGroup // HTTP handlers, websocket readers among them
	closeOnce sync.Once
	done      chan struct{} // closed by Close
}

// Start listens on cfg.Addr and serves until ctx is done or Close is called.
// It returns once the listener is bound, so Addr is immediately usable. An
// address other than loopback is refused (ErrNotLoopback) unless
// cfg.AllowRemote is set.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	ln, err := listen(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("target: listen on %s: %w (is another server using the port? pick another with --addr)", cfg.Addr, err)
	}
	return serve(ctx, cfg, ln), nil
}

// serve runs a server with a validated cfg on ln.
func serve(ctx context.Context, cfg Config, ln net.Listener) *Server {
	s := &Server{
		cfg:      cfg,
		listener: ln,
		sessions: make(map[string]*session),
		done:     make(chan struct{}),
		logins:   newLogins(),
		upgrader: websocket.Upgrader{
			ReadBufferSize:  1024,
			WriteBufferSize: 4096,
			// Write buffers return to the pool between messages, so idle
			// connections hold none.
			WriteBufferPool: &sync.Pool{},
			CheckOrigin:     func(*http.Request) bool { return true },
		},
	}
	if cfg.Capacity > 0 {
		s.work = newWorker(cfg.Capacity, cfg.Burst, cfg.QueueLimit)
	}
	s.http = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		// Polling clients keep their connections alive between requests;
		// abandoned ones must not accumulate.
		IdleTimeout: 2 * time.Minute,
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	go func() { _ = s.http.Serve(ln) }()
	if ctx.Done() != nil {
		go func() {
			select {
			case <-ctx.Done():
				s.Close()
			case <-s.done:
			}
		}()
	}
	return s
}

// Addr returns the address the server listens on, host:port.
func (s *Server) Addr() string { return s.listener.Addr().String() }

// URL returns the server's base URL, http://host:port.
func (s *Server) URL() string { return "http://" + s.Addr() }

// Config returns the configuration in use, defaults filled in.
func (s *Server) Config() Config { return s.cfg }

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	st := s.stats.snapshot()
	s.mu.Lock()
	st.OpenSessions = len(s.sessions)
	s.mu.Unlock()
	if s.work != nil {
		st.Queued = s.work.queued()
	}
	return st
}

// Close stops listening, closes every session without waiting for clients,
// and waits for the server's goroutines. It is safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		close(s.done)
		s.mu.Lock()
		s.closed = true
		open := make([]*session, 0, len(s.sessions))
		for _, sess := range s.sessions {
			open = append(open, sess)
		}
		s.mu.Unlock()
		_ = s.http.Close()
		for _, sess := range open {
			sess.terminate("server shutting down")
		}
		s.handlers.Wait()
		if s.work != nil {
			s.work.stop()
		}
	})
	return nil
}

// ServeHTTP routes the Engine.IO path, GET /__stats, POST /login and GET
// /me; anything else is 404.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Close waits for handlers; none may start once it has begun.
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		http.Error(w, "the target is shutting down", http.StatusServiceUnavailable)
		return
	}
	s.handlers.Add(1)
	s.mu.Unlock()
	defer s.handlers.Done()
	switch {
	case r.URL.Path == "/__stats":
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(s.Stats())
	case r.URL.Path == s.cfg.Path || r.URL.Path+"/" == s.cfg.Path:
		if allowCORS(w, r) {
			return
		}
		s.serveEngine(w, r)
	case r.URL.Path == "/login":
		s.serveLogin(w, r)
	case r.URL.Path == "/me":
		s.serveMe(w, r)
	default:
		http.Error(w, "not found", http.StatusNotFound)
	}
}

// allowCORS lets pages of any origin reach the target, as socket.io's
// cors: {origin: "*"} does, and answers a preflight request (then it
// reports true: nothing more to serve).
func allowCORS(w http.ResponseWriter, r *http.Request) (answered bool) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	if r.Method != http.MethodOptions {
		return false
	}
	h.Set("Access-Control-Allow-Methods", "GET,HEAD,PUT,PATCH,POST,DELETE")
	if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
		h.Set("Access-Control-Allow-Headers", req)
	}
	w.WriteHeader(http.StatusNoContent)
	return true
}

// Engine.IO error codes, as engine.io servers send them.
const (
	errTransportUnknown   = 0
	errUnknownSID         = 1
	errBadHandshakeMethod = 2
	errBadRequest         = 3
	errForbidden          = 4
	errUnsupportedVersion = 5
)

func engineError(w http.ResponseWriter, status, code int, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"code": code, "message": message})
}

func (s *Server) serveEngine(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if eio := q.Get("EIO"); eio != strconv.Itoa(int(s.cfg.EngineVersion)) {
		engineError(w, http.StatusBadRequest, errUnsupportedVersion,
			fmt.Sprintf("Unsupported protocol version: this target speaks EIO=%d (start it with --eio %s to serve this client)", s.cfg.EngineVersion, eioOther(s.cfg.EngineVersion)))
		return
	}
	transport := q.Get("transport")
	if transport != "polling" && transport != "websocket" {
		engineError(w, http.StatusBadRequest, errTransportUnknown, "Transport unknown")
		return
	}
	sid := q.Get("sid")
	if sid == "" {
		s.openSession(w, r, transport)
		return
	}
	sess := s.session(sid)
	if sess == nil {
		if closed := s.takeClientClosed(sid); closed != nil && transport == "polling" && r.Method == http.MethodGet {
			closed.answerClosedPoll(w)
			return
		}
		engineError(w, http.StatusBadRequest, errUnknownSID, "Session ID unknown")
		return
	}
	sess.recordCookie(r)
	switch {
	case transport == "websocket":
		sess.serveUpgrade(w, r)
	case r.Method == http.MethodGet:
		sess.servePoll(w, r)
	case r.Method == http.MethodPost:
		sess.serveData(w, r)
	default:
		engineError(w, http.StatusBadRequest, errBadHandshakeMethod, "Bad request")
	}
}

func eioOther(v wire.EngineVersion) string {
	if v == wire.EngineV4 {
		return "3"
	}
	return "4"
}

// openSession handles a handshake: a polling GET or a websocket without sid.
func (s *Server) openSession(w http.ResponseWriter, r *http.Request, transport string) {
	if transport == "polling" && r.Method != http.MethodGet {
		engineError(w, http.StatusBadRequest, errBadHandshakeMethod, "Bad handshake method")
		return
	}
	sess, err := s.register(r)
	if err != nil {
		engineError(w, http.StatusServiceUnavailable, errForbidden, err.Error())
		return
	}
	header := http.Header{}
	if s.cfg.Cookie {
		cookie := &http.Cookie{Name: "io", Value: sess.id, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode}
		header.Set("Set-Cookie", cookie.String())
	}
	if transport == "polling" {
		for k, v := range header {
			w.Header()[k] = v
		}
		sess.openPolling(w, r)
		return
	}
	ws, err := s.upgrader.Upgrade(w, r, header)
	if err != nil {
		sess.terminate("websocket upgrade failed")
		return // the upgrader has answered
	}
	s.goRead(func() { sess.runWebsocket(ws) })
}

// goRead runs a websocket's reader on a goroutine of its own and lets the
// HTTP handler return: the handler's frames hold net/http's per-connection
// buffers and request, which a hijacked connection no longer needs, and
// would cost every idle connection about twice the memory. The caller is
// an HTTP handler, so Close is still waiting for it and for the reader.
func (s *Server) goRead(read func()) {
	s.handlers.Add(1)
	go func() {
		defer s.handlers.Done()
		read()
	}()
}

// errConnectionLimit is returned when MaxConnections sessions are open.
var errConnectionLimit = errors.New("connection limit reached")

// register creates a session and counts it against the connection limit.
func (s *Server) register(r *http.Request) (*session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errors.New("the target is shutting down")
	}
	if s.cfg.MaxConnections > 0 && len(s.sessions) >= s.cfg.MaxConnections {
		s.stats.refused.Add(1)
		return nil, fmt.Errorf("%w: the target accepts at most %d connections (--max-connections)", errConnectionLimit, s.cfg.MaxConnections)
	}
	sess := newSession(s, rand.Text(), r)
	s.sessions[sess.id] = sess
	return sess, nil
}

func (s *Server) session(id string) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[id]
}

func (s *Server) unregister(sess *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sessions[sess.id] == sess {
		delete(s.sessions, sess.id)
	}
}

// closeRaceWindow is how long after a polling client's close its session
// still answers one GET. A client closes by POSTing the close packet,
// usually while its GET waits; the two travel on two connections, and the
// server may handle the POST first. engine.io, on one thread, handles them
// as they arrive; here the GET, arriving within the window, gets the noop
// it would have had a moment earlier rather than "Session ID unknown".
const closeRaceWindow = time.Second

// rememberClientClose lets the first GET for sess within closeRaceWindow
// be answered with a noop (takeClientClosed); any later request is
// refused as for an unknown session.
func (s *Server) rememberClientClose(sess *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if s.clientClosed == nil {
		s.clientClosed = make(map[string]*session)
	}
	s.clientClosed[sess.id] = sess
	time.AfterFunc(closeRaceWindow, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.clientClosed[sess.id] == sess {
			delete(s.clientClosed, sess.id)
		}
	})
}

// takeClientClosed returns the session the client closed under id within
// closeRaceWindow, once; nil otherwise.
func (s *Server) takeClientClosed(id string) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.clientClosed[id]
	delete(s.clientClosed, id)
	return sess
}

// namespaceAllowed reports whether clients may connect to nsp. The main
// namespace always exists, as on socket.io servers.
func (s *Server) namespaceAllowed(nsp string) bool {
	if len(s.cfg.Namespaces) == 0 || nsp == "/" {
		return true
	}
	for _, allowed := range s.cfg.Namespaces {
		if allowed == nsp {
			return true
		}
	}
	return false
}

// listen binds cfg.Addr, with SO_REUSEPORT when cfg.ReusePort.
func listen(ctx context.Context, cfg Config) (net.Listener, error) {
	var lc net.ListenConfig
	if cfg.ReusePort {
		if err := reusePortAvailable(); err != nil {
			return nil, err
		}
		lc.Control = func(network, address string, c syscall.RawConn) error {
			var sockErr error
			err := c.Control(func(fd uintptr) { sockErr = setReusePort(fd) })
			if err != nil {
				return err
			}
			return sockErr
		}
	}
	return lc.Listen(ctx, "tcp", cfg.Addr)
}
