// Command naiveclient is the simplest Go Socket.IO load client: gorilla
// websocket with its default buffers, one goroutine per connection doing
// everything in turn, Engine.IO v4 / Socket.IO v5 frames written by hand, and
// no metrics. bench/naive-compare.sh runs it side by side with sockload as the
// baseline sockload's cost per connection is measured against.
//
//	naiveclient -target http://127.0.0.1:3000 -shape ack -vus 100 -acks 50 -think 50ms
//	naiveclient -target http://127.0.0.1:3000 -shape arrivals -rate 100 -duration 10s
//	naiveclient -target http://127.0.0.1:3000 -shape idle -vus 1000 -duration 10s -hold 20s
//	naiveclient -target http://127.0.0.1:3000 -shape arrivals -leave clean
//
// Every connection emits "ping" with an acknowledgement and expects "pong",
// as the reference server in testdata/node answers; it answers the server's
// heartbeat pings while it waits. It leaves with a namespace disconnect
// ("41") and, by default, closes its TCP connection at once (-leave abrupt:
// the simplest); with -leave clean it also sends a websocket close frame
// and waits for the server's before closing, as socket.io-client (and
// sockload) leave. It prints one line of counts and exits 1 if any
// connection failed.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

func main() {
	target := flag.String("target", "http://127.0.0.1:3000", "socket.io server (http://host:port)")
	shape := flag.String("shape", "ack", "ack (VUs emitting in a loop), arrivals (connect, one ack, leave) or idle (connect, one ack, stay)")
	vus := flag.Int("vus", 100, "ack, idle: connections, started evenly over -duration")
	acks := flag.Int("acks", 50, "ack: acknowledged emits per connection")
	think := flag.Duration("think", 50*time.Millisecond, "ack: pause after each acknowledgement")
	rate := flag.Int("rate", 100, "arrivals: new connections a second")
	duration := flag.Duration("duration", time.Second, "the time over which connections start")
	hold := flag.Duration("hold", 20*time.Second, "idle: how long each connection stays after its ack")
	leave := flag.String("leave", "abrupt", "abrupt (close the TCP connection after the disconnect packet) or clean (a close frame, then the server's, then the close)")
	flag.Parse()
	if *leave != "abrupt" && *leave != "clean" {
		fmt.Fprintf(os.Stderr, "naiveclient: -leave %q: give abrupt or clean\n", *leave)
		os.Exit(2)
	}
	cleanLeave = *leave == "clean"

	u, err := url.Parse(*target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "ws") || u.Host == "" {
		fmt.Fprintf(os.Stderr, "naiveclient: -target %q: give http://host:port\n", *target)
		os.Exit(2)
	}
	wsURL := "ws://" + u.Host + "/socket.io/?EIO=4&transport=websocket"

	var work func() error
	count := *vus
	switch *shape {
	case "ack":
		work = func() error { return session(wsURL, *acks, *think, 0) }
	case "arrivals":
		count = int(float64(*rate) * duration.Seconds())
		work = func() error { return session(wsURL, 1, 0, 0) }
	case "idle":
		work = func() error { return session(wsURL, 1, 0, *hold) }
	default:
		fmt.Fprintf(os.Stderr, "naiveclient: -shape %q: give ack, arrivals or idle\n", *shape)
		os.Exit(2)
	}
	if count < 1 {
		fmt.Fprintln(os.Stderr, "naiveclient: no connections to make: raise -vus or -rate")
		os.Exit(2)
	}

	var ok, failed atomic.Int64
	var firstErr sync.Once
	var wg sync.WaitGroup
	every := *duration / time.Duration(count)
	start := time.Now()
	for i := range count {
		time.Sleep(time.Until(start.Add(time.Duration(i) * every)))
		wg.Go(func() {
			if err := work(); err != nil {
				failed.Add(1)
				firstErr.Do(func() { fmt.Fprintln(os.Stderr, "naiveclient:", err) })
				return
			}
			ok.Add(1)
		})
	}
	wg.Wait()
	fmt.Printf("connections %d ok %d failed %d\n", count, ok.Load(), failed.Load())
	if failed.Load() > 0 {
		os.Exit(1)
	}
}

// session is one connection: the Engine.IO open, the namespace connect,
// acks acknowledged emits with think after each, then hold of idling while
// answering heartbeats, then a disconnect.
func session(wsURL string, acks int, think, hold time.Duration) error {
	conn, _, err := websocket.DefaultDialer.Dial(wsURL, nil)
	if err != nil {
		return fmt.Errorf("dial: %w", err)
	}
	defer conn.Close()
	if _, err := expect(conn, "0"); err != nil {
		return fmt.Errorf("engine.io open: %w", err)
	}
	if err := conn.WriteMessage(websocket.TextMessage, []byte("40")); err != nil {
		return err
	}
	if _, err := expect(conn, "40"); err != nil {
		return fmt.Errorf("namespace connect: %w", err)
	}
	for i := range acks {
		id := fmt.Sprint(i)
		if err := conn.WriteMessage(websocket.TextMessage, []byte(`42`+id+`["ping"]`)); err != nil {
			return err
		}
		msg, err := expect(conn, "43"+id)
		if err != nil {
			return fmt.Errorf("ack %s: %w", id, err)
		}
		if !bytes.Contains(msg, []byte(`"pong"`)) {
			return fmt.Errorf("ack %s: got %q, want pong", id, msg)
		}
		if think > 0 {
			time.Sleep(think)
		}
	}
	if hold > 0 {
		_ = conn.SetReadDeadline(time.Now().Add(hold))
		if _, err := expect(conn, "\x00"); !errors.Is(err, errTimeout) {
			return fmt.Errorf("while idle: %w", err)
		}
	}
	_ = conn.WriteMessage(websocket.TextMessage, []byte("41"))
	if cleanLeave {
		closeCleanly(conn)
	}
	return nil
}

// cleanLeave is -leave clean.
var cleanLeave bool

// closeCleanly sends a websocket close frame and waits, up to a second,
// for the server's (gorilla's read returns it as an error), before the
// caller closes the TCP connection.
func closeCleanly(conn *websocket.Conn) {
	deadline := time.Now().Add(time.Second)
	if conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), deadline) != nil {
		return
	}
	_ = conn.SetReadDeadline(deadline)
	for {
		if _, _, err := conn.ReadMessage(); err != nil {
			return
		}
	}
}

var errTimeout = errors.New("read deadline")

// expect reads messages until one starts with prefix, answering Engine.IO
// pings ("2") with pongs ("3") meanwhile.
func expect(conn *websocket.Conn, prefix string) ([]byte, error) {
	for {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			var ne interface{ Timeout() bool }
			if errors.As(err, &ne) && ne.Timeout() {
				return nil, errTimeout
			}
			return nil, err
		}
		switch {
		case bytes.HasPrefix(msg, []byte(prefix)):
			return msg, nil
		case len(msg) == 1 && msg[0] == '2':
			if err := conn.WriteMessage(websocket.TextMessage, []byte("3")); err != nil {
				return nil, err
			}
		case len(msg) > 0 && msg[0] == '1':
			return nil, errors.New("the server closed the session")
		}
	}
}
