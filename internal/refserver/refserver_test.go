package refserver

import (
	"fmt"
	"net"
	"testing"
)

func TestStartStatsRestart(t *testing.T) {
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
			// Between two server processes the port stays taken: no
			// other process can bind it and make the restart fail.
			s.Stop()
			if ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
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
