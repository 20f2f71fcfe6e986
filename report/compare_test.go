package report

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

func readRecorded(t *testing.T, name string) *Report {
	t.Helper()
	rep, err := ReadJSON("testdata/breaking-" + name + ".json")
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestCompareLoadWithStress compares the recorded load run (A) with the
// recorded stress run of the same target (B).
func TestCompareLoadWithStress(t *testing.T) {
	cmp, err := Compare(readRecorded(t, "load"), readRecorded(t, "stress"), 10)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	cmp.WriteText(&b, "load.json", "stress.json")
	golden(t, "compare-load-stress.golden", b.String())

	if len(cmp.SameRate) == 0 {
		t.Error("no latency at the same offered rate: both runs offered about 12 arrivals/s")
	}
	rows := map[string]CompareRow{}
	for _, r := range cmp.Rows {
		rows[r.Metric] = r
	}
	for metric, want := range map[string]string{
		"socketio.response_time.p99":        "worse",
		"VUs failed (share of created)":     "worse",
		"socketio.emit":                     "",
		"vusers.created":                    "",
		"socketio.response_time.min":        "",
		"errors.Failed match (per 100 VUs)": "worse",
	} {
		if got := rows[metric].Verdict; got != want {
			t.Errorf("%s: verdict %q, want %q", metric, got, want)
		}
	}
}

func TestJudge(t *testing.T) {
	for _, tc := range []struct {
		a, b float64
		dir  direction
		unit string
		want string
	}{
		{100, 120, higherWorse, "ms", "worse"},
		{100, 105, higherWorse, "ms", ""},
		{100, 80, higherWorse, "ms", "better"},
		{0.2, 0.9, higherWorse, "ms", ""}, // sub-millisecond jitter
		{100, 80, lowerWorse, "/s", "worse"},
		{100, 130, lowerWorse, "/s", "better"},
		{0, 5, higherWorse, "%", "worse"},
		{5, 500, neutral, "", ""},
	} {
		if got := judge(tc.a, tc.b, tc.dir, 10, tc.unit); got != tc.want {
			t.Errorf("judge(%v, %v, %v, %q) = %q, want %q", tc.a, tc.b, tc.dir, tc.unit, got, tc.want)
		}
	}
	if r := (CompareRow{A: 0, B: 3}); !math.IsNaN(r.Ratio()) {
		t.Errorf("ratio over zero = %v, want NaN", r.Ratio())
	}
}

func TestCompareHTML(t *testing.T) {
	a, b := readRecorded(t, "load"), hostileReport(t)
	cmp, err := Compare(a, b, 10)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := cmp.WriteHTML(&out, "load.json", `<i>b</i>.json`); err != nil {
		t.Fatal(err)
	}
	page := out.String()
	if strings.Contains(page, "<i>b</i>") || strings.Contains(page, "<script>alert") || strings.Contains(page, "<svg onload") {
		t.Error("a name is not escaped")
	}
	if n := strings.Count(page, "<svg"); n != 4 {
		t.Errorf("%d charts, want 4", n)
	}
	if n := strings.Count(page, `<circle`); n < 20 {
		t.Errorf("%d dots in the rate chart, want one per measured second", n)
	}
	if !strings.Contains(page, `class="num worse"`) {
		t.Error("no regression marked")
	}
}

// TestSameRateWithoutHistograms compares reports whose windows carry no
// histograms (older reports): the medians of the per-second percentiles
// stand in.
func TestSameRateWithoutHistograms(t *testing.T) {
	a, b := readRecorded(t, "load"), readRecorded(t, "stress")
	exact, err := Compare(a, b, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*Report{a, b} {
		for i := range r.Windows {
			r.Windows[i].Histograms = nil
		}
	}
	approx, err := Compare(a, b, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(exact.SameRate) == 0 || len(approx.SameRate) != len(exact.SameRate) {
		t.Fatalf("rows: %d exact, %d approximate", len(exact.SameRate), len(approx.SameRate))
	}
	for i := range exact.SameRate {
		if !exact.SameRate[i].Exact || approx.SameRate[i].Exact {
			t.Errorf("row %d: exact %v and %v", i, exact.SameRate[i].Exact, approx.SameRate[i].Exact)
		}
	}
	var out bytes.Buffer
	approx.WriteText(&out, "a", "b")
	if !strings.Contains(out.String(), "median of the per-second p95 and p99") {
		t.Error("the text does not say the percentiles are medians")
	}
}
