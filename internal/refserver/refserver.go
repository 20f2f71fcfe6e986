// Package refserver starts the Node reference Socket.IO servers under
// testdata/node for tests. They run the official socket.io package (4.x and
// 2.x), which is the authority on the protocol: sockload's client and its
// built-in target are checked against them.
//
// Servers listen on 127.0.0.1 only and are stopped when the test ends. The
// test process binds each server's port and hands the listening socket to
// the Node process (inherit-listener.js), so Restart never leaves the port
// free for another process to take.
package refserver

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

// listen binds a free port on 127.0.0.1 and keeps the listening socket.
func (s *Server) listen() {
	s.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.t.Fatalf("reference server: %v", err)
	}
	defer ln.Close() // the file below is a duplicate that keeps the socket
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		s.t.Fatalf("reference server: %v", err)
	}
	s.listener = f
	s.Port = ln.Addr().(*net.TCPAddr).Port
	s.URL = fmt.Sprintf("http://127.0.0.1:%d", s.Port)
}

// Stop kills the server. It is safe to call more than once.
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
}

// Restart stops the server and starts a new one on the same port, as a
// deployment would. Clients connected before lose their connection; a
// connection opened meanwhile waits in the port's listen queue until the new
// server takes it.
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

var installOnce sync.Map // Version -> *sync.Once

// serverDir returns testdata/node/<v>, installing its pinned packages with
// `npm ci` first if they are missing (a fresh clone).
func serverDir(t testing.TB, v Version) string {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "testdata", "node", string(v))
	once, _ := installOnce.LoadOrStore(v, new(sync.Once))
	var installErr error
	once.(*sync.Once).Do(func() { installErr = ensureInstalled(dir) })
	if installErr != nil {
		t.Fatalf("installing the reference server in %s: %v", dir, installErr)
	}
	return dir
}

// ensureInstalled runs `npm ci` in dir unless node_modules is present. Test
// binaries of several packages run at once, so a file lock serializes them.
func ensureInstalled(dir string) error {
	marker := filepath.Join(dir, "node_modules", "socket.io", "package.json")
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
