package scenario

import "iter"

// Steps yields every step a VU of the script may run: each scenario's flow
// and onReconnect steps, and the steps inside loops (a loop, then its
// steps), in file order. It is how a consumer finds, say, every event a
// run may time, without knowing which steps hold others.
func (s *Script) Steps() iter.Seq[Step] {
	return func(yield func(Step) bool) {
		var walk func(steps []Step) bool
		walk = func(steps []Step) bool {
			for _, st := range steps {
				if !yield(st) {
					return false
				}
				if loop, ok := st.(*LoopStep); ok && !walk(loop.Steps) {
					return false
				}
			}
			return true
		}
		for _, sc := range s.Scenarios {
			if !walk(sc.Flow) || !walk(sc.OnReconnect) {
				return
			}
		}
	}
}
