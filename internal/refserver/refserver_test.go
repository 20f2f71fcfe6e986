package refserver

import (
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"
)

func TestStartStatsRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run of over a second; go test without -short runs it")
	}
	for _, v := range Versions {
		t.Run(string(v), func(t *testing.T) {
			s := Start(t, v, "--namespaces", "/,/chat")
			if s.Port == 0 {
				t.Fatal("no port")
			}
			if st := s.Stats(); st.Connections != 0 {
				t.Fatalf("fresh server has %d connections", st.Connections)
			}
			port := s.Port
			// Between two server processes the port refuses connections,
			// as a server that is down does, but stays bound: no other
			// process can take it and make the restart fail.
			s.Stop()
			addr := fmt.Sprintf("127.0.0.1:%d", port)
			if c, err := net.Dial("tcp", addr); !errors.Is(err, syscall.ECONNREFUSED) {
				if c != nil {
					c.Close()
				}
				t.Errorf("connecting to the stopped server: %v, want connection refused", err)
			}
			if ln, err := net.Listen("tcp", addr); err == nil {
				ln.Close()
				t.Fatalf("port %d was free while the server was stopped", port)
			}
			s.Restart()
			if s.Port != port {
				t.Fatalf("restart moved the server from port %d to %d", port, s.Port)
			}
			s.Stats()
		})
	}
}
