package scenario

import (
	"strings"
	"testing"
)

func TestFailoverOptions(t *testing.T) {
	s := mustLoad(t, head+`
  socketio:
    emitWhileReconnecting: fail
    backend: {cookie: SERVERID}
scenarios:
  - engine: socketio
    onReconnect:
      - emit: ["join", "room"]
        acknowledge: {}
    flow:
      - emit: ["hello"]
  - engine: socketio
    socketio:
      backend: {capture: node}
    flow:
      - emit: ["hello"]
`)
	a, b := s.Scenarios[0], s.Scenarios[1]
	if !a.SocketIO.FailWhileReconnecting || a.SocketIO.Backend.Cookie != "SERVERID" || len(a.OnReconnect) != 1 {
		t.Errorf("first scenario: %+v, onReconnect %d steps", a.SocketIO.Backend, len(a.OnReconnect))
	}
	if b.SocketIO.Backend.Capture != "node" || b.SocketIO.Backend.Cookie != "" || len(b.OnReconnect) != 0 {
		t.Errorf("second scenario's backend %+v", b.SocketIO.Backend)
	}
	if d := mustLoad(t, head+"\nscenarios:\n  - engine: socketio\n    flow:\n      - emit: [\"hello\"]\n").Scenarios[0].SocketIO; d.FailWhileReconnecting || d.Backend.IsSet() {
		t.Errorf("defaults: emits wait, no backend named; got %+v", d)
	}
	for _, tc := range []struct{ socketio, want string }{
		{"emitWhileReconnecting: later", `emitWhileReconnecting is wait or fail, not "later"`},
		{"backend: SERVERID", "backend names one source"},
		{"backend: {query: x}", `backend is read from cookie, header or capture, not "query"`},
		{"backend: {cookie: \"\"}", "backend cookie needs a name"},
	} {
		t.Run(tc.socketio, func(t *testing.T) {
			msg := loadErrors(t, head+"\n  socketio:\n    "+tc.socketio+"\nscenarios:\n  - engine: socketio\n    flow:\n      - emit: [\"hello\"]\n")
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error %q lacks %q", msg, tc.want)
			}
		})
	}
}
