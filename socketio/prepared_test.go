package socketio

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sockload/sockload/internal/refserver"
)

// TestPreparedManagersHaveTheirOwnConnectionOptions makes Managers of one
// Prepared with different query, headers, auth and callbacks, and checks
// that the server sees each one's own (and the URL's credentials on all)
// and that each callback hears its own connection only.
func TestPreparedManagersHaveTheirOwnConnectionOptions(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Node server; go test without -short runs it")
	}
	srv := refserver.Start(t, refserver.V4)
	target := strings.Replace(srv.URL, "http://", "http://user:secret@", 1)
	p, err := Prepare(target, Options{Transports: []string{TransportWebsocket}, DisableReconnection: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a", "b"} {
		var opened, connected atomic.Int64
		m := p.NewManager(Options{
			Query:        url.Values{"who": {name}},
			ExtraHeaders: http.Header{"X-Who": {name}},
			Auth:         map[string]any{"token": name},
			OnOpen:       func(string, http.Header) { opened.Add(1) },
			OnConnect:    func(string) { connected.Add(1) },
		})
		s := m.Socket("/")
		if err := s.Connect(testContext(t)); err != nil {
			t.Fatal(err)
		}
		hs := ackArgs(t, s, "handshake")[0].(map[string]any)
		query, headers, auth := hs["query"].(map[string]any), hs["headers"].(map[string]any), hs["auth"].(map[string]any)
		if query["who"] != name || headers["x-who"] != name || auth["token"] != name {
			t.Errorf("manager %s: the server saw query %v, headers %v, auth %v", name, query, headers, auth)
		}
		if headers["authorization"] != "Basic dXNlcjpzZWNyZXQ=" {
			t.Errorf("manager %s: authorization %v, want the URL's credentials", name, headers["authorization"])
		}
		if opened.Load() != 1 || connected.Load() != 1 {
			t.Errorf("manager %s: its callbacks heard %d opens and %d connects, want 1 each", name, opened.Load(), connected.Load())
		}
		m.Close()
	}
}

// TestConfigShadowsEveryConnectionOption checks that config has a field of
// its own for every callback of Options, and that clearConnection clears
// every field config shadows, so that a per-connection field added to one
// and not the other shows.
func TestConfigShadowsEveryConnectionOption(t *testing.T) {
	cfg := reflect.TypeFor[config]()
	var o Options
	fields := reflect.ValueOf(&o).Elem()
	var shadowed []string
	for i := range fields.NumField() {
		f := fields.Type().Field(i)
		own, ok := cfg.FieldByName(f.Name)
		ok = ok && len(own.Index) == 1
		if f.Type.Kind() == reflect.Func && f.Name != "DialContext" && !ok {
			t.Errorf("callback Options.%s is not one of config's own fields", f.Name)
		}
		if !ok {
			continue
		}
		shadowed = append(shadowed, f.Name)
		switch f.Type.Kind() {
		case reflect.Func:
			fields.Field(i).Set(reflect.MakeFunc(f.Type, func([]reflect.Value) []reflect.Value { return nil }))
		case reflect.Map:
			fields.Field(i).Set(reflect.MakeMap(f.Type))
		case reflect.Interface:
			fields.Field(i).Set(reflect.ValueOf(NewJar()))
		default:
			t.Fatalf("Options.%s: a %v is not expected among the per-connection fields", f.Name, f.Type)
		}
	}
	o.clearConnection()
	for _, name := range shadowed {
		if !fields.FieldByName(name).IsZero() {
			t.Errorf("clearConnection leaves Options.%s, which config has of its own", name)
		}
	}
}
