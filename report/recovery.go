package report

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/sockload/sockload/engine"
	"github.com/sockload/sockload/metrics"
)

// Recovery is one burst of disconnects and how the VUs came back from it.
type Recovery struct {
	// Start is the offset of the burst's first second from the run's
	// first window; End that of its last second's end.
	Start, End float64
	// Disconnects counts the burst's disconnects by reason; Total is
	// their sum.
	Disconnects map[string]int64
	Total       int64
	// Rejoined counts the namespaces joined again from the burst's start
	// until the next burst (socketio.reconnect_time's values).
	Rejoined int64
	// Recovered is the offset of the end of the second in which the last
	// of them rejoined, 0 when not all did.
	Recovered float64
	// P50 and P99 are socketio.reconnect_time over those rejoins, in ms.
	P50, P99 float64
}

// burstGap is how many quiet seconds end a burst of disconnects.
const burstGap = 2

// Recoveries finds the bursts of disconnects in the windows (seconds with
// disconnects, apart by at most burstGap quiet ones) and measures each
// burst's recovery: the rejoins counted from its start until the next
// burst, and when they matched its disconnects.
func Recoveries(ws []Window) []Recovery {
	if len(ws) == 0 {
		return nil
	}
	origin := ws[0].Start
	at := func(i int) float64 { return ws[i].Start.Sub(origin).Seconds() }
	var bursts [][2]int // first and last window of each burst
	for i, w := range ws {
		if len(w.Disconnects) == 0 {
			continue
		}
		if n := len(bursts); n > 0 && i-bursts[n-1][1] <= burstGap+1 {
			bursts[n-1][1] = i
		} else {
			bursts = append(bursts, [2]int{i, i})
		}
	}
	var out []Recovery
	for k, b := range bursts {
		r := Recovery{Start: at(b[0]), End: at(b[1]) + ws[b[1]].Seconds, Disconnects: map[string]int64{}}
		for i := b[0]; i <= b[1]; i++ {
			for reason, n := range ws[i].Disconnects {
				r.Disconnects[reason] += n
				r.Total += n
			}
		}
		until := len(ws)
		if k+1 < len(bursts) {
			until = bursts[k+1][0]
		}
		merged := metrics.NewHistogram()
		for i := b[0]; i < until; i++ {
			h := ws[i].Histograms.Decode(engine.MetricReconnectTime)
			if h == nil {
				continue
			}
			merged.Merge(h)
			if r.Recovered == 0 && merged.TotalCount() >= r.Total {
				r.Recovered = at(i) + ws[i].Seconds
			}
		}
		r.Rejoined = merged.TotalCount()
		if r.Rejoined > 0 {
			r.P50, r.P99 = ms(merged.ValueAtQuantile(50)), ms(merged.ValueAtQuantile(99))
		}
		out = append(out, r)
	}
	return out
}

// WriteRecoveries prints one line per burst of disconnects: when, how
// many by reason, and how long the VUs took to be back.
func WriteRecoveries(w io.Writer, r *Report) {
	ws, _ := r.AnalysisWindows()
	for _, rec := range Recoveries(ws) {
		reasons := make([]string, 0, len(rec.Disconnects))
		for reason := range rec.Disconnects {
			reasons = append(reasons, reason)
		}
		slices.Sort(reasons)
		parts := make([]string, len(reasons))
		for i, reason := range reasons {
			parts[i] = fmt.Sprintf("%s %d", strings.ReplaceAll(reason, "_", " "), rec.Disconnects[reason])
		}
		fmt.Fprintf(w, "Disconnects at %s-%s: %d (%s); ", offset(rec.Start), offset(rec.End), rec.Total, strings.Join(parts, ", "))
		switch {
		case rec.Recovered > 0:
			fmt.Fprintf(w, "all rejoined by %s, %s s after the first", offset(rec.Recovered), twoDigits(rec.Recovered-rec.Start))
		case rec.Rejoined > 0:
			fmt.Fprintf(w, "%d of them rejoined", rec.Rejoined)
		default:
			fmt.Fprint(w, "none rejoined")
		}
		if rec.Rejoined > 0 {
			fmt.Fprintf(w, " (reconnect time p50 %s ms, p99 %s ms)", twoDigits(rec.P50), twoDigits(rec.P99))
		}
		fmt.Fprintln(w, ".")
	}
}
