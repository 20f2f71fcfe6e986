package metrics

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestErrorCodesAreBoundedAndSamplesDistinct(t *testing.T) {
	start := time.Unix(1000, 0)
	tests := []struct {
		name        string
		record      func(r *Registry)
		wantCodes   int
		wantSamples map[string]int
		wantCount   map[string]int64
	}{
		{
			name: "one code, a message per connection",
			record: func(r *Registry) {
				for i := range 50 {
					r.Error("connect_error", ErrorSample{Message: fmt.Sprintf("session %d refused", i)})
				}
			},
			wantCodes:   1,
			wantSamples: map[string]int{"connect_error": SamplesPerCode},
			wantCount:   map[string]int64{"errors.connect_error": 50},
		},
		{
			name: "the same message is kept once",
			record: func(r *Registry) {
				for range 5 {
					r.Error("ack timeout", ErrorSample{Message: "no ack"})
				}
				r.Error("ack timeout", ErrorSample{Message: "no ack either"})
			},
			wantCodes:   1,
			wantSamples: map[string]int{"ack timeout": 2},
			wantCount:   map[string]int64{"errors.ack timeout": 6},
		},
		{
			name: "codes past the cap are other",
			record: func(r *Registry) {
				for i := range MaxErrorCodes + 10 {
					r.Error(fmt.Sprintf("code%d", i), ErrorSample{Message: "m"})
				}
			},
			wantCodes:   MaxErrorCodes + 1,
			wantSamples: map[string]int{"code0": 1, OtherErrorCode: SamplesPerCode},
			wantCount:   map[string]int64{"errors.code0": 1, "errors.other": 10},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New(start, Options{})
			tt.record(r)
			snap := r.Rotate(start.Add(time.Second))
			codes := 0
			for name := range snap.Counters {
				if strings.HasPrefix(name, ErrorPrefix) {
					codes++
				}
			}
			if codes != tt.wantCodes {
				t.Errorf("%d error counters, want %d", codes, tt.wantCodes)
			}
			for name, n := range tt.wantCount {
				if snap.Counters[name] != n {
					t.Errorf("%s = %d, want %d", name, snap.Counters[name], n)
				}
			}
			_, byCode := SamplesByCode(r.ErrorSamples())
			for code, n := range tt.wantSamples {
				if len(byCode[code]) != n {
					t.Errorf("%d samples of %s, want %d: %v", len(byCode[code]), code, n, byCode[code])
				}
			}
		})
	}
}

func TestMergeErrorSamplesKeepsTheFirstPerCode(t *testing.T) {
	at := func(s int) time.Time { return time.Unix(int64(s), 0) }
	a := []ErrorSample{{Code: "x", Message: "1", At: at(1)}, {Code: "x", Message: "3", At: at(3)}, {Code: "y", Message: "y", At: at(9)}}
	b := []ErrorSample{{Code: "x", Message: "2", At: at(2)}, {Code: "x", Message: "1", At: at(4)}, {Code: "x", Message: "0", At: at(0)}}
	got := MergeErrorSamples(a, b)
	var text []string
	for _, s := range got {
		text = append(text, s.Code+s.Message)
	}
	if want := "x0 x1 x2 yy"; strings.Join(text, " ") != want {
		t.Errorf("merged %v, want %s", text, want)
	}
}

func TestCutKeepsRunes(t *testing.T) {
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{{"abc", 5, "abc"}, {"abcdef", 3, "abc…"}, {"aé", 2, "a…"}} {
		if got := Cut(tt.in, tt.n); got != tt.want {
			t.Errorf("Cut(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
