// Package cluster starts a real Socket.IO cluster for tests: Node socket.io
// 4.8 chat servers (testdata/node/cluster, pinned by a lockfile and
// installed with npm ci on first use) joined by @socket.io/redis-adapter
// through a real redis-server, behind a real haproxy, each on a free
// loopback port, all stopped when the test ends.
//
// Options choose the shape: the node count, the adapter (off: rooms are
// local to each process), cookie stickiness at the load balancer, a
// fraction of chat deliveries one node drops (and counts), and a relay
// delay. The chat protocol is the built-in target's: join(room) and
// chat({room, ...}) relayed to the room's others.
//
// redis-server and haproxy come from Debian (apt-get install redis-server
// haproxy). Without them Start skips the test with a message saying so,
// except under CI (CI set), where it fails: the cluster tests must run.
package cluster

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sockload/sockload/internal/refserver"
)

// Options shape a cluster. The zero value is three nodes without the
// adapter and without stickiness: set what the test needs.
type Options struct {
	// Nodes is the number of socket.io processes (default 3).
	Nodes int
	// Adapter joins the nodes with the Redis adapter.
	Adapter bool
	// Sticky makes haproxy pin each client to one node with a cookie, as
	// socket.io's long-polling needs.
	Sticky bool
	// Drop is the fraction of chat deliveries the node DropNode drops.
	Drop     float64
	DropNode int
	// RelayDelay holds each chat message on its node before relaying it.
	RelayDelay time.Duration
	// Failover makes haproxy health-check the nodes (every 200 ms) and
	// send the clients of a dead node to another (option redispatch), as
	// a deployment that rides out a lost node is set up; see Node.Kill.
	Failover bool
	// StripUpgrade makes haproxy drop the Upgrade and Connection headers,
	// as a proxy that does not pass the websocket upgrade does.
	StripUpgrade bool
}

// Cluster is a running cluster.
type Cluster struct {
	// URL is the load balancer's, for clients.
	URL string
	// Nodes are the socket.io processes, in order.
	Nodes []*Node
	// RedisAddr is redis-server's address ("" without the adapter).
	RedisAddr string
	dir       string
}

// Node is one socket.io process.
type Node struct {
	Name string
	URL  string // the node itself, bypassing the load balancer
	cmd  *exec.Cmd
}

// Stats is what a node's GET /__stats returns: connections it accepted,
// chat messages it relayed, and deliveries of chat messages (from any
// node) to its own sockets it made and dropped.
type Stats struct {
	Name        string `json:"name"`
	Connections int    `json:"connections"`
	Relayed     int    `json:"relayed"`
	Delivered   int    `json:"delivered"`
	Dropped     int    `json:"dropped"`
}

// Require skips t, with what to install, when redis-server, haproxy or node
// are missing; under CI it fails instead.
func Require(t testing.TB) {
	t.Helper()
	var missing []string
	for _, bin := range []string{"redis-server", "haproxy", "node", "npm"} {
		if _, err := exec.LookPath(bin); err != nil {
			missing = append(missing, bin)
		}
	}
	if len(missing) == 0 {
		return
	}
	msg := fmt.Sprintf("the cluster tests need %s: apt-get install redis-server haproxy (and Node.js 20 with npm)", strings.Join(missing, ", "))
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// Start starts a cluster and stops it when t ends.
func Start(t testing.TB, opts Options) *Cluster {
	t.Helper()
	Require(t)
	if opts.Nodes <= 0 {
		opts.Nodes = 3
	}
	dir := serverDir(t)
	c := &Cluster{dir: dir}
	if opts.Adapter {
		c.RedisAddr = startRedis(t)
	}
	for i := range opts.Nodes {
		args := []string{"server.js", "--port", "0", "--name", fmt.Sprintf("n%d", i+1)}
		if opts.Adapter {
			args = append(args, "--redis", "redis://"+c.RedisAddr)
		}
		if opts.Drop > 0 && i == opts.DropNode {
			args = append(args, "--drop", strconv.FormatFloat(opts.Drop, 'g', -1, 64))
		}
		if opts.RelayDelay > 0 {
			args = append(args, "--relay-delay", strconv.FormatInt(opts.RelayDelay.Milliseconds(), 10))
		}
		c.Nodes = append(c.Nodes, startNode(t, dir, fmt.Sprintf("n%d", i+1), args))
	}
	c.URL = startHAProxy(t, c.Nodes, opts)
	return c
}

// Stats reads every node's statistics.
func (c *Cluster) Stats(t testing.TB) []Stats {
	t.Helper()
	out := make([]Stats, len(c.Nodes))
	for i, n := range c.Nodes {
		resp, err := http.Get(n.URL + "/__stats")
		if err != nil {
			t.Fatalf("node %s stats: %v", n.Name, err)
		}
		err = json.NewDecoder(resp.Body).Decode(&out[i])
		resp.Body.Close()
		if err != nil {
			t.Fatalf("node %s stats: %v", n.Name, err)
		}
	}
	return out
}

// Observer starts the independent Node observer (observer.js): a
// socket.io-client that joins room through the load balancer and records,
// for each of count chat messages, its receive time minus the server's
// stamp. It returns once the observer is in the room; wait returns the
// delays in milliseconds.
func (c *Cluster) Observer(t testing.TB, room string, count int, timeout time.Duration) (wait func() []float64) {
	t.Helper()
	cmd := exec.Command("node", "observer.js", "--url", c.URL, "--room", room,
		"--count", strconv.Itoa(count), "--timeout", strconv.FormatInt(timeout.Milliseconds(), 10))
	cmd.Dir = c.dir
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the observer: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := make(chan string, 2)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	select {
	case l := <-lines:
		if l != "joined" {
			t.Fatalf("observer said %q, want joined", l)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the observer did not join within 20s")
	}
	return func() []float64 {
		var res struct {
			Delays []float64 `json:"delays"`
		}
		select {
		case l := <-lines:
			if err := json.Unmarshal([]byte(l), &res); err != nil {
				t.Fatalf("observer output %q: %v", l, err)
			}
		case <-time.After(timeout + 10*time.Second):
			t.Fatal("the observer did not report")
		}
		return res.Delays
	}
}

func startNode(t testing.TB, dir, name string, args []string) *Node {
	t.Helper()
	cmd := exec.Command("node", args...)
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting node %s: %v", name, err)
	}
	t.Cleanup(func() { stop(cmd) })
	port := make(chan int, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if p, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
				n, _ := strconv.Atoi(p)
				port <- n
			}
		}
	}()
	select {
	case p := <-port:
		return &Node{Name: name, URL: fmt.Sprintf("http://127.0.0.1:%d", p), cmd: cmd}
	case <-time.After(30 * time.Second):
		t.Fatalf("node %s did not start within 30s (%v)", name, args)
	}
	return nil
}

// startRedis runs a redis-server on a free loopback port, keeping nothing
// on disk.
func startRedis(t testing.TB) string {
	t.Helper()
	port := freePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", t.TempDir(), "--daemonize", "no", "--loglevel", "warning")
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting redis-server: %v", err)
	}
	t.Cleanup(func() { stop(cmd) })
	waitListening(t, "redis-server", addr)
	return addr
}

// startHAProxy runs haproxy in front of nodes, round robin, with cookie
// stickiness when sticky. It returns the frontend's URL.
func startHAProxy(t testing.TB, nodes []*Node, opts Options) string {
	sticky := opts.Sticky
	t.Helper()
	port := freePort(t)
	var b strings.Builder
	fmt.Fprintf(&b, `global
  maxconn 4000
defaults
  mode http
  timeout connect 5s
  timeout client 120s
  timeout server 120s
  timeout tunnel 120s
frontend sockets
  bind 127.0.0.1:%d
  default_backend nodes
backend nodes
  balance roundrobin
`, port)
	if opts.StripUpgrade {
		b.WriteString("  http-request del-header Upgrade\n  http-request del-header Connection\n")
	}
	if opts.Failover {
		b.WriteString("  option redispatch\n  retries 2\n  default-server check inter 200ms fall 1 rise 1\n")
	}
	if sticky {
		b.WriteString("  cookie SLNODE insert indirect nocache\n")
	}
	for _, n := range nodes {
		fmt.Fprintf(&b, "  server %s %s", n.Name, strings.TrimPrefix(n.URL, "http://"))
		if sticky {
			fmt.Fprintf(&b, " cookie %s", n.Name)
		}
		b.WriteString("\n")
	}
	cfg := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(cfg, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("haproxy", "-db", "-q", "-f", cfg)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting haproxy: %v", err)
	}
	t.Cleanup(func() { stop(cmd) })
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	waitListening(t, "haproxy", addr)
	return "http://" + addr
}

func stop(cmd *exec.Cmd) {
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
	}
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func waitListening(t testing.TB, what, addr string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not listen on %s within 20s: %v", what, addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// serverDir returns testdata/node/cluster, installed with npm ci first when
// a fresh clone lacks node_modules.
func serverDir(t testing.TB) string {
	t.Helper()
	return refserver.NodeDir(t, "cluster", filepath.Join("@socket.io", "redis-adapter", "package.json"))
}
