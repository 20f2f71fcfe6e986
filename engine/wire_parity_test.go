package engine

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"testing"

	"github.com/sockload/sockload/internal/refserver"
	"github.com/sockload/sockload/scenario"
)

// wireRecord is what the reference server (--record) received for one
// event: its namespace, the packet's JSON ([event, args...]) and whether
// an ack was asked for.
type wireRecord struct {
	Namespace string `json:"namespace"`
	Packet    string `json:"packet"`
	Ack       bool   `json:"ack"`
}

// wireTable is testdata/wire/parity.json, recorded by bench/wire-parity.sh.
type wireTable struct {
	Forms []struct {
		Event      string      `json:"event"`
		Artillery  *wireRecord `json:"artillery"`
		Difference string      `json:"difference"`
	} `json:"forms"`
}

// For every emit form, sockload puts on the wire exactly the packet
// Artillery 2.0.34 with artillery-engine-socketio-v3 1.2.0 sends, as a
// socket.io 4.x server recorded it (bench/wire-parity.sh rewrites the
// table); the one difference on purpose is named in the table.
func TestWireParityWithArtillery(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run against the Node reference server; go test without -short runs it")
	}
	t.Parallel()
	data, err := os.ReadFile("../testdata/wire/parity.json")
	if err != nil {
		t.Fatal(err)
	}
	var table wireTable
	if err := json.Unmarshal(data, &table); err != nil {
		t.Fatalf("testdata/wire/parity.json: %v", err)
	}
	srv := refserver.Start(t, refserver.V4, "--record")
	s, err := scenario.Load("../bench/scenarios/wire-parity.yml", scenario.Options{Overrides: []byte(`{"config":{"target":"` + srv.URL + `"}}`)})
	if err != nil {
		t.Fatal(err)
	}
	_, snap := runScript(t, context.Background(), s)
	expectCounters(t, snap, map[string]int64{MetricVUsersCompleted: 1})

	resp, err := http.Get(srv.URL + "/__received")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var records []wireRecord
	if err := json.NewDecoder(resp.Body).Decode(&records); err != nil {
		t.Fatal(err)
	}
	got := map[string]wireRecord{}
	for _, r := range records {
		var packet []any
		if err := json.Unmarshal([]byte(r.Packet), &packet); err != nil || len(packet) == 0 {
			t.Fatalf("the server recorded %q", r.Packet)
		}
		got[packet[0].(string)] = r
	}
	if len(table.Forms) < 15 || len(got) != len(table.Forms) {
		t.Fatalf("the table has %d forms, sockload sent %d events", len(table.Forms), len(got))
	}
	for _, f := range table.Forms {
		s, a := got[f.Event], f.Artillery
		if a == nil {
			t.Errorf("%s: Artillery sent nothing in the table", f.Event)
			continue
		}
		same := s.Packet == a.Packet && s.Ack == a.Ack && s.Namespace == a.Namespace
		switch {
		case f.Difference == "" && !same:
			t.Errorf("%s: sockload sent %+v, Artillery %+v", f.Event, s, *a)
		case f.Difference != "" && same:
			t.Errorf("%s: the table names a difference (%s), yet sockload now sends what Artillery sends: re-record with bench/wire-parity.sh -update", f.Event, f.Difference)
		}
	}
}
