package metrics

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Snapshot is the metrics of a span of time: one interval, or the merge of
// several (intervals, shards, machines). It is a plain value; its maps and
// histograms are owned by whoever holds it and are not safe for concurrent
// mutation. Every histogram has the package's geometry (see NewHistogram).
type Snapshot struct {
	// Start and End bound the span: [Start, End).
	Start, End time.Time
	// Counters holds every counter by name.
	Counters map[string]int64
	// Histograms holds, by name, the histograms with at least one value,
	// in microseconds.
	Histograms map[string]*hdrhistogram.Histogram
	// RateOf names the rates to report: rate name → counter name.
	RateOf map[string]string
}

// Duration returns the length of the snapshot's span.
func (s Snapshot) Duration() time.Duration { return s.End.Sub(s.Start) }

// Rate returns the per-second rate of the named counter over the snapshot's
// span, or 0 for an empty span.
func (s Snapshot) Rate(counter string) float64 {
	secs := s.Duration().Seconds()
	if secs <= 0 {
		return 0
	}
	return float64(s.Counters[counter]) / secs
}

// Rates returns the rates named in RateOf.
func (s Snapshot) Rates() map[string]float64 {
	out := make(map[string]float64, len(s.RateOf))
	for name, counter := range s.RateOf {
		out[name] = s.Rate(counter)
	}
	return out
}

// Merge returns the exact merge of the snapshots: the span from the earliest
// start to the latest end (zero times ignored), counters added, histograms
// merged bucket by bucket, rate definitions joined. It does not modify or
// alias its arguments.
func Merge(snaps ...Snapshot) (Snapshot, error) {
	var out Snapshot
	for _, s := range snaps {
		if err := out.Add(s); err != nil {
			return Snapshot{}, err
		}
	}
	return out, nil
}

// Add merges o into s exactly (see Merge). o is not modified or aliased. Add
// fails, leaving s partly merged, when a histogram of o has another geometry
// than the package's.
func (s *Snapshot) Add(o Snapshot) error {
	if !o.Start.IsZero() && (s.Start.IsZero() || o.Start.Before(s.Start)) {
		s.Start = o.Start
	}
	if !o.End.IsZero() && (s.End.IsZero() || o.End.After(s.End)) {
		s.End = o.End
	}
	if s.Counters == nil {
		s.Counters = make(map[string]int64, len(o.Counters))
	}
	for name, v := range o.Counters {
		s.Counters[name] += v
	}
	if s.RateOf == nil {
		s.RateOf = make(map[string]string, len(o.RateOf))
	}
	maps.Copy(s.RateOf, o.RateOf)
	if s.Histograms == nil {
		s.Histograms = make(map[string]*hdrhistogram.Histogram, len(o.Histograms))
	}
	for name, h := range o.Histograms {
		if err := checkGeometry(h); err != nil {
			return fmt.Errorf("merging histogram %q: %w", name, err)
		}
		into := s.Histograms[name]
		if into == nil {
			s.Histograms[name] = h.Clone()
			continue
		}
		if dropped := mergeHistogram(into, h); dropped != 0 {
			return fmt.Errorf("merging histogram %q: %d values dropped", name, dropped)
		}
	}
	return nil
}

// Take merges o into s as Add does, but where s has no histogram of a
// name it takes o's own instead of a copy: s and o then share it, and it
// belongs to s (o must not be changed, nor that histogram given to
// Registry.Release, while s is in use). It returns the histograms of o it
// merged, which are o's alone: once done with o, the caller may give them
// to Registry.Release. Taking saves the copy (about 190 KB) of a
// histogram s will hold for a while, such as an interval's first second.
func (s *Snapshot) Take(o Snapshot) (merged []*hdrhistogram.Histogram, err error) {
	hists := o.Histograms
	o.Histograms = nil
	if err := s.Add(o); err != nil {
		return nil, err
	}
	for name, h := range hists {
		if err := checkGeometry(h); err != nil {
			return merged, fmt.Errorf("merging histogram %q: %w", name, err)
		}
		into := s.Histograms[name]
		if into == nil {
			s.Histograms[name] = h
			continue
		}
		if dropped := mergeHistogram(into, h); dropped != 0 {
			return merged, fmt.Errorf("merging histogram %q: %d values dropped", name, dropped)
		}
		merged = append(merged, h)
	}
	return merged, nil
}

// checkGeometry reports a histogram that cannot merge exactly with the
// package's.
func checkGeometry(h *hdrhistogram.Histogram) error {
	if h.LowestTrackableValue() != LowestValue || h.HighestTrackableValue() != HighestValue ||
		h.SignificantFigures() != SignificantDigits {
		return fmt.Errorf("histogram tracks %d..%d at %d digits, not %d..%d at %d digits; it cannot be merged exactly",
			h.LowestTrackableValue(), h.HighestTrackableValue(), h.SignificantFigures(),
			LowestValue, HighestValue, SignificantDigits)
	}
	return nil
}

// Summary is the statistics of a histogram under Artillery's names, in
// milliseconds (to the microsecond), except Count.
type Summary struct {
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	Count  int64   `json:"count"`
	Mean   float64 `json:"mean"`
	P50    float64 `json:"p50"`
	Median float64 `json:"median"`
	P75    float64 `json:"p75"`
	P90    float64 `json:"p90"`
	P95    float64 `json:"p95"`
	P99    float64 `json:"p99"`
	P999   float64 `json:"p999"`
}

// Summarize returns the summary of a histogram of microseconds.
func Summarize(h *hdrhistogram.Histogram) Summary {
	if h.TotalCount() == 0 {
		return Summary{}
	}
	ms := func(us int64) float64 { return float64(us) / 1000 }
	q := h.ValueAtPercentiles([]float64{50, 75, 90, 95, 99, 99.9})
	lo, hi, mean, ok := extremes(h)
	if !ok {
		lo, hi, mean = h.Min(), h.Max(), h.Mean()
	}
	return Summary{
		Min:    ms(lo),
		Max:    ms(hi),
		Count:  h.TotalCount(),
		Mean:   math.Round(mean) / 1000,
		P50:    ms(q[50]),
		Median: ms(q[50]),
		P75:    ms(q[75]),
		P90:    ms(q[90]),
		P95:    ms(q[95]),
		P99:    ms(q[99]),
		P999:   ms(q[99.9]),
	}
}

// Summaries returns the summary of every histogram of the snapshot.
func (s Snapshot) Summaries() map[string]Summary {
	out := make(map[string]Summary, len(s.Histograms))
	for name, h := range s.Histograms {
		out[name] = Summarize(h)
	}
	return out
}

// snapshotJSON is the JSON form of a Snapshot. Rates and summaries are
// derived, for readers; counters, histograms and rateOf are the exact data
// that UnmarshalJSON reads back.
type snapshotJSON struct {
	Start      time.Time          `json:"start"`
	End        time.Time          `json:"end"`
	Counters   map[string]int64   `json:"counters"`
	Rates      map[string]float64 `json:"rates"`
	RateOf     map[string]string  `json:"rateOf,omitempty"`
	Summaries  map[string]Summary `json:"summaries"`
	Histograms map[string]string  `json:"histograms"`
}

// MarshalJSON writes the snapshot as an object with start, end, counters,
// rates (per second), rateOf, summaries (Artillery's names, in ms) and
// histograms (each in HdrHistogram's compressed encoding, base64).
func (s Snapshot) MarshalJSON() ([]byte, error) {
	j := snapshotJSON{
		Start:      s.Start,
		End:        s.End,
		Counters:   s.Counters,
		Rates:      s.Rates(),
		RateOf:     s.RateOf,
		Summaries:  s.Summaries(),
		Histograms: make(map[string]string, len(s.Histograms)),
	}
	if j.Counters == nil {
		j.Counters = map[string]int64{}
	}
	for name, h := range s.Histograms {
		enc, err := EncodeHistogram(h)
		if err != nil {
			return nil, fmt.Errorf("encoding histogram %q: %w", name, err)
		}
		j.Histograms[name] = enc
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON writes, decoding every histogram with
// DecodeHistogram's checks. Rates and summaries are ignored: they are derived
// from the rest.
func (s *Snapshot) UnmarshalJSON(data []byte) error {
	var j snapshotJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	out := Snapshot{
		Start:      j.Start,
		End:        j.End,
		Counters:   j.Counters,
		Histograms: make(map[string]*hdrhistogram.Histogram, len(j.Histograms)),
		RateOf:     j.RateOf,
	}
	if out.Counters == nil {
		out.Counters = map[string]int64{}
	}
	if out.RateOf == nil {
		out.RateOf = map[string]string{}
	}
	for name, enc := range j.Histograms {
		h, err := DecodeHistogram(enc)
		if err != nil {
			return fmt.Errorf("histogram %q: %w", name, err)
		}
		out.Histograms[name] = h
	}
	*s = out
	return nil
}
