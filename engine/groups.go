package engine

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// groups holds which VUs belong to which group (a room they joined), so a
// traced emit knows whom it is meant for at send time. Safe for concurrent
// use.
type groups struct {
	mu      sync.RWMutex
	members map[string]map[uint64]*membership
}

// membership is one VU in one group. left is set (nanoseconds on the
// trace clock) when the VU leaves the group, drops its connection or ends;
// a traced message it had not received by then is no longer expected.
type membership struct {
	vu   uint64
	left atomic.Int64
}

func newGroups() *groups {
	return &groups{members: map[string]map[uint64]*membership{}}
}

// join makes vu a member of group, returning its membership (the current
// one when it is a member already).
func (g *groups) join(group string, vu uint64) *membership {
	g.mu.Lock()
	defer g.mu.Unlock()
	m := g.members[group]
	if m == nil {
		m = map[uint64]*membership{}
		g.members[group] = m
	}
	if ms, ok := m[vu]; ok {
		return ms
	}
	ms := &membership{vu: vu}
	m[vu] = ms
	return ms
}

// leave ends vu's membership of group at now.
func (g *groups) leave(group string, vu uint64, now int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	m := g.members[group]
	ms, ok := m[vu]
	if !ok {
		return
	}
	ms.left.Store(max(now, 1))
	delete(m, vu)
	if len(m) == 0 {
		delete(g.members, group)
	}
}

// snapshot returns the members of group now, sorted by VU id, without
// exclude (the sender of a socket.to(room) broadcast; 0 excludes no one).
func (g *groups) snapshot(group string, exclude uint64) []*membership {
	g.mu.RLock()
	m := g.members[group]
	out := make([]*membership, 0, len(m))
	for id, ms := range m {
		if id != exclude {
			out = append(out, ms)
		}
	}
	g.mu.RUnlock()
	slices.SortFunc(out, func(a, b *membership) int {
		switch {
		case a.vu < b.vu:
			return -1
		case a.vu > b.vu:
			return 1
		}
		return 0
	})
	return out
}

// vuGroups are the groups one VU is in. Its connection's disconnect
// callback runs on another goroutine than the VU, hence the lock.
type vuGroups struct {
	mu    sync.Mutex
	names []string
}

func (v *vu) joinGroup(group string) {
	g := v.r.groups
	if g == nil || group == "" {
		return
	}
	v.memberOf.mu.Lock()
	defer v.memberOf.mu.Unlock()
	if !slices.Contains(v.memberOf.names, group) {
		v.memberOf.names = append(v.memberOf.names, group)
	}
	g.join(group, v.id)
}

func (v *vu) leaveGroup(group string) {
	g := v.r.groups
	if g == nil {
		return
	}
	v.memberOf.mu.Lock()
	defer v.memberOf.mu.Unlock()
	v.memberOf.names = slices.DeleteFunc(v.memberOf.names, func(n string) bool { return n == group })
	g.leave(group, v.id, v.r.traces.now(time.Now()))
}

// leaveGroups ends every membership of the VU: its connection dropped, or
// it ended. A reconnected VU is a member again only once it joins again.
func (v *vu) leaveGroups() {
	g := v.r.groups
	if g == nil {
		return
	}
	v.memberOf.mu.Lock()
	defer v.memberOf.mu.Unlock()
	now := v.r.traces.now(time.Now())
	for _, name := range v.memberOf.names {
		g.leave(name, v.id, now)
	}
	v.memberOf.names = nil
}
