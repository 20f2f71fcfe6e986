package report

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/sockload/sockload/engine"
	"github.com/sockload/sockload/metrics"
	"github.com/sockload/sockload/socketio"
)

// Transports is how a run's Engine.IO connections travelled: opened with
// polling or websocket, upgraded from polling or not, and why upgrades
// failed.
type Transports struct {
	OpenedPolling, OpenedWebsocket int64
	Upgraded                       int64
	// StayedPolling are the connections opened with polling that did not
	// upgrade (polling only, an upgrade that failed or never tried).
	StayedPolling int64
	// UpgradeFailed counts the failed upgrades by kind.
	UpgradeFailed map[string]int64
}

// TransportsOf reads the transports of a run from its counters.
func TransportsOf(snap metrics.Snapshot) Transports {
	t := Transports{
		OpenedPolling:   snap.Counters[engine.MetricSessions+socketio.TransportPolling],
		OpenedWebsocket: snap.Counters[engine.MetricSessions+socketio.TransportWebsocket],
		Upgraded:        snap.Counters[engine.MetricUpgrades],
	}
	t.StayedPolling = max(0, t.OpenedPolling-t.Upgraded)
	for name, n := range snap.Counters {
		if kind, ok := strings.CutPrefix(name, engine.MetricUpgradeFailed); ok && n > 0 {
			if t.UpgradeFailed == nil {
				t.UpgradeFailed = map[string]int64{}
			}
			t.UpgradeFailed[kind] = n
		}
	}
	return t
}

func (t Transports) failed() int64 {
	var n int64
	for _, c := range t.UpgradeFailed {
		n += c
	}
	return n
}

// Warning is the summary's warning when upgrades were tried and none
// succeeded: the proxy does not pass the websocket upgrade. "" otherwise.
func (t Transports) Warning() string {
	failed := t.failed()
	if failed == 0 || t.Upgraded > 0 || t.UpgradeFailed[socketio.UpgradeSessionUnknown] == failed {
		// None tried, some passed, or all reached a server without the
		// session: the balancer is not sticky (errors.Session ID unknown
		// says so), not a proxy without websockets.
		return ""
	}
	return fmt.Sprintf("Warning: no connection upgraded to websocket although the upgrade was allowed (%d tried, all failed: %s): "+
		"a proxy or load balancer between sockload and the server does not pass the websocket upgrade (the Upgrade and Connection headers). "+
		"Every VU stayed on long-polling; fix the proxy, or say transports: [\"polling\"] if that is what you mean to test.",
		failed, t.failures())
}

func (t Transports) failures() string {
	kinds := make([]string, 0, len(t.UpgradeFailed))
	for k := range t.UpgradeFailed {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = fmt.Sprintf("%s %d", k, t.UpgradeFailed[k])
	}
	return strings.Join(parts, ", ")
}

// WriteTransports prints one line on the run's transports, and the
// warning when no upgrade succeeded; nothing for a run without connections.
func WriteTransports(w io.Writer, snap metrics.Snapshot) {
	t := TransportsOf(snap)
	if t.OpenedPolling+t.OpenedWebsocket == 0 {
		return
	}
	fmt.Fprint(w, "Transports: ")
	if t.OpenedPolling > 0 {
		fmt.Fprintf(w, "%d connections opened with polling (%d upgraded to websocket, %d stayed on polling)", t.OpenedPolling, t.Upgraded, t.StayedPolling)
		if t.OpenedWebsocket > 0 {
			fmt.Fprint(w, ", ")
		}
	}
	if t.OpenedWebsocket > 0 {
		fmt.Fprintf(w, "%d opened with websocket", t.OpenedWebsocket)
	}
	if n := t.failed(); n > 0 {
		fmt.Fprintf(w, "; %d upgrades failed (%s)", n, t.failures())
	}
	fmt.Fprintln(w, ".")
	if warn := t.Warning(); warn != "" {
		fmt.Fprintln(w, warn)
	}
}
