package engine

import (
	"time"

	"github.com/sockload/sockload/scenario"
	"github.com/sockload/sockload/socketio"
)

// tracedEmit is an emit step whose payload is being rendered: the
// {{ $trace }} tokens rendered meanwhile are followed for its group.
type tracedEmit struct {
	event         string
	group         string
	includeSender bool
	ids           []uint64 // followed messages, forgotten if the emit fails
}

// beginTraced prepares the rendering of a traced emit's payload.
func (v *vu) beginTraced(st *scenario.EmitStep, event string) *tracedEmit {
	if v.r.traces == nil || !st.Traced() {
		return nil
	}
	te := &tracedEmit{event: event, includeSender: st.IncludeSender}
	if st.To != nil {
		te.group = scenario.RenderString(st.To, v.tctx)
	}
	v.emitting = te
	return te
}

// endTraced ends the rendering; a failed emit's messages were never sent.
func (v *vu) endTraced(te *tracedEmit, sent bool) {
	if te == nil {
		return
	}
	v.emitting = nil
	if !sent {
		for _, id := range te.ids {
			v.r.traces.forget(id)
		}
	}
}

// renderTrace is the VU's {{ $trace }}: a new token, whose message is
// followed when it is rendered into an emit meant for a group.
func (v *vu) renderTrace() string {
	t := v.r.traces
	tok := t.newToken(time.Now())
	if te := v.emitting; te != nil && te.group != "" {
		exclude := v.id
		if te.includeSender {
			exclude = 0
		}
		if t.follow(tok, v.r.deliveries.delivery(te.event), v.r.groups.snapshot(te.group, exclude)) {
			te.ids = append(te.ids, tok.id)
		} else {
			v.r.unfollowed.Inc()
		}
	}
	return string(appendTrace(make([]byte, 0, traceLen), tok))
}

// traceReceived records the delivery of a traced event to this VU: its
// delivery time, and for a message of this process, its reach.
func (v *vu) traceReceived(msg socketio.Message) {
	t := v.r.traces
	tok, ok := findTrace(msg.Raw())
	if !ok || tok.run != t.run {
		return
	}
	ev := v.r.deliveries.delivery(msg.Event)
	d := time.Duration(t.now(msg.ReceivedAt) - tok.sent)
	if d < 0 {
		t.skewed.Inc()
	} else {
		d = max(d, time.Microsecond)
		v.rec.Record(t.total.delivery, d)
		if ev != nil {
			v.rec.Record(ev.delivery, d)
		}
	}
	if uint32(tok.id>>32) != t.tag {
		return // another shard's message: its own process follows its reach
	}
	if t.deliver(tok.id, v.id) == deliveredLate {
		t.late.Inc()
	}
}
