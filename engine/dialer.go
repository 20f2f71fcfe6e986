package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"
	"syscall"
)

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
		d.dialers[i].Control = deferPortChoice
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
