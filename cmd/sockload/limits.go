package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/sockload/sockload/engine"
	"github.com/sockload/sockload/phases"
	"github.com/sockload/sockload/scenario"
)

// ephemeralPorts is the number of local ports one source address can use
// towards one target address (ip_local_port_range), or 0 if unknown.
func ephemeralPorts() int {
	data, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(data))
	if len(fields) != 2 {
		return 0
	}
	low, err1 := strconv.Atoi(fields[0])
	high, err2 := strconv.Atoi(fields[1])
	if err1 != nil || err2 != nil || high < low {
		return 0
	}
	return high - low + 1
}

// peakConnections estimates the most connections the run holds at once:
// for each phase, the VUs arriving during one flow's length (or the
// phase's own arrivals, or its maxVusers, whichever is least), times the
// connections a VU opens.
func peakConnections(plan phases.Plan, s *scenario.Script) int64 {
	flow := engine.DefaultGrace(s).Seconds()
	perVU := int64(1)
	for _, sc := range s.Scenarios {
		if sc.SocketIO.ForceNew {
			perVU = 2 // a namespace of its own, at least
		}
	}
	var peak int64
	for _, p := range plan {
		secs := p.Duration.Seconds()
		if secs <= 0 {
			continue
		}
		n := p.ExpectedCount()
		inFlight := int64(min(n, n/secs*flow+1))
		if p.MaxVusers > 0 {
			inFlight = min(inFlight, p.MaxVusers)
		}
		peak = max(peak, inFlight*perVU)
	}
	return peak
}

// capacityWarnings says, with numbers, when the planned concurrency cannot
// fit this process's open-file limit or the local ports of its source
// addresses.
func capacityWarnings(peak int64, openFiles uint64, ports, sources int) []string {
	var out []string
	// Leave room for the process's own files (and a served target's).
	if openFiles > 0 && uint64(peak)+64 > openFiles {
		out = append(out, fmt.Sprintf("about %d connections may be open at once, but this process may open only %d files (ulimit -n): raise the hard limit, or split the run with --shard over more processes or machines", peak, openFiles))
	}
	if sources <= 0 {
		sources = 1
	}
	if ports > 0 && peak > int64(ports*sources) {
		out = append(out, fmt.Sprintf("about %d connections may be open at once, but %d source address(es) give only %d local ports towards one target address: add source addresses (--source-addrs 127.0.0.1-127.0.0.8 or config.socketio.sourceAddresses) or split the run with --shard", peak, sources, ports*sources))
	}
	return out
}
