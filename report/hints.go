package report

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/sockload/sockload/engine"
	"github.com/sockload/sockload/metrics"
)

// errorHints explain the error codes whose cause is usually on the
// generator's machine or in a server setting, with what to do about it.
var errorHints = map[string]string{
	"EADDRNOTAVAIL":           "the generator ran out of local ports: one source address reaches one target address through at most the ephemeral port range (/proc/sys/net/ipv4/ip_local_port_range). Give more source addresses (config.socketio.sourceAddresses or --source-addrs 127.0.0.1-127.0.0.8) or shard the run over more machines.",
	"EMFILE":                  "the generator hit its open-file limit (ulimit -n): every connection is a file. Raise the hard limit, or shard the run over more processes or machines.",
	"ECONNREFUSED":            "nothing accepted connections at the target address: is the server up, and is the target's port right?",
	"ETIMEDOUT":               "connections or handshakes timed out: the target (or its load balancer) is not keeping up, or is unreachable.",
	engine.CodeSessionUnknown: "a server answered 400 {\"code\":1,\"message\":\"Session ID unknown\"}: the requests of one Engine.IO session (long-polling, or its upgrade) reached different backends. Make the load balancer sticky (a cookie, e.g. HAProxy's cookie SERVERID insert, or the client's address), or use transports: [\"websocket\"].",
	"payload too large":       "an emit was larger than the server accepts: raise the server's maxHttpBufferSize (socket.io's option; default 1 MB) or send less.",
}

// WriteErrorHints prints a hint for each error code of snap that has one.
func WriteErrorHints(w io.Writer, snap metrics.Snapshot) {
	var codes []string
	for name, n := range snap.Counters {
		code, ok := strings.CutPrefix(name, engine.MetricErrors)
		if ok && n > 0 && errorHints[code] != "" {
			codes = append(codes, code)
		}
	}
	slices.Sort(codes)
	for _, code := range codes {
		fmt.Fprintf(w, "%s (%d): %s\n", code, snap.Counters[engine.MetricErrors+code], errorHints[code])
	}
}
