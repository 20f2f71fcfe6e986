package scenario

import (
	"strings"
	"testing"
)

func TestParseSourceAddrs(t *testing.T) {
	tests := []struct {
		spec    string
		want    []string
		wantErr string
	}{
		{spec: "127.0.0.1", want: []string{"127.0.0.1"}},
		{spec: "127.0.0.1-127.0.0.3", want: []string{"127.0.0.1", "127.0.0.2", "127.0.0.3"}},
		{spec: "127.0.0.9, 127.0.1.254-127.0.2.1", want: []string{"127.0.0.9", "127.0.1.254", "127.0.1.255", "127.0.2.0", "127.0.2.1"}},
		{spec: "::1", want: []string{"::1"}},
		{spec: "", wantErr: "no source address"},
		{spec: "localhost", wantErr: "not an IP address"},
		{spec: "127.0.0.5-127.0.0.1", wantErr: "must go up"},
		{spec: "127.0.0.1-::1", wantErr: "one address family"},
		{spec: "10.0.0.0-10.255.255.255", wantErr: "more than 4096"},
	}
	for _, tt := range tests {
		got, err := ParseSourceAddrs(tt.spec)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%q: error %v, want one saying %q", tt.spec, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.spec, err)
			continue
		}
		var s []string
		for _, a := range got {
			s = append(s, a.String())
		}
		if strings.Join(s, ",") != strings.Join(tt.want, ",") {
			t.Errorf("%q gives %v, want %v", tt.spec, s, tt.want)
		}
	}
}

func FuzzParseSourceAddrs(f *testing.F) {
	for _, seed := range []string{"127.0.0.1", "127.0.0.1-127.0.0.8", "::1-::5", "1.2.3.4,5.6.7.8", "-", ",,", "127.0.0.1-"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		addrs, err := ParseSourceAddrs(spec)
		if err == nil && (len(addrs) == 0 || len(addrs) > MaxSourceAddrs) {
			t.Fatalf("%q: %d addresses without an error", spec, len(addrs))
		}
	})
}

func TestSourceAddressesInTheScenario(t *testing.T) {
	s := mustLoad(t, `
config:
  target: "http://127.0.0.1:3000"
  phases: [{duration: 1, arrivalRate: 1}]
  socketio:
    sourceAddresses: ["127.0.0.1-127.0.0.3", "127.0.0.9"]
scenarios:
  - flow: [{think: 1}]
`)
	if got := len(s.Config.SocketIO.SourceAddresses); got != 4 {
		t.Errorf("%d source addresses, want 4", got)
	}
}
