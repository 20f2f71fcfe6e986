package refserver

import "testing"

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
			s.Restart()
			if s.Port != port {
				t.Fatalf("restart moved the server from port %d to %d", port, s.Port)
			}
			s.Stats()
		})
	}
}
