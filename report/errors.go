package report

import (
	"fmt"
	"io"
	"time"

	"github.com/sockload/sockload/metrics"
)

// maxFirstErrorLines bounds the summary's "First errors" block; the JSON and
// HTML reports hold every sample.
const maxFirstErrorLines = 12

// WriteFirstErrors prints the "First errors" block: for each error code, its
// count and the first distinct messages, with the step, VU and time (from
// the run's start), and what a failed check expected and received.
func WriteFirstErrors(w io.Writer, r *Report) {
	if len(r.FirstErrors) == 0 {
		return
	}
	codes, byCode := metrics.SamplesByCode(r.FirstErrors)
	fmt.Fprintln(w, "First errors:")
	lines := 0
	for _, code := range codes {
		fmt.Fprintf(w, "  %s (%d):\n", code, r.Aggregate.Counters[metrics.ErrorPrefix+code])
		for _, s := range byCode[code] {
			if lines >= maxFirstErrorLines {
				fmt.Fprintln(w, "  ... (every sample is in the JSON report)")
				return
			}
			lines++
			fmt.Fprintf(w, "    %s\n", sampleText(s, r.Run.Start))
			if s.Expected != "" || s.Received != "" {
				fmt.Fprintf(w, "      expected: %s\n      received: %s\n", s.Expected, s.Received)
			}
		}
	}
	fmt.Fprintln(w)
}

// sampleText is one sample on one line: where, who, when, what.
func sampleText(s metrics.ErrorSample, start time.Time) string {
	text := ""
	if s.Step != "" {
		text = s.Step + ": "
	}
	if s.VU > 0 {
		text += fmt.Sprintf("VU %d ", s.VU)
	}
	if !s.At.IsZero() && !start.IsZero() {
		text += fmt.Sprintf("at +%s ", s.At.Sub(start).Round(time.Millisecond))
	}
	return text + s.Message
}

// firstErrorsTable lists the samples in the HTML report.
func firstErrorsTable(r *Report) htmlTable {
	t := htmlTable{Title: "First errors", Head: []string{"code", "step", "VU", "at", "message", "expected", "received"}}
	for _, s := range r.FirstErrors {
		at := ""
		if !s.At.IsZero() && !r.Run.Start.IsZero() {
			at = "+" + s.At.Sub(r.Run.Start).Round(time.Millisecond).String()
		}
		vu := ""
		if s.VU > 0 {
			vu = fmt.Sprint(s.VU)
		}
		t.Rows = append(t.Rows, []htmlCell{cellText(s.Code), cellText(s.Step), cellNum(vu), cellNum(at),
			cellText(s.Message), cellText(s.Expected), cellText(s.Received)})
	}
	return t
}
