package engine

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sockload/sockload/metrics"
	"github.com/sockload/sockload/scenario"
	"github.com/sockload/sockload/socketio"
)

// Metric names of HTTP steps, Artillery's.
const (
	MetricHTTPRequests        = "http.requests"
	MetricHTTPRequestRate     = "http.request_rate"
	MetricHTTPResponses       = "http.responses"
	MetricHTTPCodes           = "http.codes." // + status code
	MetricHTTPResponseTime    = "http.response_time"
	MetricHTTPResponseTimeOf  = "http.response_time." // + step name, or URL as written
	MetricHTTPDownloadedBytes = "http.downloaded_bytes"
)

// HTTPResponseTimeOf is the name of the response time of the HTTP steps
// named name (HTTPStep.Name).
func HTTPResponseTimeOf(name string) string { return MetricHTTPResponseTimeOf + MetricSuffix(name) }

// httpStepNames returns the names of every HTTP step a VU may run (flows,
// onReconnect, loops), once each.
func httpStepNames(script *scenario.Script) []string {
	seen := map[string]bool{}
	var names []string
	for st := range script.Steps() {
		if h, ok := st.(*scenario.HTTPStep); ok && !seen[h.Name] {
			seen[h.Name] = true
			names = append(names, h.Name)
		}
	}
	return names
}

// maxHTTPBody bounds the body an HTTP step reads for its checks; the rest
// is read and counted in http.downloaded_bytes, not kept.
const maxHTTPBody = 4 << 20

// httpRunner sends the HTTP steps of a run: one transport (its pool of
// connections) shared by every VU, each VU with its own cookie jar.
type httpRunner struct {
	transport *http.Transport
	cfg       scenario.HTTPConfig
	target    string // config.target without a trailing slash, http(s)://

	requests, responses, downloaded metrics.Counter
	responseTime                    metrics.Histogram
	reg                             *metrics.Registry
	codes                           sync.Map      // int → metrics.Counter
	names                           *eventHandles // http.response_time.<name>, at most maxEventNames
}

func newHTTPRunner(cfg *Config) *httpRunner {
	sc := cfg.Script.Config
	dial := cfg.DialContext
	if dial == nil {
		dial = (&net.Dialer{Timeout: sc.HTTP.Timeout, KeepAlive: 30 * time.Second}).DialContext
	}
	tr := &http.Transport{
		Proxy:               nil, // a load test measures the target, never a proxy from the environment
		DialContext:         dial,
		TLSClientConfig:     &tls.Config{InsecureSkipVerify: cfg.InsecureSkipVerify || !sc.TLS.RejectUnauthorized},
		MaxIdleConns:        0,
		MaxIdleConnsPerHost: 1024,
		MaxConnsPerHost:     sc.HTTP.Pool,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   true,
	}
	if sc.HTTP.Pool > 0 {
		tr.MaxIdleConnsPerHost = sc.HTTP.Pool
	}
	target := strings.TrimSuffix(sc.Target, "/")
	if rest, ok := strings.CutPrefix(target, "ws://"); ok {
		target = "http://" + rest
	} else if rest, ok := strings.CutPrefix(target, "wss://"); ok {
		target = "https://" + rest
	}
	reg := cfg.Registry
	return &httpRunner{
		transport:    tr,
		cfg:          sc.HTTP,
		target:       target,
		reg:          reg,
		requests:     reg.Counter(MetricHTTPRequests),
		responses:    reg.Counter(MetricHTTPResponses),
		downloaded:   reg.Counter(MetricHTTPDownloadedBytes),
		responseTime: reg.Histogram(MetricHTTPResponseTime),
		names:        newEventHandles(reg, MetricHTTPResponseTimeOf),
	}
}

func (h *httpRunner) close() {
	if h != nil {
		h.transport.CloseIdleConnections()
	}
}

func (h *httpRunner) code(status int) metrics.Counter {
	if c, ok := h.codes.Load(status); ok {
		return c.(metrics.Counter)
	}
	c, _ := h.codes.LoadOrStore(status, h.reg.Counter(MetricHTTPCodes+strconv.Itoa(status)))
	return c.(metrics.Counter)
}

// cookieJar returns the VU's cookie jar, shared by its HTTP steps and its
// Socket.IO connections, created on first use.
func (v *vu) cookieJar() http.CookieJar {
	if v.jar == nil {
		v.jar = socketio.NewJar()
	}
	return v.jar
}

// httpStep sends the request, records it and checks the response.
func (v *vu) httpStep(ctx context.Context, st *scenario.HTTPStep) error {
	h := v.r.http
	timeout := st.Timeout
	reqCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := v.httpRequest(reqCtx, st)
	if err != nil {
		return err
	}
	client := &http.Client{Transport: h.transport, Jar: v.cookieJar()}
	if !st.FollowRedirect {
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	h.requests.Inc()
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return v.httpFailure(ctx, st, req, err, timeout)
	}
	elapsed := max(time.Since(start), time.Microsecond)
	body, n, err := readBody(resp.Body)
	resp.Body.Close()
	h.downloaded.Add(n)
	h.responses.Inc()
	h.code(resp.StatusCode).Inc()
	v.rec.Record(h.responseTime, elapsed)
	if hist, ok := h.names.histogram(st.Name); ok {
		v.rec.Record(hist, elapsed)
	}
	if err != nil {
		return v.httpFailure(ctx, st, req, err, timeout)
	}
	captured, err := st.Verify(&scenario.HTTPResponse{Status: resp.StatusCode, Header: resp.Header, Body: body}, v.tctx)
	if err != nil {
		var ce *scenario.CheckError
		if errors.As(err, &ce) {
			return &stepError{code: ce.Kind, err: errors.New(ce.Detail), line: st.Pos.Line, expected: ce.Expected, received: ce.Received}
		}
		return err
	}
	for name, value := range captured {
		v.tctx.Vars[name] = value
	}
	return nil
}

// readBody reads up to maxHTTPBody bytes and counts (and discards) the rest.
func readBody(r io.Reader) ([]byte, int64, error) {
	body, err := io.ReadAll(io.LimitReader(r, maxHTTPBody))
	n := int64(len(body))
	if err == nil {
		var rest int64
		rest, err = io.Copy(io.Discard, r)
		n += rest
	}
	return body, n, err
}

// httpFailure names a request that got no response: ETIMEDOUT,
// ECONNREFUSED and the other network codes.
func (v *vu) httpFailure(ctx context.Context, st *scenario.HTTPStep, req *http.Request, err error, timeout time.Duration) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	what := fmt.Sprintf("%s %s (line %d)", st.Method, req.URL.Redacted(), st.Pos.Line)
	if errorsIsDeadline(err) {
		return failf(CodeTimedOut, "%s: no response within %s (the step's timeout, or config.http.timeout)", what, timeout)
	}
	return &stepError{code: classifyNetworkError(err), err: fmt.Errorf("%s: %w", what, err)}
}

// httpRequest renders the step into a request.
func (v *vu) httpRequest(ctx context.Context, st *scenario.HTTPStep) (*http.Request, error) {
	h := v.r.http
	raw := scenario.RenderString(st.URL, v.tctx)
	if strings.HasPrefix(raw, "/") {
		raw = h.target + raw
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, failf(CodeBadURL, "%s at line %d: url %q is not a path (\"/login\") or an http(s) URL", st.Method, st.Pos.Line, raw)
	}
	if len(st.Query) > 0 {
		q := u.Query()
		for _, kv := range st.Query {
			q.Add(kv.Key, scenario.RenderString(kv.Value, v.tctx))
		}
		u.RawQuery = q.Encode()
	}
	body, contentType, err := v.httpBody(st)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, st.Method, u.String(), body)
	if err != nil {
		return nil, failf(CodeBadURL, "%s at line %d: %v", st.Method, st.Pos.Line, err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for _, kv := range h.cfg.Headers {
		req.Header.Set(kv.Key, scenario.RenderString(kv.Value, v.tctx))
	}
	for _, kv := range st.Headers {
		req.Header.Set(kv.Key, scenario.RenderString(kv.Value, v.tctx))
	}
	if st.Auth != nil {
		req.SetBasicAuth(scenario.RenderString(st.Auth.User, v.tctx), scenario.RenderString(st.Auth.Pass, v.tctx))
	}
	if len(st.Cookies) > 0 {
		// As Artillery's cookie: the cookies join the VU's jar, so later
		// requests and the Socket.IO handshake send them too.
		cookies := make([]*http.Cookie, 0, len(st.Cookies))
		for _, kv := range st.Cookies {
			cookies = append(cookies, &http.Cookie{Name: kv.Key, Value: scenario.RenderString(kv.Value, v.tctx), Path: "/"})
		}
		v.cookieJar().SetCookies(u, cookies)
	}
	return req, nil
}

func (v *vu) httpBody(st *scenario.HTTPStep) (io.Reader, string, error) {
	switch {
	case st.JSON != nil:
		b, err := json.Marshal(st.JSON.Render(v.tctx))
		if err != nil {
			return nil, "", failf(CodeBadJSON, "%s at line %d: json does not encode: %v", st.Method, st.Pos.Line, err)
		}
		return bytes.NewReader(b), "application/json", nil
	case st.Body != nil:
		return strings.NewReader(scenario.RenderString(st.Body, v.tctx)), "", nil
	case len(st.Form) > 0:
		form := url.Values{}
		for _, kv := range st.Form {
			form.Add(kv.Key, scenario.RenderString(kv.Value, v.tctx))
		}
		return strings.NewReader(form.Encode()), "application/x-www-form-urlencoded", nil
	}
	return nil, "", nil
}
