// Package refserver starts the Node reference Socket.IO servers under
// testdata/node for tests. They run the official socket.io package (4.x and
// 2.x), which is the authority on the protocol: sockload's client and its
// built-in target are checked against them.
//
// Servers listen on 127.0.0.1 only and are stopped when the test ends. The
// test process binds each server's port and hands the socket to the Node
// process (inherit-listener.js), so that a stopped server's port, though it
// refuses connections, is never free for another process to take, and
// Restart always gets it back.
package refserver

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Version selects which socket.io major version serves.
type Version string

const (
	// V4 is socket.io 4.x: Engine.IO v4, Socket.IO protocol v5.
	V4 Version = "v4"
	// V2 is socket.io 2.x: Engine.IO v3, Socket.IO protocol v4.
	V2 Version = "v2"
)

// Versions lists every reference server, for tests that run against each.
var Versions = []Version{V4, V2}

// Server is one running reference server process.
type Server struct {
	Version Version
	Port    int
	// URL is the base address, http://127.0.0.1:<port>.
	URL string

	t     testing.TB
	flags []string
	// listener is the bound, listening socket every server process of
	// this Server accepts on, held here across restarts.
	listener *os.File
	mu       sync.Mutex
	cmd      *exec.Cmd
}

// Start runs the reference server of version v with the given flags (see
// testdata/node/server.js) on a free port, and stops it when t ends.
func Start(t testing.TB, v Version, flags ...string) *Server {
	t.Helper()
	s := &Server{Version: v, t: t, flags: flags}
	s.listen()
	t.Cleanup(func() {
		s.Stop()
		s.listener.Close()
	})
	s.start()
	return s
}

// listen binds a free port on 127.0.0.1 and keeps the socket, which every
// server process of s listens on. The port is bound by number, so that the
// socket keeps it while no process listens (a socket bound to port 0 gives
// its port up when it stops listening): a stopped server's port refuses
// connections, yet no other process can take it. Linux only, as is Pdeathsig.
func (s *Server) listen() {
	s.t.Helper()
	fd, port, err := bindFreePort()
	if err != nil {
		s.t.Fatalf("reference server: binding a port on 127.0.0.1: %v", err)
	}
	s.listener = os.NewFile(uintptr(fd), "refserver-listener")
	s.Port = port
	s.URL = fmt.Sprintf("http://127.0.0.1:%d", port)
}

// bindFreePort returns a TCP socket bound to a free port of 127.0.0.1 given
// by number. A probe socket finds the port and holds it, with SO_REUSEPORT,
// until the returned socket has joined it; then SO_REUSEPORT is cleared so
// that no one else can.
func bindFreePort() (fd, port int, err error) {
	const soReusePort = 0xf // SO_REUSEPORT on Linux, unnamed in syscall
	loopback := [4]byte{127, 0, 0, 1}
	newSocket := func() (int, error) {
		fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
		if err != nil {
			return -1, err
		}
		if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, soReusePort, 1); err != nil {
			syscall.Close(fd)
			return -1, err
		}
		return fd, nil
	}
	probe, err := newSocket()
	if err != nil {
		return -1, 0, err
	}
	probed := func() (int, error) {
		defer syscall.Close(probe)
		if err := syscall.Bind(probe, &syscall.SockaddrInet4{Addr: loopback}); err != nil {
			return -1, err
		}
		sa, err := syscall.Getsockname(probe)
		if err != nil {
			return -1, err
		}
		port = sa.(*syscall.SockaddrInet4).Port
		fd, err := newSocket()
		if err != nil {
			return -1, err
		}
		if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: loopback, Port: port}); err != nil {
			syscall.Close(fd)
			return -1, err
		}
		return fd, nil
	}
	if fd, err = probed(); err != nil {
		return -1, 0, err
	}
	// The probe is closed: the port is fd's alone from now on.
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, soReusePort, 0); err != nil {
		syscall.Close(fd)
		return -1, 0, err
	}
	return fd, port, nil
}

// Stop kills the server; its port refuses connections until Restart. It is
// safe to call more than once.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	// The server runs in its own process group; kill the whole group.
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	_ = s.cmd.Wait()
	s.cmd = nil
	// Stop listening: connections are refused until the next start, and
	// the port stays bound. Without SO_REUSEADDR no other socket can bind
	// it meanwhile.
	fd := int(s.listener.Fd())
	_ = syscall.Shutdown(fd, syscall.SHUT_RD)
	_ = syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 0)
}

// Pause stops the server's process (SIGSTOP) until the returned func
// resumes it: its sockets stay open and read nothing, as a server too
// busy to read does.
func (s *Server) Pause() (resume func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pid := s.cmd.Process.Pid
	_ = syscall.Kill(-pid, syscall.SIGSTOP)
	return func() { _ = syscall.Kill(-pid, syscall.SIGCONT) }
}

// Restart stops the server and starts a new one on the same port, as a
// deployment would. Clients connected before lose their connection.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.start()
}

// Stats returns the server's counts of events received, per namespace and
// event name, and its total of connections.
func (s *Server) Stats() Stats {
	s.t.Helper()
	resp, err := http.Get(s.URL + "/__stats")
	if err != nil {
		s.t.Fatalf("reference server stats: %v", err)
	}
	defer resp.Body.Close()
	var st Stats
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		s.t.Fatalf("reference server stats: %v", err)
	}
	return st
}

// Stats is what GET /__stats returns.
type Stats struct {
	Connections int                       `json:"connections"`
	Received    map[string]map[string]int `json:"received"`
	// EngineErrors are the first 100 Engine.IO requests the server refused
	// (an HTTP status of 400 or more), as it logged them, e.g.
	// `engine.io refused GET /socket.io/?...: 400 {"code":1,"message":"Session ID unknown"}`.
	EngineErrors []string `json:"engineErrors"`
	// HTTPRequests counts the requests of the HTTP routes (POST /login,
	// GET /me, /status, /delay, /echo) the server answered.
	HTTPRequests int `json:"httpRequests"`
	// Disconnects counts the sockets that left, by the reason the server
	// gave ("client namespace disconnect", "transport close", ...).
	Disconnects map[string]int `json:"disconnects"`
}

func (s *Server) start() {
	s.t.Helper()
	dir := serverDir(s.t, s.Version)
	root, err := moduleRoot()
	if err != nil {
		s.t.Fatal(err)
	}
	hook := filepath.Join(root, "internal", "refserver", "inherit-listener.js")
	args := append([]string{"--require", hook, "server.js", "--port", strconv.Itoa(s.Port)}, s.flags...)
	cmd := exec.Command("node", args...)
	cmd.Dir = dir
	// SO_REUSEADDR while a server listens, as servers set: the
	// connections it accepts inherit it, so that those a killed server
	// leaves on the port do not keep the next one from listening.
	if err := syscall.SetsockoptInt(int(s.listener.Fd()), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); err != nil {
		s.t.Fatalf("reference server: %v", err)
	}
	cmd.ExtraFiles = []*os.File{s.listener} // descriptor 3
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		s.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("starting reference server: %v", err)
	}
	s.mu.Lock()
	s.cmd = cmd
	s.mu.Unlock()

	listening := make(chan int, 1)
	go func() {
		scanner := bufio.NewScanner(stdout)
		for scanner.Scan() {
			line := scanner.Text()
			if p, ok := strings.CutPrefix(line, "listening "); ok {
				n, _ := strconv.Atoi(p)
				listening <- n
			}
		}
	}()
	select {
	case p := <-listening:
		if p != s.Port {
			s.Stop()
			s.t.Fatalf("reference server %s listens on port %d, not on the socket it was given (port %d)", s.Version, p, s.Port)
		}
	case <-time.After(20 * time.Second):
		s.Stop()
		s.t.Fatalf("reference server %s did not start within 20s (flags %v)", s.Version, s.flags)
	}
}

// installs remembers, per directory, the one `npm ci` a test binary runs
// there and its outcome, so that every later caller sees a failure too.
var installs sync.Map // dir -> *install

type install struct {
	once sync.Once
	err  error
}

// serverDir returns testdata/node/<v>, installing its pinned packages with
// `npm ci` first if they are missing (a fresh clone).
func serverDir(t testing.TB, v Version) string {
	t.Helper()
	return NodeDir(t, string(v), filepath.Join("socket.io", "package.json"))
}

// NodeDir returns testdata/node/<name> of the module, with its pinned
// packages installed by `npm ci` first when node_modules/<marker> is
// missing (a fresh clone). Test binaries of several packages run at once,
// so a file lock serializes their installs; within one binary the install
// runs once and its error is reported to every caller.
func NodeDir(t testing.TB, name, marker string) string {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "testdata", "node", name)
	v, _ := installs.LoadOrStore(dir, new(install))
	in := v.(*install)
	in.once.Do(func() { in.err = ensureInstalled(dir, filepath.Join(dir, "node_modules", marker)) })
	if in.err != nil {
		t.Fatalf("installing the Node packages of %s: %v", dir, in.err)
	}
	return dir
}

// ensureInstalled runs `npm ci` in dir unless marker exists.
func ensureInstalled(dir, marker string) error {
	if _, err := os.Stat(marker); err == nil {
		return nil
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".install.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if _, err := os.Stat(marker); err == nil {
		return nil
	}
	cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("npm ci: %v\n%s", err, out)
	}
	return nil
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}
