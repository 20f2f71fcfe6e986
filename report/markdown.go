package report

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/sockload/sockload/engine"
)

// WriteMarkdown writes a Markdown summary of a run for a CI job's page
// (GitHub's step summary): a heading with the verdict, a table of the
// checks with what they measured, and a table of key metrics.
func WriteMarkdown(w io.Writer, r *Report, results []CheckResult) error {
	var b strings.Builder
	failed := 0
	for _, res := range results {
		if res.FailsRun() {
			failed++
		}
	}
	verdict := "all checks passed"
	switch {
	case len(results) == 0:
		verdict = "no checks"
	case failed > 0:
		verdict = fmt.Sprintf("%d of %d checks failed", failed, len(results))
	}
	fmt.Fprintf(&b, "### sockload: %s — %s\n\n", mdText(r.Scenario), verdict)
	if r.Target != "" {
		fmt.Fprintf(&b, "Target %s, %s", mdCode(r.Target), r.Run.End.Sub(r.Run.Start).Round(time.Millisecond))
		if r.Run.Interrupted {
			b.WriteString(", stopped early")
		}
		b.WriteString(".\n\n")
	}
	if len(results) > 0 {
		b.WriteString("| | check | measured | |\n| --- | --- | --- | --- |\n")
		for _, res := range results {
			mark, note := "✅", ""
			switch {
			case res.FailsRun():
				mark = "❌"
			case !res.Passed:
				mark, note = "⚠️", "not strict"
			}
			if res.StoppedRun {
				note = fmt.Sprintf("stopped the run at %s", res.At.Round(time.Second))
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", mark, mdCode(res.Text), mdText(res.Measured()), note)
		}
		b.WriteString("\n")
	}
	b.WriteString("| metric | value |\n| --- | --: |\n")
	for _, m := range keyMetrics(r) {
		fmt.Fprintf(&b, "| %s | %s |\n", mdCode(m.Name), formatNumber(round3(m.Value)))
	}
	if warn := r.Generator.Warning(); warn != "" {
		fmt.Fprintf(&b, "\n> %s\n", mdText(warn))
	}
	if len(r.FirstErrors) > 0 {
		b.WriteString("\n| first errors | step | message |\n| --- | --- | --- |\n")
		for _, e := range r.FirstErrors {
			msg := e.Message
			if e.Expected != "" || e.Received != "" {
				msg += " (expected " + e.Expected + ", received " + e.Received + ")"
			}
			fmt.Fprintf(&b, "| %s | %s | %s |\n", mdCode(e.Code), mdText(e.Step), mdText(msg))
		}
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// AppendMarkdown appends the Markdown summary to the file at path, as
// GitHub's GITHUB_STEP_SUMMARY expects (other steps may have written to
// it), creating it when needed.
func AppendMarkdown(path string, r *Report, results []CheckResult) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("writing the step summary: %w", err)
	}
	if err := WriteMarkdown(f, r, results); err != nil {
		f.Close()
		return fmt.Errorf("writing the step summary %s: %w", path, err)
	}
	return f.Close()
}

// keyMetrics are the figures a CI reader looks at first.
func keyMetrics(r *Report) []NamedValue {
	agg := r.Aggregate
	out := []NamedValue{}
	for _, name := range []string{engine.MetricVUsersCreated, engine.MetricVUsersCompleted, engine.MetricVUsersFailed, engine.MetricEmit} {
		out = append(out, NamedValue{name, float64(agg.Counters[name])})
	}
	summaries := agg.Summaries()
	for _, name := range []string{engine.MetricResponseTime, engine.MetricConnectTime} {
		if s, ok := summaries[name]; ok && s.Count > 0 {
			out = append(out, NamedValue{name + ".p95", s.P95}, NamedValue{name + ".p99", s.P99})
		}
	}
	var errs []string
	for name, n := range agg.Counters {
		if strings.HasPrefix(name, engine.MetricErrors) && n > 0 {
			errs = append(errs, name)
		}
	}
	sort.Strings(errs)
	for _, name := range errs {
		out = append(out, NamedValue{name, float64(agg.Counters[name])})
	}
	for _, b := range Broadcasts(agg) {
		if b.Event == "" {
			continue
		}
		if b.Reach != nil {
			out = append(out, NamedValue{engine.MetricReach + "." + b.Event, *b.Reach}, NamedValue{engine.MetricMissing + "." + b.Event, float64(b.Missing)})
		}
		if b.DeliveryTime != nil {
			out = append(out, NamedValue{engine.MetricDeliveryTime + "." + b.Event + ".p99", b.DeliveryTime.P99})
		}
	}
	out = append(out, NamedValue{"generator.cpu", 100 * r.Generator.CPU})
	return out
}

// mdText escapes what would break a table cell.
func mdText(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;", ">", "&gt;").Replace(s)
}

// mdCode renders s as inline code in a table cell.
func mdCode(s string) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\n", " "), "|", `\|`)
	if strings.Contains(s, "`") {
		return "``" + s + "``"
	}
	return "`" + s + "`"
}
