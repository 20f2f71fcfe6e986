package cluster

import (
	"fmt"
	"net/url"
	"syscall"
	"testing"
)

// Kill ends node i at once with SIGKILL (kill -9), as a node of a
// deployment dies: its clients' connections are reset.
func (c *Cluster) Kill(t testing.TB, i int) {
	t.Helper()
	n := c.Nodes[i]
	if n.cmd.Process != nil {
		_ = syscall.Kill(-n.cmd.Process.Pid, syscall.SIGKILL)
		_ = n.cmd.Wait()
	}
}

// Restart starts node i again on its port, with the adapter if the cluster
// has one (not its drop or relay delay), after Kill.
func (c *Cluster) Restart(t testing.TB, i int) {
	t.Helper()
	n := c.Nodes[i]
	u, err := url.Parse(n.URL)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"server.js", "--port", u.Port(), "--name", n.Name}
	if c.RedisAddr != "" {
		args = append(args, "--redis", "redis://"+c.RedisAddr)
	}
	next := startNode(t, c.dir, n.Name, args)
	if next.URL != n.URL {
		t.Fatal(fmt.Sprintf("node %s restarted on %s, not on its port %s", n.Name, next.URL, n.URL))
	}
	c.Nodes[i] = next
}
