package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"syscall"
)

// MaxSourceAddrs bounds a source address list, so a typo such as
// 127.0.0.1-127.255.255.255 is an error rather than millions of entries.
const MaxSourceAddrs = 4096

// ParseSourceAddrs parses a list of local IP addresses that new connections
// rotate over, as given in a scenario or on the command line: addresses and
// inclusive ranges separated by commas, e.g. "127.0.0.1-127.0.0.8" or
// "10.0.0.5,10.0.0.6". One source address gives at most one connection per
// ephemeral port to a given target address (28,232 with the default
// ip_local_port_range); n addresses give n times as many.
func ParseSourceAddrs(spec string) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		first, last, isRange := strings.Cut(part, "-")
		from, err := netip.ParseAddr(strings.TrimSpace(first))
		if err != nil {
			return nil, fmt.Errorf("source address %q is not an IP address (write e.g. 127.0.0.1-127.0.0.8)", first)
		}
		to := from
		if isRange {
			if to, err = netip.ParseAddr(strings.TrimSpace(last)); err != nil {
				return nil, fmt.Errorf("source address range %q: %q is not an IP address", part, last)
			}
		}
		if from.Is4() != to.Is4() || to.Less(from) {
			return nil, fmt.Errorf("source address range %q: the range must go up, within one address family", part)
		}
		for a := from; ; a = a.Next() {
			if len(out) == MaxSourceAddrs {
				return nil, fmt.Errorf("source addresses %q: more than %d addresses", spec, MaxSourceAddrs)
			}
			out = append(out, a)
			if a == to {
				break
			}
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no source address given (write e.g. 127.0.0.1-127.0.0.8)")
	}
	return out, nil
}

// RotatingDialer opens each new TCP connection from the next source
// address of its list, round robin, so that one machine can hold more
// connections to one target address than one source address has ephemeral
// ports. It is safe for concurrent use.
type RotatingDialer struct {
	dialers []net.Dialer
	next    atomic.Uint64
}

// NewRotatingDialer returns a dialer over addrs (at least one).
func NewRotatingDialer(addrs []netip.Addr) *RotatingDialer {
	d := &RotatingDialer{dialers: make([]net.Dialer, len(addrs))}
	for i, a := range addrs {
		d.dialers[i].LocalAddr = &net.TCPAddr{IP: a.AsSlice()}
	}
	return d
}

// DialContext dials from the next source address.
func (d *RotatingDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	i := d.next.Add(1) - 1
	dialer := &d.dialers[i%uint64(len(d.dialers))]
	conn, err := dialer.DialContext(ctx, network, addr)
	if err != nil && errors.Is(err, syscall.EADDRNOTAVAIL) {
		return nil, &PortsExhaustedError{Source: dialer.LocalAddr.String(), Sources: len(d.dialers), Err: err}
	}
	return conn, err
}

// PortsExhaustedError is a connection refused by the local system because
// its source address has no ephemeral port left for the target address.
type PortsExhaustedError struct {
	Source  string
	Sources int
	Err     error
}

func (e *PortsExhaustedError) Error() string {
	return fmt.Sprintf("out of local ports on %s (%d source address(es)): each source address reaches one target address through at most the ephemeral port range (/proc/sys/net/ipv4/ip_local_port_range); give more source addresses (config.socketio.sourceAddresses or --source-addrs, e.g. 127.0.0.1-127.0.0.8) or spread the run over shards on more machines (--shard): %v", e.Source, e.Sources, e.Err)
}

func (e *PortsExhaustedError) Unwrap() error { return e.Err }
