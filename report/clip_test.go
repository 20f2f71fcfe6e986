package report

import (
	"testing"
	"unicode/utf8"
)

func TestClipKeepsWholeCharacters(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"socketio.response_time", 40, "socketio.response_time"},
		{"abcdefghij", 8, "abcde..."},
		{"réponse_temps_été", 8, "répon..."},
		{"応答時間応答時間応答時間", 6, "応答時..."},
		{"😀😀😀😀😀", 4, "😀..."},
		{"😀😀😀😀", 4, "😀😀😀😀"},
	} {
		got := clip(tc.in, tc.n)
		if got != tc.want || !utf8.ValidString(got) {
			t.Errorf("clip(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}
