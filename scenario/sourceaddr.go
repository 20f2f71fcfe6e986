package scenario

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
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
