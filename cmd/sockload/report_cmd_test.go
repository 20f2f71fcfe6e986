package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	stressReport = "../../report/testdata/breaking-stress.json"
	loadReport   = "../../report/testdata/breaking-load.json"
)

func TestReportCommand(t *testing.T) {
	html := filepath.Join(t.TempDir(), "out.html")
	for _, tc := range []struct {
		name string
		args []string
		code exitCode
		want string
	}{
		{"summary and breaking point", []string{"report", stressReport}, exitOK, "Breaking point: at 27 arrivals/s (≈ 100 emits/s, 28 VUs) from 15s"},
		{"html", []string{"report", stressReport, "--html", html}, exitOK, "HTML report written to " + html},
		{"thresholds from flags", []string{"report", stressReport, "--bp-p99-factor", "0", "--bp-saturation", "0", "--bp-p99", "900ms"}, exitOK, "Breaking point: at 40 arrivals/s (≈ 100 emits/s, 120 VUs) from 22s: errors 13.9% > 5% (Failed match 19); p99 959 ms > 900 ms."},
		{"load run", []string{"report", loadReport}, exitOK, "No breaking point"},
		{"missing file", []string{"report", "no-such.json"}, exitInvalid, ""},
		{"bad flag value", []string{"report", stressReport, "--bp-p99", "fast"}, exitInvalid, ""},
		{"html into a missing directory", []string{"report", stressReport, "--html", "/no/such/dir/out.html"}, exitInvalid, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runInProcess(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %s", code, tc.code, errOut)
			}
			if !strings.Contains(out, tc.want) {
				t.Errorf("output lacks %q:\n%s", tc.want, out)
			}
		})
	}
	if info, err := os.Stat(html); err != nil || info.Size() < 10_000 {
		t.Errorf("the HTML report was not written: %v", err)
	}
}

func TestCompareCommand(t *testing.T) {
	html := filepath.Join(t.TempDir(), "compare.html")
	out, errOut, code := runInProcess(t, "compare", loadReport, stressReport, "--html", html)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"  A: No breaking point",
		"  B: Breaking point: at 27 arrivals/s",
		"Latency at the same offered rate",
		"socketio.response_time.p99",
		"WORSE",
		"HTML comparison written to " + html,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(html); err != nil {
		t.Error(err)
	}
	if _, _, code := runInProcess(t, "compare", loadReport); code != exitInvalid {
		t.Errorf("one report: exit %d, want %d", code, exitInvalid)
	}
	if _, _, code := runInProcess(t, "compare", loadReport, stressReport, "--tolerance", "-1"); code != exitInvalid {
		t.Errorf("negative tolerance: exit %d, want %d", code, exitInvalid)
	}
}
