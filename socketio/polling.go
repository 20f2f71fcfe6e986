package socketio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sockload/sockload/socketio/wire"
)

// newHTTPClient returns the HTTP client of one Manager's polling: its own
// connection pool (a long-poll GET and a POST at a time, as a browser tab
// has) and its own cookie jar.
func newHTTPClient(cfg *config, jar http.CookieJar) *http.Client {
	tr := &http.Transport{
		DialContext:         cfg.DialContext,
		TLSClientConfig:     cfg.tlsConfig(),
		TLSHandshakeTimeout: cfg.ConnectTimeout,
		MaxIdleConnsPerHost: 2,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   false,
	}
	if cfg.Trace != nil {
		return &http.Client{Transport: &tracingRoundTripper{cfg: cfg, next: tr}, Jar: jar, CheckRedirect: checkRedirect(cfg)}
	}
	return &http.Client{Transport: tr, Jar: jar, CheckRedirect: checkRedirect(cfg)}
}

// maxRedirects is how many redirects one polling request follows.
const maxRedirects = 10

// checkRedirect follows redirects within the target's host only (unless
// AllowCrossHostRedirects), never for a POST, and at most maxRedirects.
func checkRedirect(cfg *config) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		first := via[0]
		to := redactedURL(req.URL)
		switch {
		case first.Method != http.MethodGet:
			return http.ErrUseLastResponse // its status says so, with where it pointed
		case len(via) >= maxRedirects:
			return fmt.Errorf("stopped after %d redirects, the last to %s (a redirect loop?)", len(via), to)
		case !cfg.AllowCrossHostRedirects && (req.URL.Host != first.URL.Host || req.URL.Scheme != first.URL.Scheme):
			return fmt.Errorf("the server redirected to another host, %s: not followed (the load would move there); "+
				"target that host, or allow cross-host redirects", to)
		}
		return nil
	}
}

// redactedURL prints u without its query (where tokens go) or password.
func redactedURL(u *url.URL) string {
	c := *u
	c.User = nil
	if c.RawQuery != "" {
		c.RawQuery = "…"
	}
	return c.String()
}

// requestError strips the URL net/http puts in its errors: it holds the
// query (tokens, session ids) and a per-request stamp that would make every
// error unique.
func requestError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// withRedirect adds where a redirect that was not followed pointed to the
// error of its response.
func withRedirect(resp *http.Response, err error) error {
	loc := resp.Header.Get("Location")
	if loc == "" || resp.StatusCode/100 != 3 {
		return err
	}
	u, perr := resp.Request.URL.Parse(loc)
	if perr != nil {
		return err
	}
	return fmt.Errorf("%w (a redirect to %s, not followed)", err, redactedURL(u))
}

// requestCounter makes each polling URL unique (socket.io-client's t
// parameter), so no cache along the way answers a poll.
var requestCounter atomic.Uint64

func stampedURL(base string) string {
	return base + "&t=" + strconv.FormatUint(requestCounter.Add(1), 36)
}

// pollHandshake opens an Engine.IO session with a polling GET. It returns the
// handshake and the packets that came after the open packet in the same
// response (socket.io 2.x sends its automatic CONNECT there).
//
// at is where the session lives: the target, or the host a followed
// cross-host redirect led to (AllowCrossHostRedirects).
func pollHandshake(ctx context.Context, cfg *config, client *http.Client, header *http.Header) (hs wire.Handshake, early []wire.Packet, at *url.URL, err error) {
	body, at, err := pollGet(ctx, client, cfg, stampedURL(cfg.engineURL(TransportPolling, "")), header)
	if err != nil {
		return hs, nil, nil, fmt.Errorf("socketio: polling handshake with %s: %w", cfg.base.Host, err)
	}
	defer putBuffer(body)
	if cfg.EngineVersion == wire.EngineV4 && v3Payload.Match(body.b) {
		return hs, nil, nil, fmt.Errorf("socketio: polling handshake with %s: %w", cfg.base.Host, ErrEngineV3)
	}
	opened := false
	err = wire.DecodePayload(cfg.EngineVersion, body.b, int(cfg.MaxReadBytes), func(p wire.Packet) error {
		cfg.tracePackets(false, TransportPolling, p)
		if !opened {
			if p.Type != wire.Open {
				return fmt.Errorf("expected the Engine.IO open packet, got type %d", p.Type)
			}
			opened = true
			var err error
			hs, err = wire.ParseHandshake(p.Data)
			return err
		}
		p.Data = bytes.Clone(p.Data)
		early = append(early, p)
		return nil
	})
	if err != nil || !opened {
		err = notEngineIO("GET "+cfg.Path, body.b)
		return hs, nil, nil, fmt.Errorf("socketio: polling handshake with %s: %w", cfg.base.Host, err)
	}
	return hs, early, at, nil
}

// pollGet performs a GET and returns its body in a pooled buffer, and the
// URL that answered it (after redirects). When header is not nil it
// receives the response's header.
func pollGet(ctx context.Context, client *http.Client, cfg *config, u string, header *http.Header) (*buffer, *url.URL, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	addHeaders(req, cfg.ExtraHeaders)
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, requestError(err)
	}
	defer resp.Body.Close()
	if header != nil {
		*header = resp.Header
	}
	buf := getBuffer()
	err = buf.readFrom(io.LimitReader(resp.Body, cfg.MaxReadBytes+1), cfg.ReadBudget)
	switch {
	case err != nil:
	case int64(len(buf.b)) > cfg.MaxReadBytes:
		err = fmt.Errorf("a polling response exceeds MaxReadBytes (%d)", cfg.MaxReadBytes)
	case resp.StatusCode != http.StatusOK:
		err = withRedirect(resp, httpAnswerError(req.Method, req.URL.Path, resp, truncate(buf.b, 512)))
	case strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html"):
		// No Engine.IO server answers with a web page.
		err = &NotSocketIOError{Request: req.Method + " " + req.URL.Path, Status: resp.StatusCode,
			ContentType: resp.Header.Get("Content-Type"), Start: bytes.Clone(truncate(bytes.TrimSpace(buf.b), 80))}
	}
	if err != nil {
		putBuffer(buf)
		return nil, nil, err
	}
	return buf, resp.Request.URL, nil
}

// truncate returns a copy of at most the first n bytes of b: errors keep
// what the server said after the read buffer it came in is reused.
func truncate(b []byte, n int) []byte {
	return bytes.Clone(b[:min(len(b), n)])
}

func addHeaders(req *http.Request, h http.Header) {
	for k, vs := range h {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
}

// pollingTransport is Engine.IO over HTTP long-polling: the reader goroutine
// keeps one GET outstanding; writes are POSTs, one at a time.
type pollingTransport struct {
	ctx        context.Context // the engine's: cancelled on close
	cfg        *config
	client     *http.Client
	url        string
	maxPayload int
	closing    atomic.Bool
	// getting is held by the reader from deciding to poll until its GET is
	// written, so that close never posts the close packet while a GET is
	// about to leave: that GET would reach a session the server already
	// ended and be refused with 400 "Session ID unknown", which operators
	// read as a balancer that is not sticky.
	getting chan struct{}
	// post holds the one POST a session may have under way: an Engine.IO
	// server ends a session that overlaps two, dropping the first, so the
	// close packet waits for the emit before it.
	post chan struct{}
	// posting is the size of the POST under way, or of the last one if it
	// failed: a server that drops an oversized body also ends the session,
	// and whichever the client sees first should explain it.
	posting atomic.Int64
}

// errTooLargeLikely explains a write or a connection that failed after a
// large message (POST body or websocket message), when the server announced
// no limit (socket.io 2.x).
var errTooLargeLikely = errors.New("a message larger than the server's maxHttpBufferSize option is the likely cause")

func newPolling(ctx context.Context, cfg *config, client *http.Client, at *url.URL, sid string, maxPayload int) *pollingTransport {
	return &pollingTransport{
		ctx: ctx, cfg: cfg, client: client, url: cfg.engineURLAt(at, TransportPolling, sid), maxPayload: maxPayload,
		post: make(chan struct{}, 1), getting: make(chan struct{}, 1),
	}
}

func (t *pollingTransport) name() string { return TransportPolling }

func (t *pollingTransport) read(fn func(time.Time, wire.Packet) error) error {
	t.getting <- struct{}{}
	if t.closing.Load() {
		<-t.getting
		return closeErr(ReasonClientDisconnect, nil)
	}
	written := sync.OnceFunc(func() { <-t.getting })
	ctx := httptrace.WithClientTrace(t.ctx, &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) { written() },
	})
	body, _, err := pollGet(ctx, t.client, t.cfg, stampedURL(t.url), nil)
	written()
	if err != nil {
		return t.explain(closeErr(ReasonTransportError, fmt.Errorf("polling GET: %w", err)))
	}
	defer putBuffer(body)
	now := time.Now()
	err = wire.DecodePayload(t.cfg.EngineVersion, body.b, int(t.cfg.MaxReadBytes), func(p wire.Packet) error {
		t.cfg.tracePackets(false, TransportPolling, p)
		return fn(now, p)
	})
	var ce *closeError
	if err != nil && !errors.As(err, &ce) {
		err = closeErr(ReasonParseError, err)
	}
	if errors.Is(err, errServerClosed) {
		err = t.explain(err)
	}
	return err
}

// explain adds the likely cause to the end of a session that came with a
// large POST.
func (t *pollingTransport) explain(err error) error {
	n := t.posting.Load()
	if t.maxPayload > 0 || n <= dropHintBytes {
		return err
	}
	reason, cause := reasonOf(err)
	return closeErr(reason, fmt.Errorf("%w during a POST of %d bytes: %w", cause, n, errTooLargeLikely))
}

func (t *pollingTransport) write(pkts []wire.Packet) (time.Time, error) {
	buf := getBuffer()
	defer putBuffer(buf)
	buf.b = wire.AppendPayload(t.cfg.EngineVersion, buf.b[:0], pkts)
	if t.maxPayload > 0 && len(buf.b) > t.maxPayload && !t.cfg.SendOverMaxPayload {
		return time.Time{}, &PayloadTooLargeError{Size: len(buf.b), MaxPayload: t.maxPayload}
	}
	t.cfg.tracePackets(true, TransportPolling, pkts...)
	// Not bound to the session's context: a POST under way when the
	// session closes completes (its packets were sent), within WriteTimeout.
	ctx, cancel := context.WithTimeout(context.Background(), t.cfg.WriteTimeout)
	defer cancel()
	select {
	case t.post <- struct{}{}:
		defer func() { <-t.post }()
	case <-ctx.Done():
		return time.Time{}, closeErr(ReasonTransportError, fmt.Errorf("polling POST: the previous POST did not end within %v: %w", t.cfg.WriteTimeout, ctx.Err()))
	}
	t.posting.Store(int64(len(buf.b)))
	sentAt := time.Now()
	err := t.postBody(ctx, buf.b)
	if err == nil {
		t.posting.Store(0)
		return sentAt, nil
	}
	err = closeErr(ReasonTransportError, fmt.Errorf("polling POST of %d bytes: %w", len(buf.b), err))
	if ctx.Err() == nil {
		err = t.explain(err)
	}
	return sentAt, err
}

// dropHintBytes is the message size above which a failed write is explained
// by the server's size limit: no server limits messages this small.
const dropHintBytes = 1024

func (t *pollingTransport) postBody(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, stampedURL(t.url), bytes.NewReader(body))
	if err != nil {
		return err
	}
	addHeaders(req, t.cfg.ExtraHeaders)
	req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	resp, err := t.client.Do(req)
	if err != nil {
		return requestError(err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return withRedirect(resp, httpAnswerError(req.Method, req.URL.Path, resp, msg))
	}
	return nil
}

// close ends the session; a graceful close tells the server with a close
// packet first, as engine.io-client does, after the POST under way if any
// and after the GET being sent if any (no GET follows it). It blocks for a
// second at most.
func (t *pollingTransport) close(graceful bool) {
	if !t.closing.CompareAndSwap(false, true) || !graceful {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	select {
	case t.getting <- struct{}{}:
		<-t.getting
	case <-ctx.Done():
		return
	}
	select {
	case t.post <- struct{}{}:
		defer func() { <-t.post }()
	case <-ctx.Done():
		return // the server ends the session by its own timeout
	}
	body := wire.AppendPayload(t.cfg.EngineVersion, nil, []wire.Packet{{Type: wire.Close}})
	_ = t.postBody(ctx, body)
}
