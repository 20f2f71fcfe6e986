package target

import (
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorilla/websocket"

	"github.com/sockload/sockload/socketio/wire"
)

// The races of this file are those the official protocol suites run into
// on a loaded machine: requests on two connections handled in the other
// order, and timers that run late. They run in a synctest bubble over
// in-memory connections, so the orders and instants are the tests' own.

// bubblePoller speaks HTTP long-polling to a server in a bubble.
type bubblePoller struct {
	t      *testing.T
	srv    *Server
	client *http.Client
	ln     *pipeListener
	v      wire.EngineVersion
	sid    string
}

func newBubblePoller(t *testing.T, cfg Config) *bubblePoller {
	t.Helper()
	cfg, err := cfg.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	ln := newPipeListener()
	srv := serve(t.Context(), cfg, ln)
	t.Cleanup(func() { srv.Close() })
	client := &http.Client{Transport: &http.Transport{DialContext: ln.dial}}
	t.Cleanup(client.CloseIdleConnections)
	p := &bubblePoller{t: t, srv: srv, client: client, ln: ln, v: cfg.EngineVersion}
	status, body := p.get()
	if status != http.StatusOK {
		t.Fatalf("handshake: HTTP %d %s", status, body)
	}
	if err := wire.DecodePayload(p.v, []byte(body), 0, func(pk wire.Packet) error {
		if pk.Type != wire.Open {
			return nil
		}
		hs, err := wire.ParseHandshake(pk.Data)
		p.sid = hs.SID
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *bubblePoller) url() string {
	return engineURL(p.srv, "http", p.v, "polling", p.sid)
}

func (p *bubblePoller) get() (int, string) {
	p.t.Helper()
	u := p.url()
	if p.sid == "" {
		u = engineURL(p.srv, "http", p.v, "polling", "")
	}
	resp, err := p.client.Get(u)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func (p *bubblePoller) post(body string) int {
	p.t.Helper()
	resp, err := p.client.Post(p.url(), "text/plain;charset=UTF-8", strings.NewReader(body))
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// TestClientCloseBeforeItsGET: the client sends a GET and its close POST at
// once and the server handles the POST first (the suites' "forcefully
// closes the session"). The GET is answered with the noop it would have had
// a moment earlier; the next one, and any after closeRaceWindow, find the
// session unknown.
func TestClientCloseBeforeItsGET(t *testing.T) {
	for _, tt := range []struct {
		v           wire.EngineVersion
		close, noop string
		wait        time.Duration // between the close and the GET
		want        int
	}{
		{wire.EngineV4, "1", "6", 0, http.StatusOK},
		{wire.EngineV3, "1:1", "1:6", 0, http.StatusOK},
		{wire.EngineV4, "1", "", closeRaceWindow, http.StatusBadRequest},
		{wire.EngineV3, "1:1", "", closeRaceWindow, http.StatusBadRequest},
	} {
		synctest.Test(t, func(t *testing.T) {
			p := newBubblePoller(t, Config{EngineVersion: tt.v, EngineOnly: true})
			if status := p.post(tt.close); status != http.StatusOK {
				t.Fatalf("EIO%d: close POST: HTTP %d", tt.v, status)
			}
			time.Sleep(tt.wait)
			synctest.Wait() // the window's timer has run
			status, body := p.get()
			if status != tt.want || (tt.want == http.StatusOK && body != tt.noop) {
				t.Errorf("EIO%d: a GET %v after the close: HTTP %d %q, want %d %q", tt.v, tt.wait, status, body, tt.want, tt.noop)
			}
			if status, _ := p.get(); status != http.StatusBadRequest {
				t.Errorf("EIO%d: the GET after that: HTTP %d, want 400", tt.v, status)
			}
			if n := p.srv.Stats().Closed["client close"]; n != 1 {
				t.Errorf("EIO%d: closed by the client %d times, want 1", tt.v, n)
			}
		})
	}
}

// TestLateTimerStillTimesOut: a request that arrives after the client's
// heartbeat deadline finds the session closed even if the timer that
// enforces it has not run yet, as on a loaded machine (the suites' "closes
// the session upon ping timeout": v4 polls, v3 posts a ping). The deadline
// is PingInterval+PingTimeout after the last pong (v4) or packet (v3).
func TestLateTimerStillTimesOut(t *testing.T) {
	const interval, timeout = 300 * time.Millisecond, 200 * time.Millisecond
	for _, tt := range []struct {
		v       wire.EngineVersion
		request string // "GET" or a POST's body
		after   time.Duration
		want    int
	}{
		{wire.EngineV4, "GET", interval + timeout, http.StatusBadRequest},
		{wire.EngineV3, "1:2", interval + timeout, http.StatusBadRequest},
		{wire.EngineV3, "1:2", interval + timeout - time.Millisecond, http.StatusOK},
	} {
		synctest.Test(t, func(t *testing.T) {
			p := newBubblePoller(t, Config{EngineVersion: tt.v, EngineOnly: true, PingInterval: interval, PingTimeout: timeout})
			sess := p.srv.session(p.sid)
			sess.mu.Lock()
			sess.deadTimer.Stop() // it runs late
			if sess.pingTimer != nil {
				sess.pingTimer.Stop() // and so does the ping
			}
			sess.mu.Unlock()
			time.Sleep(tt.after)
			var status int
			if tt.request == "GET" {
				status, _ = p.get()
			} else {
				status = p.post(tt.request)
			}
			if status != tt.want {
				t.Errorf("EIO%d: %s %v after the handshake: HTTP %d, want %d", tt.v, tt.request, tt.after, status, tt.want)
			}
			wantClosed := int64(0)
			if tt.want != http.StatusOK {
				wantClosed = 1
			}
			if n := p.srv.Stats().Closed["ping timeout"]; n != wantClosed {
				t.Errorf("EIO%d: %d sessions closed by ping timeout, want %d", tt.v, n, wantClosed)
			}
		})
	}
}

// TestPongDeadlineCountsFromThePingsDueTime: in v4 the client has
// PingTimeout from when the ping was due, even if the ping's timer ran
// late, so a late timer cannot lengthen the session's life.
func TestPongDeadlineCountsFromThePingsDueTime(t *testing.T) {
	const interval, timeout = 300 * time.Millisecond, 200 * time.Millisecond
	synctest.Test(t, func(t *testing.T) {
		p := newBubblePoller(t, Config{EngineOnly: true, PingInterval: interval, PingTimeout: timeout})
		sess := p.srv.session(p.sid)
		sess.mu.Lock()
		sess.pingTimer.Stop()
		sess.mu.Unlock()
		time.Sleep(interval + timeout/2)
		sess.ping() // half the timeout late
		time.Sleep(timeout/2 - time.Millisecond)
		synctest.Wait()
		if st := p.srv.Stats(); st.OpenSessions != 1 {
			t.Fatalf("closed before the deadline: %v", st.Closed)
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		if st := p.srv.Stats(); st.OpenSessions != 0 || st.Closed["ping timeout"] != 1 {
			t.Fatalf("at the deadline: open %d, closed %v; want closed by ping timeout", st.OpenSessions, st.Closed)
		}
	})
}

// TestConnectTimeoutClosesPollingInOrder: the connect timeout ends a
// polling session as socket.io does, in order: a POST in flight when it
// runs (the suite's pong) is still accepted, and the next GET gets the
// Close packet, rather than both being refused as for an unknown session.
// (In v3 the main namespace is joined at once, so there is no timeout.)
func TestConnectTimeoutClosesPollingInOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const connectTimeout = time.Second
		p := newBubblePoller(t, Config{ConnectTimeout: connectTimeout, PingInterval: time.Minute})
		time.Sleep(connectTimeout)
		synctest.Wait()
		if status := p.post("3"); status != http.StatusOK {
			t.Errorf("a pong POSTed just after the connect timeout: HTTP %d, want 200", status)
		}
		if status, body := p.get(); status != http.StatusOK || body != "1" {
			t.Errorf("the GET after the connect timeout: HTTP %d %q, want 200 and the Close packet", status, body)
		}
		if status, _ := p.get(); status != http.StatusBadRequest {
			t.Errorf("a GET after the Close packet: HTTP %d, want 400", status)
		}
		if st := p.srv.Stats(); !reflect.DeepEqual(st.Closed, map[string]int64{"connect timeout": 1}) {
			t.Errorf("closed by reason %v, want one connect timeout", st.Closed)
		}
	})
}

// TestGETAfterTheUpgradeIsRefused: the client opens the websocket, sends
// "2probe" and "5" and then a GET on another connection (the suites'
// "ignores HTTP requests with same sid after upgrade"). However the two
// connections' goroutines are scheduled, the GET is refused: the session
// runs on websocket.
func TestGETAfterTheUpgradeIsRefused(t *testing.T) {
	for _, v := range versions {
		synctest.Test(t, func(t *testing.T) {
			p := newBubblePoller(t, Config{EngineVersion: v, EngineOnly: true})
			d := websocket.Dialer{NetDialContext: p.ln.dial}
			ws, _, err := d.Dial(engineURL(p.srv, "ws", v, "websocket", p.sid), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer ws.Close()
			go func() { // the answers: 3probe, then whatever comes
				for {
					if _, _, err := ws.ReadMessage(); err != nil {
						return
					}
				}
			}()
			for _, frame := range []string{"2probe", "5"} {
				if err := ws.WriteMessage(websocket.TextMessage, []byte(frame)); err != nil {
					t.Fatal(err)
				}
			}
			if status, body := p.get(); status != http.StatusBadRequest {
				t.Errorf("EIO%d: a GET after the upgrade: HTTP %d %q, want 400", v, status, body)
			}
		})
	}
}

// TestEngineOnlyOpenComesApartFromTheHandshake: in EngineOnly mode (the
// Engine.IO suites') the Open packet follows the websocket handshake's
// response by suiteOpenDelay, so that the suites' client, which listens
// for messages only once the socket is open, has it in a read of its own;
// the Socket.IO target sends it at once.
func TestEngineOnlyOpenComesApartFromTheHandshake(t *testing.T) {
	for _, tt := range []struct {
		engineOnly bool
		want       time.Duration
	}{{true, suiteOpenDelay}, {false, 0}} {
		synctest.Test(t, func(t *testing.T) {
			cfg, _ := Config{EngineOnly: tt.engineOnly}.withDefaults()
			ln := newPipeListener()
			srv := serve(t.Context(), cfg, ln)
			defer srv.Close()
			c := dialBubble(t, srv, ln)
			start := time.Now()
			p := <-c.packets
			if p.Type != wire.Open || time.Since(start) != tt.want {
				t.Errorf("EngineOnly %v: first packet %v after %v, want the Open packet after %v", tt.engineOnly, p.Type, time.Since(start), tt.want)
			}
		})
	}
}
