package target

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/sockload/sockload/socketio/wire"
)

// TestOfficialClients runs the official socket.io-client against the
// target: 4.x (pinned in testdata/node-client-v4) in Engine.IO v4 mode and
// 2.x (installed beside the socket.io 2.x reference server) in Engine.IO v3
// mode. The Node packages stay the authority on the protocol.
func TestOfficialClients(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run of over a second; go test without -short runs it")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("Node.js is not installed")
	}
	clients := []struct {
		v   wire.EngineVersion
		dir string // holds node_modules/socket.io-client
	}{
		{wire.EngineV4, "testdata/node-client-v4"},
		{wire.EngineV3, "../testdata/node/v2"},
	}
	for _, c := range clients {
		client := installedClient(t, c.dir)
		for _, transports := range []string{"websocket", "polling", "polling,websocket"} {
			t.Run(fmt.Sprintf("EIO%d/%s", c.v, transports), func(t *testing.T) {
				srv := startServer(t, Config{EngineVersion: c.v})
				ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
				defer cancel()
				cmd := exec.CommandContext(ctx, node, "testdata/client.js", srv.URL(), transports)
				cmd.Env = append(os.Environ(), "SOCKET_IO_CLIENT="+client)
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("socket.io-client: %v\n%s", err, out)
				}
			})
		}
	}
}

// installedClient returns the absolute path of dir's socket.io-client,
// installing dir's pinned packages with `npm ci` when they are missing.
func installedClient(t *testing.T, dir string) string {
	t.Helper()
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	client := filepath.Join(abs, "node_modules", "socket.io-client")
	installed := func() bool {
		_, err := os.Stat(filepath.Join(client, "package.json"))
		return err == nil
	}
	if installed() {
		return client
	}
	if _, err := os.Stat(filepath.Join(abs, "package-lock.json")); err != nil {
		t.Fatalf("no lockfile in %s: %v", abs, err)
	}
	// Test binaries of several packages run at once and the reference
	// server's installer may be filling the same directory: take the lock
	// file it takes (internal/refserver), then look again.
	lock, err := os.OpenFile(filepath.Join(abs, ".install.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if installed() {
		return client
	}
	cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
	cmd.Dir = abs
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("installing socket.io-client in %s failed (offline?): %v\n%s", abs, err, out)
	}
	return client
}
