package report

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// hostileReport is the recorded stress run with names a scenario author or
// a server could choose: markup that must come out as text.
func hostileReport(t *testing.T) *Report {
	t.Helper()
	rep, err := ReadJSON("testdata/breaking-stress.json")
	if err != nil {
		t.Fatal(err)
	}
	rep.Scenario = `<script>alert("scenario")</script>.yml`
	rep.Target = `http://127.0.0.1:1/"><img src=x onerror=alert(1)>`
	rep.Windows[20].Errors = map[string]int64{`<svg onload=alert(2)>`: 3}
	rep.Aggregate.Counters[`errors.<b>bold</b>`] = 3
	rep.Checks = []CheckResult{{Kind: "threshold", Text: `<u>p99</u> < 200`, Strict: true, Value: 1000}}
	return rep
}

func TestHTMLEscapesEveryName(t *testing.T) {
	var b bytes.Buffer
	if err := WriteHTML(&b, hostileReport(t)); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, raw := range []string{`<script>alert`, `<img src=x`, `<svg onload`, `<b>bold</b>`, `<u>p99`} {
		if strings.Contains(page, raw) {
			t.Errorf("the page contains %q unescaped", raw)
		}
	}
	for _, escaped := range []string{`&lt;script&gt;alert(`, `&lt;img src=x onerror=alert(1)&gt;`, `&lt;svg onload=alert(2)&gt;`, `&lt;b&gt;bold&lt;/b&gt;`, `&lt;u&gt;p99&lt;/u&gt; &lt; 200`} {
		if !strings.Contains(page, escaped) {
			t.Errorf("the page lacks %q: a name was dropped rather than escaped", escaped)
		}
	}
}

// TestHTMLIsSelfContained checks that the page loads nothing: no script, no
// stylesheet or image from anywhere, no URL but the SVG namespace and the
// target's (as text).
func TestHTMLIsSelfContained(t *testing.T) {
	rep, err := ReadJSON("testdata/breaking-stress.json")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteHTML(&b, rep); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, banned := range []string{"<script", "<link", "<img", "<iframe", "src=", "href=", "@import", "url("} {
		if strings.Contains(page, banned) {
			t.Errorf("the page contains %q", banned)
		}
	}
	urls := regexp.MustCompile(`https?://[^\s"<]+`).FindAllString(page, -1)
	for _, u := range urls {
		if u != "http://www.w3.org/2000/svg" && !strings.HasPrefix(u, rep.Target) {
			t.Errorf("the page refers to %s", u)
		}
	}
	if n := strings.Count(page, "<svg"); n != 7 {
		t.Errorf("%d charts, want 7", n)
	}
}

// TestHTMLInChromium opens a run's report and a comparison in headless
// Chromium: the charts must be in the rendered DOM, with lines drawn, and
// the console silent. It saves screenshots for a person to look at (kept
// with go test -artifacts).
func TestHTMLInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("a real run of over a second; go test without -short runs it")
	}
	browser := findChromium()
	if browser == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("Chromium is not installed (CI is set): apt-get install -y chromium")
		}
		t.Skip("Chromium is not installed: apt-get install -y chromium to run this test")
	}
	cmp, err := Compare(readRecorded(t, "load"), readRecorded(t, "stress"), 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name          string
		write         func(path string) error
		charts, lines int
		marked        string
	}{
		{"report", func(path string) error { return WriteHTMLFile(path, hostileReport(t)) }, 7, 15, "breaking point"},
		{"compare", func(path string) error { return cmp.WriteHTMLFile(path, "load.json", "stress.json") }, 4, 6, "B broken"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page := filepath.Join(t.TempDir(), tc.name+".html")
			if err := tc.write(page); err != nil {
				t.Fatal(err)
			}
			url := "file://" + page
			dom, stderr := runChromium(t, browser, "--dump-dom", "--enable-logging=stderr", "--v=0", url)
			if n := strings.Count(dom, "<svg"); n != tc.charts {
				t.Errorf("the rendered DOM has %d charts, want %d", n, tc.charts)
			}
			if n := strings.Count(dom, `<path class="series"`); n < tc.lines {
				t.Errorf("the rendered DOM has %d drawn lines, want at least %d", n, tc.lines)
			}
			if !strings.Contains(dom, tc.marked) {
				t.Errorf("%q is not marked", tc.marked)
			}
			for _, line := range strings.Split(stderr, "\n") {
				if strings.Contains(line, "Uncaught") || strings.Contains(line, ":CONSOLE") || strings.Contains(line, "Refused to") {
					t.Errorf("console: %s", line)
				}
			}
			shot := filepath.Join(t.ArtifactDir(), tc.name+".png")
			runChromium(t, browser, "--screenshot="+shot, "--window-size=1200,2000", url)
			if info, err := os.Stat(shot); err != nil || info.Size() < 10_000 {
				t.Errorf("no screenshot at %s (%v)", shot, err)
			} else {
				t.Logf("screenshot: %s", shot)
			}
		})
	}
}

func findChromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	return ""
}

// runChromium runs headless Chromium with a fresh profile, no network
// services and a time limit, and returns its stdout and stderr.
func runChromium(t *testing.T, browser string, args ...string) (stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, browser, append(base, args...)...)
	cmd.Dir = t.TempDir()
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	return out.String(), errOut.String()
}

// TestHTMLOfAReportWithoutWindows draws a report that has only intervals
// (written before windows existed): its intervals stand in for seconds.
func TestHTMLOfAReportWithoutWindows(t *testing.T) {
	snap := fixedSnapshot(t)
	enc, err := json.Marshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	rep := &Report{SchemaVersion: SchemaVersion, Scenario: "old.yml", Aggregate: snap, Intermediate: []json.RawMessage{enc, enc}}
	var b bytes.Buffer
	if err := WriteHTML(&b, rep); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(b.String(), "<path class=\"series\""); n < 5 {
		t.Errorf("%d lines drawn from the intervals, want at least 5", n)
	}
	if rep.BreakingPoint == nil || rep.BreakingPoint.WindowSeconds != 10 {
		t.Errorf("breaking point %+v, want one analysed over 10 s intervals", rep.BreakingPoint)
	}
}
