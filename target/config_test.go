package target

import (
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sockload/sockload/socketio/wire"
)

func TestParseDelay(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		in       string
		want     string // String() of the result; "" for an error
		min, max time.Duration
	}{
		{"", "0s", 0, 0},
		{"0", "0s", 0, 0},
		{"20ms", "20ms", 20 * ms, 20 * ms},
		{" 1s ", "1s", time.Second, time.Second},
		{"uniform:10ms-50ms", "uniform:10ms-50ms", 10 * ms, 50 * ms},
		{"uniform:5ms-5ms", "uniform:5ms-5ms", 5 * ms, 5 * ms},
		{"exp:20ms", "exp:20ms", 0, 400 * ms},
		{"uniform:50ms-10ms", "", 0, 0},
		{"uniform:10ms", "", 0, 0},
		{"exp:-1s", "", 0, 0},
		{"-5ms", "", 0, 0},
		{"normal:5ms", "", 0, 0},
		{"fast", "", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			d, err := ParseDelay(tt.in)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("ParseDelay(%q) = %v, want an error", tt.in, d)
				}
				return
			}
			if err != nil || d.String() != tt.want {
				t.Fatalf("ParseDelay(%q) = %v, %v; want %s", tt.in, d, err, tt.want)
			}
			again, err := ParseDelay(d.String())
			if err != nil || again != d {
				t.Fatalf("String() %q does not parse back: %v, %v", d.String(), again, err)
			}
			for range 200 {
				if s := d.Sample(); s < tt.min || s > tt.max {
					t.Fatalf("sample %v outside [%v, %v]", s, tt.min, tt.max)
				}
			}
		})
	}
}

func FuzzParseDelay(f *testing.F) {
	for _, s := range []string{"20ms", "uniform:10ms-50ms", "exp:20ms", "uniform:-", "exp:", "1h2m"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDelay(s)
		if err != nil {
			return
		}
		if _, err := ParseDelay(d.String()); err != nil {
			t.Fatalf("ParseDelay(%q).String() = %q does not parse: %v", s, d.String(), err)
		}
		if v := d.Sample(); v < 0 {
			t.Fatalf("negative sample %v", v)
		}
	})
}

func TestConfigDefaults(t *testing.T) {
	cfg, err := Config{Capacity: 50, Path: "io", Namespaces: []string{"chat"}}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != DefaultAddr || cfg.Path != "/io/" || cfg.EngineVersion != wire.EngineV4 || cfg.QueueLimit != 50 || cfg.Burst != 5 ||
		cfg.MaxHTTPBufferSize != 1_000_000 || cfg.PingInterval != 25*time.Second || cfg.PingTimeout != 20*time.Second ||
		cfg.Namespaces[0] != "/chat" {
		t.Fatalf("defaults: %+v", cfg)
	}
	for _, bad := range []Config{{EngineVersion: 5}, {Capacity: -1}, {PingInterval: -time.Second}, {Addr: "nocolon"}} {
		if _, err := bad.withDefaults(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

// TestAckDelay checks on fake time that acks wait the configured delay and
// that other events do not wait behind them.
func TestAckDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		delay, _ := ParseDelay("250ms")
		cfg, _ := Config{AckDelay: delay}.withDefaults()
		ln := newPipeListener()
		srv := serve(t.Context(), cfg, ln)
		defer srv.Close()
		c := dialBubble(t, srv, ln)
		c.write(t, wire.Packet{Type: wire.Message, Data: []byte("0")})
		synctest.Wait()
		c.drain()

		start := time.Now()
		text, _, _ := wire.AppendEventPacket(nil, "/", 1, "ping", nil)
		c.write(t, wire.Packet{Type: wire.Message, Data: text})
		text, _, _ = wire.AppendEventPacket(nil, "/", wire.NoID, "push", []any{"x", 1})
		c.write(t, wire.Packet{Type: wire.Message, Data: text})
		synctest.Wait()
		if got := c.drain(); len(got) != 1 {
			t.Fatalf("before the delay: %d packets, want only the pushed event", len(got))
		}
		time.Sleep(250*time.Millisecond - time.Since(start) - time.Nanosecond)
		synctest.Wait()
		if got := c.drain(); len(got) != 0 {
			t.Fatalf("the ack came before its delay")
		}
		time.Sleep(time.Nanosecond)
		synctest.Wait()
		if p := <-c.packets; p.Type != wire.Message || !strings.Contains(string(p.Data), `1["pong"]`) {
			t.Fatalf("after the delay got %v %q, want the ack", p.Type, p.Data)
		}
	})
}

// FuzzSessionInput feeds hostile polling bodies to a session of either
// protocol generation: whatever the bytes, the target must not panic.
func FuzzSessionInput(f *testing.F) {
	seeds := []string{
		"40",
		"40/chat,{\"token\":1}",
		"42[\"echo\",1,{\"a\":[2]}]",
		"451-[\"echo\",{\"_placeholder\":true,\"num\":0}]\x1ebAQI=",
		"42[\"push\",\"x\",3]\x1e42[\"join\",\"r\"]\x1e42[\"broadcast\",\"r\",\"e\",1]",
		"421[\"handshake\"]\x1e422[\"cookie\"]\x1e42[\"disconnect-me\"]",
		"452-[\"echo\"]\x1eb\x1e4x",
		"2\x1e3\x1e5\x1e6\x1e1",
		"42[\"push\",\"\",1e300]",
	}
	for _, s := range seeds {
		f.Add(false, s)
	}
	for _, s := range []string{"2:40", "10:40/chat?a=1", "2:2x", "14:42[\"echo\",1]", "6:b4AQI=", "1:1"} {
		f.Add(true, s)
	}
	cfgs := map[bool]Config{}
	for _, v3 := range []bool{false, true} {
		v := wire.EngineV4
		if v3 {
			v = wire.EngineV3
		}
		cfgs[v3], _ = Config{EngineVersion: v, AuthToken: "t"}.withDefaults()
	}
	f.Fuzz(func(t *testing.T, v3 bool, body string) {
		cfg := cfgs[v3]
		srv := &Server{cfg: cfg, sessions: make(map[string]*session)}
		sess := newSession(srv, "fuzz", httptest.NewRequest("GET", "/socket.io/?EIO=4&transport=polling&token=t", nil))
		srv.sessions[sess.id] = sess
		sess.send(sess.openPackets(nil)...)
		sess.inMu.Lock()
		_ = wire.DecodePayload(cfg.EngineVersion, []byte(body), 0, sess.onPacket)
		sess.inMu.Unlock()
		sess.terminate("fuzz done")
	})
}

// TestSlowClientIsDropped checks that a client that never reads cannot make
// the target queue without bound.
func TestSlowClientIsDropped(t *testing.T) {
	cfg, _ := Config{}.withDefaults()
	srv := &Server{cfg: cfg, sessions: make(map[string]*session)}
	sess := newSession(srv, "slow", httptest.NewRequest("GET", "/socket.io/?EIO=4&transport=polling", nil))
	srv.sessions[sess.id] = sess
	sess.inMu.Lock()
	defer sess.inMu.Unlock()
	body := "40\x1e42[\"push\",\"e\",100000]"
	for i := range 2 {
		if i == 1 {
			body = "42[\"push\",\"e\",100000]" // joined already
		}
		if err := wire.DecodePayload(wire.EngineV4, []byte(body), 0, sess.onPacket); err != nil {
			t.Fatal(err)
		}
		sess.mu.Lock()
		closed, queued := sess.closed, len(sess.out)
		sess.mu.Unlock()
		if closed != (i == 1) {
			t.Fatalf("after %d pushes of 100000 unread events: closed %v (%d queued), want %v", i+1, closed, queued, i == 1)
		}
	}
}
