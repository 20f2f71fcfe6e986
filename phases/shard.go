package phases

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MaxShards is the largest number of shards a plan can be split into.
const MaxShards = 100000

// ErrShard is wrapped by every error about a shard specification.
var ErrShard = errors.New("invalid shard")

// Shard returns the part of the plan that shard i of n runs, i counted from
// 1 (as in "--shard 2/3"). The n shards together are exactly the whole plan:
//
//   - every phase keeps its duration, so shards stay phase-aligned;
//   - shard i keeps the arrivals of each phase whose index k in the whole
//     phase has k ≡ i−1 (mod n), so the union of the shards' instants is the
//     whole plan's (for Poisson phases, when every shard uses the same seed);
//   - ArrivalRate and RampTo are divided by n (they describe the shard's
//     share; its instants are still computed from the whole phase's rates);
//   - ArrivalCount and MaxVusers are split into integer shares that add up
//     to the whole, the first (total mod n) shards taking one more.
//
// Shard fails when i or n is out of range, when the plan is invalid or
// already a shard, or when a phase's MaxVusers is positive but smaller than
// n (a share of 0 would mean no cap).
func (p Plan) Shard(i, n int) (Plan, error) {
	if n < 1 || n > MaxShards || i < 1 || i > n {
		return nil, fmt.Errorf("%w: shard %d/%d; give i/n with 1 ≤ i ≤ n ≤ %d", ErrShard, i, n, MaxShards)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	out := make(Plan, len(p))
	for j, ph := range p {
		if ph.part.count > 0 {
			return nil, fmt.Errorf("%w: the plan is already shard %d/%d; split the whole plan instead", ErrShard, ph.part.index+1, ph.part.count)
		}
		if ph.MaxVusers > 0 && ph.MaxVusers < int64(n) {
			err := fmt.Errorf("%w: maxVusers %d cannot be split across %d shards; raise it to at least %d or use fewer shards", ErrShard, ph.MaxVusers, n, n)
			return nil, &PhaseError{Index: j, Name: ph.Name, Err: err}
		}
		out[j] = ph.shard(i-1, n)
	}
	return out, nil
}

// shard returns share index (0-based) of n of a valid, whole phase.
func (p Phase) shard(index, n int) Phase {
	s := p
	s.part = part{index: index, count: n, rate: p.ArrivalRate, rampTo: p.RampTo, arrivals: p.ArrivalCount}
	s.ArrivalRate = p.ArrivalRate / float64(n)
	s.RampTo = p.RampTo / float64(n)
	s.ArrivalCount = shareOf(p.ArrivalCount, index, n)
	s.MaxVusers = shareOf(p.MaxVusers, index, n)
	return s
}

// ShardOf returns which shard of a split plan the phase belongs to (1-based)
// and into how many shards the plan was split; 1, 1 for a whole phase.
func (p Phase) ShardOf() (i, n int) {
	if p.part.count == 0 {
		return 1, 1
	}
	return p.part.index + 1, p.part.count
}

// ParseShard parses a shard specification "i/n" as given to --shard, with
// 1 ≤ i ≤ n ≤ MaxShards.
func ParseShard(s string) (i, n int, err error) {
	is, ns, ok := strings.Cut(strings.TrimSpace(s), "/")
	if ok {
		i, err = strconv.Atoi(strings.TrimSpace(is))
		if err == nil {
			n, err = strconv.Atoi(strings.TrimSpace(ns))
		}
	}
	if !ok || err != nil || n < 1 || n > MaxShards || i < 1 || i > n {
		return 0, 0, fmt.Errorf("%w: %q; write i/n with 1 ≤ i ≤ n ≤ %d, e.g. 2/3 for the second of three machines", ErrShard, s, MaxShards)
	}
	return i, n, nil
}
