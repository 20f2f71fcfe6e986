package scenario

import (
	"testing"
	"time"
)

// TestParseDuration checks the forms a duration is written in, those that
// end in a unit read first included, and that reading a think's usual
// "50ms" allocates nothing.
func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		bare    time.Duration
		want    time.Duration
		wantErr bool
	}{
		{"50ms", time.Second, 50 * time.Millisecond, false},
		{" 1.5 hours ", time.Second, 90 * time.Minute, false},
		{"2M", time.Second, 2 * time.Minute, false},
		{"30", time.Second, 30 * time.Second, false},
		{"250", time.Millisecond, 250 * time.Millisecond, false},
		{"1e3", time.Millisecond, time.Second, false},
		{"1m30s", time.Second, 90 * time.Second, false},
		{"-5ms", time.Second, 0, true},
		{"inf", time.Second, 0, true},
		{"nan", time.Second, 0, true},
		{"10 fortnights", time.Second, 0, true},
		{"ms", time.Second, 0, true},
		{"", time.Second, 0, true},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in, tt.bare)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseDuration(%q, %v) = %v, %v; want %v, error %v", tt.in, tt.bare, got, err, tt.want, tt.wantErr)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = ParseDuration("50ms", time.Second) }); n != 0 {
		t.Errorf("ParseDuration(\"50ms\") allocates %v times, want 0", n)
	}
}
