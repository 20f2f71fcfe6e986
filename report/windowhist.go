package report

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/sockload/sockload/metrics"
)

// WindowHistograms are a window's latency histograms, in HdrHistogram's
// compressed encoding. A run keeps one window a second for its whole
// length, so they are kept as the encoding's bytes in a short slice, not
// as base64 text in a map: half what a window held that way. In JSON they
// are an object of base64 texts by metric name, as HdrHistogram's tools
// read them.
type WindowHistograms []EncodedHistogram

// EncodedHistogram is one metric's histogram of a window.
type EncodedHistogram struct {
	Metric string
	// Raw is metrics.EncodeHistogramBytes's encoding; nil when the text it
	// was read from was not base64 (Decode says so).
	Raw []byte
}

// Decode returns the histogram.
func (e EncodedHistogram) Decode() (*hdrhistogram.Histogram, error) {
	if e.Raw == nil {
		return nil, fmt.Errorf("%w: not base64", metrics.ErrEncoding)
	}
	return metrics.DecodeHistogramBytes(e.Raw)
}

// Decode returns the histogram of the named metric, or nil when the
// window has none or it does not decode.
func (hs WindowHistograms) Decode(metric string) *hdrhistogram.Histogram {
	for _, e := range hs {
		if e.Metric == metric {
			h, err := e.Decode()
			if err != nil {
				return nil
			}
			return h
		}
	}
	return nil
}

// Has tells whether the window has a histogram of the metric.
func (hs WindowHistograms) Has(metric string) bool {
	return slices.ContainsFunc(hs, func(e EncodedHistogram) bool { return e.Metric == metric })
}

// encodeWindowHistograms encodes those of names that have counts, in the
// order of names.
func encodeWindowHistograms(hists map[string]*hdrhistogram.Histogram, names []string) WindowHistograms {
	var out WindowHistograms
	for _, name := range names {
		h := hists[name]
		if h == nil || h.TotalCount() == 0 {
			continue
		}
		if raw, err := metrics.EncodeHistogramBytes(h); err == nil {
			out = append(out, EncodedHistogram{Metric: name, Raw: raw})
		}
	}
	return out
}

// MarshalJSON writes the object of base64 texts, names sorted.
func (hs WindowHistograms) MarshalJSON() ([]byte, error) {
	texts := make(map[string]string, len(hs))
	for _, e := range hs {
		texts[e.Metric] = base64.StdEncoding.EncodeToString(e.Raw)
	}
	return json.Marshal(texts)
}

// UnmarshalJSON reads the object MarshalJSON writes. A text that is not
// base64 is kept as a histogram that does not decode, as one whose
// encoding is wrong, so that what reads windows decides what it means.
func (hs *WindowHistograms) UnmarshalJSON(b []byte) error {
	var texts map[string]string
	if err := json.Unmarshal(b, &texts); err != nil {
		return err
	}
	out := make(WindowHistograms, 0, len(texts))
	for name, text := range texts {
		raw, err := base64.StdEncoding.DecodeString(text)
		if err != nil {
			raw = nil
		}
		out = append(out, EncodedHistogram{Metric: name, Raw: raw})
	}
	slices.SortFunc(out, func(a, b EncodedHistogram) int { return strings.Compare(a.Metric, b.Metric) })
	*hs = out
	return nil
}
