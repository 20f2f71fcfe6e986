package main

import (
	"context"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/sockload/sockload/phases"
)

// completionIndexEnv is set by Kubernetes in every pod of an Indexed Job:
// the pod's index, from 0.
const completionIndexEnv = "JOB_COMPLETION_INDEX"

// parseShardFlag reads --shard: "i/n" (1 ≤ i ≤ n), or "auto/n", which
// takes i from an Indexed Job's completion index (index + 1).
func parseShardFlag(spec string, getenv func(string) string) (i, n int, err error) {
	if rest, ok := strings.CutPrefix(spec, "auto/"); ok {
		index := getenv(completionIndexEnv)
		if index == "" {
			return 0, 0, fmt.Errorf("--shard %s: %s is not set (it is in the pods of a Kubernetes Indexed Job); give the shard as i/n", spec, completionIndexEnv)
		}
		k, err := strconv.Atoi(index)
		if err != nil || k < 0 {
			return 0, 0, fmt.Errorf("--shard %s: %s=%q is not an index", spec, completionIndexEnv, index)
		}
		spec = strconv.Itoa(k+1) + "/" + rest
	}
	i, n, err = phases.ParseShard(spec)
	if err != nil {
		return 0, 0, fmt.Errorf("--shard %q: %w (write i/n, e.g. 2/3)", spec, err)
	}
	return i, n, nil
}

// runID names a sharded run in its trace tokens, the same in every shard:
// the shards of one run share the shard count, the start time and the
// target, so each times the messages of the others ({{ $trace }}). An
// unsharded run gets a random one (0).
func runID(shard, startAt, target string) uint64 {
	_, n, ok := strings.Cut(shard, "/")
	if !ok || startAt == "" {
		return 0
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%s\x00%s", n, startAt, target)
	return h.Sum64() | 1
}

// parseStartAt reads --start-at: an RFC 3339 time (2026-11-27T16:00:00Z).
func parseStartAt(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--start-at %q: write a time such as %s (RFC 3339)", s, time.Now().UTC().Add(2*time.Minute).Truncate(time.Second).Format(time.RFC3339))
	}
	return t, nil
}

// waitUntil sleeps until t, so that shards on several machines start their
// phases together. It returns false if ctx ended first.
func waitUntil(ctx context.Context, t time.Time) bool {
	wait := time.Until(t)
	if wait <= 0 {
		return true
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}
