package report

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/sockload/sockload/engine"
	"github.com/sockload/sockload/metrics"
)

// Broadcast is the delivery of traced messages ({{ $trace }}) of one event,
// or of all of them (Event ""): how many recipients were expected, reached,
// missed, reached twice, and the delivery time at the recipients.
type Broadcast struct {
	Event      string `json:"event"`
	Expected   int64  `json:"expected"`
	Delivered  int64  `json:"delivered"`
	Missing    int64  `json:"missing"`
	Duplicates int64  `json:"duplicates"`
	// Reach is 100 × Delivered / Expected; nil when nothing was expected.
	Reach *float64 `json:"reach,omitempty"`
	// DeliveryTime is in milliseconds; nil when no traced event arrived.
	DeliveryTime *metrics.Summary `json:"deliveryTime,omitempty"`
}

// Broadcasts returns the broadcasts of snap: all events first, then each
// event by name. It is empty for a run without traced messages.
func Broadcasts(snap metrics.Snapshot) []Broadcast {
	if _, traced := snap.Counters[engine.MetricExpected]; !traced && snap.Histograms[engine.MetricDeliveryTime] == nil {
		return nil
	}
	events := map[string]bool{}
	for name := range snap.Counters {
		if e, ok := strings.CutPrefix(name, engine.MetricExpected+"."); ok {
			events[e] = true
		}
	}
	for name := range snap.Histograms {
		if e, ok := strings.CutPrefix(name, engine.MetricDeliveryTime+"."); ok {
			events[e] = true
		}
	}
	names := []string{""}
	for e := range events {
		names = append(names, e)
	}
	slices.Sort(names[1:])
	summaries := snap.Summaries()
	out := make([]Broadcast, 0, len(names))
	for _, e := range names {
		suffix := ""
		if e != "" {
			suffix = "." + e
		}
		b := Broadcast{
			Event:      e,
			Expected:   snap.Counters[engine.MetricExpected+suffix],
			Delivered:  snap.Counters[engine.MetricDelivered+suffix],
			Missing:    snap.Counters[engine.MetricMissing+suffix],
			Duplicates: snap.Counters[engine.MetricDuplicates+suffix],
		}
		if b.Expected > 0 {
			r := 100 * float64(b.Delivered) / float64(b.Expected)
			b.Reach = &r
		}
		if s, ok := summaries[engine.MetricDeliveryTime+suffix]; ok && s.Count > 0 {
			b.DeliveryTime = &s
		}
		out = append(out, b)
	}
	return out
}

// WriteBroadcasts prints one line per event of the run's broadcasts: reach,
// delivered of expected, missing, duplicates and delivery time percentiles.
func WriteBroadcasts(w io.Writer, snap metrics.Snapshot) {
	bs := Broadcasts(snap)
	if len(bs) == 0 {
		return
	}
	fmt.Fprintln(w, "Broadcasts (traced messages, at every recipient):")
	for _, b := range bs {
		name := b.Event
		if name == "" {
			name = "all events"
		}
		line := "  " + name + ":"
		if b.Reach != nil {
			line += fmt.Sprintf(" reach %.1f%% (%d of %d), missing %d, duplicates %d;", *b.Reach, b.Delivered, b.Expected, b.Missing, b.Duplicates)
		}
		if d := b.DeliveryTime; d != nil {
			line += fmt.Sprintf(" delivery p50 %s, p95 %s, p99 %s ms (%d receipts)", formatNumber(d.P50), formatNumber(d.P95), formatNumber(d.P99), d.Count)
		}
		fmt.Fprintln(w, strings.TrimSuffix(line, ";"))
	}
	fmt.Fprintln(w)
}

// WriteDeliveryClocks says, for a merge of shards that timed traced
// messages, what their delivery times mean: a message sent and received in
// one process is timed on that process's monotonic clock (exact); one that
// crossed shards is timed with the two machines' wall clocks, so it is as
// good as their clock sync. Receipts stamped before their send show that
// the clocks disagree.
func WriteDeliveryClocks(w io.Writer, snap metrics.Snapshot, shards int) {
	if shards < 2 || snap.Histograms[engine.MetricDeliveryTime] == nil {
		return
	}
	fmt.Fprintln(w, "Delivery times: between VUs of one shard they are read on that process's one monotonic clock (exact);")
	fmt.Fprintln(w, "between VUs of shards on different machines they are wall clock minus wall clock, as good as the")
	fmt.Fprintln(w, "machines' clock sync (NTP: about a millisecond; PTP: microseconds). Reach is counted by each sender's shard.")
	if n := snap.Counters[engine.MetricClockSkewed]; n > 0 {
		fmt.Fprintf(w, "%d receipts were stamped before their send (%s): a machine's clock is ahead; sync the clocks (chrony, ntpd) and run again.\n", n, engine.MetricClockSkewed)
	}
	fmt.Fprintln(w)
}
