package main

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/sockload/sockload/engine"
	"github.com/sockload/sockload/phases"
	"github.com/sockload/sockload/scenario"
)

// distribution is how a run is spread out: its share of the plan, the
// instant it starts, and the source addresses its connections come from.
type distribution struct {
	plan       phases.Plan
	shardLabel string // "i/n", or "" for the whole plan
	startAt    time.Time
	dial       func(ctx context.Context, network, addr string) (net.Conn, error)
}

// prepareDistribution applies --solo, --shard, --start-at and
// --source-addrs, raises the open-file limit, and warns when the planned
// concurrency cannot fit this machine's limits.
func prepareDistribution(pio *processIO, s *scenario.Script, f runFlags) (*distribution, error) {
	d := &distribution{plan: engine.PlanOf(s)}
	if f.solo {
		d.plan = phases.Plan{{Name: "solo", Duration: time.Millisecond, ArrivalCount: 1}}
	}
	if f.shard != "" {
		i, n, err := parseShardFlag(f.shard, pio.getenv)
		if err != nil {
			return nil, err
		}
		if d.plan, err = d.plan.Shard(i, n); err != nil {
			return nil, fmt.Errorf("--shard %d/%d: %w", i, n, err)
		}
		d.shardLabel = fmt.Sprintf("%d/%d", i, n)
	}
	if f.startAt != "" {
		t, err := parseStartAt(f.startAt)
		if err != nil {
			return nil, err
		}
		d.startAt = t
	}
	sources := len(s.Config.SocketIO.SourceAddresses)
	if f.sourceAddrs != "" {
		addrs, err := scenario.ParseSourceAddrs(f.sourceAddrs)
		if err != nil {
			return nil, fmt.Errorf("--source-addrs: %w", err)
		}
		d.dial = engine.NewRotatingDialer(addrs).DialContext
		sources = len(addrs)
	}
	openFiles := openFileLimit()
	for _, w := range capacityWarnings(peakConnections(d.plan, s), openFiles, ephemeralPorts(), sources) {
		fmt.Fprintln(pio.stderr, "Warning:", w)
	}
	return d, nil
}

// waitForStart waits for --start-at; false if interrupted meanwhile.
func (d *distribution) waitForStart(ctx context.Context, pio *processIO) bool {
	if d.startAt.IsZero() {
		return true
	}
	wait := time.Until(d.startAt)
	if wait <= 0 {
		fmt.Fprintf(pio.stderr, "Warning: --start-at %s was %s ago; starting now.\n", d.startAt.Format(time.RFC3339), (-wait).Round(time.Millisecond))
		return true
	}
	fmt.Fprintf(pio.stderr, "Waiting %s, until %s, to start.\n", wait.Round(time.Second), d.startAt.Format(time.RFC3339))
	signals, stop := pio.signals()
	defer stop()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-signals:
			cancel()
		case <-ctx.Done():
		}
	}()
	return waitUntil(ctx, d.startAt)
}
