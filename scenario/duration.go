package scenario

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// durationUnits are the unit words Artillery accepts (through the ms
// package) in durations such as "2m", "500ms", "1.5 hours".
var durationUnits = map[string]time.Duration{
	"ms": time.Millisecond, "msec": time.Millisecond, "msecs": time.Millisecond,
	"millisecond": time.Millisecond, "milliseconds": time.Millisecond,
	"s": time.Second, "sec": time.Second, "secs": time.Second,
	"second": time.Second, "seconds": time.Second,
	"m": time.Minute, "min": time.Minute, "mins": time.Minute,
	"minute": time.Minute, "minutes": time.Minute,
	"h": time.Hour, "hr": time.Hour, "hrs": time.Hour,
	"hour": time.Hour, "hours": time.Hour,
	"d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
}

// maxDuration bounds any duration in a scenario (a week), so that a typo
// like "60000h" is caught rather than scheduled.
const maxDuration = 7 * 24 * time.Hour

// ParseDuration parses a duration as scenario files write them: a number
// (in units of bare, usually time.Second), a number string ("90"), or a
// number with a unit ("500ms", "2m", "1h", "1.5 s", "2 minutes"), or Go's
// own form ("1m30s"). Negative and absurdly long durations are errors.
func ParseDuration(s string, bare time.Duration) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, fmt.Errorf("empty duration: write seconds (30) or a duration (\"500ms\", \"2m\", \"1h\")")
	}
	// A number with a unit ("50ms") is read first when it ends in a
	// letter, which no number ParseFloat reads with a unit after it does:
	// a failed ParseFloat allocates its error, and a think reads its
	// duration at every pass.
	if c := t[len(t)-1]; c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
		if ns, ok := numberWithUnit(t); ok {
			return checkDuration(s, ns)
		}
	}
	if f, err := strconv.ParseFloat(t, 64); err == nil {
		return checkDuration(s, f*float64(bare))
	}
	if ns, ok := numberWithUnit(t); ok {
		return checkDuration(s, ns)
	}
	if d, err := time.ParseDuration(t); err == nil {
		return checkDuration(s, float64(d))
	}
	return 0, fmt.Errorf("%q is not a duration: write seconds (30) or a number with a unit (\"500ms\", \"30s\", \"2m\", \"1h\")", s)
}

// numberWithUnit reads a number followed by a unit of durationUnits
// ("1.5 hours") as nanoseconds.
func numberWithUnit(t string) (float64, bool) {
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.' || t[i] == '-' || t[i] == '+') {
		i++
	}
	if i == 0 {
		return 0, false
	}
	f, err := strconv.ParseFloat(t[:i], 64)
	if err != nil {
		return 0, false
	}
	unit, ok := durationUnits[strings.ToLower(strings.TrimSpace(t[i:]))]
	return f * float64(unit), ok
}

func checkDuration(s string, ns float64) (time.Duration, error) {
	if math.IsNaN(ns) || ns < 0 {
		return 0, fmt.Errorf("%q: a duration cannot be negative", s)
	}
	if ns > float64(maxDuration) {
		return 0, fmt.Errorf("%q is longer than a week; is a unit wrong?", s)
	}
	return time.Duration(ns), nil
}

// ParseLoopCount parses a loop count as Artillery does: a number n runs
// $loopCount 0..n-1; a range "a-b" runs a..b-1; a negative number runs
// forever (To < 0).
func ParseLoopCount(v any) (LoopCount, error) {
	switch x := v.(type) {
	case int64:
		return loopN(float64(x))
	case int:
		return loopN(float64(x))
	case float64:
		return loopN(x)
	case string:
		s := strings.TrimSpace(x)
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return loopN(f)
		}
		if a, b, ok := strings.Cut(s, "-"); ok {
			from, err1 := strconv.Atoi(strings.TrimSpace(a))
			to, err2 := strconv.Atoi(strings.TrimSpace(b))
			if err1 == nil && err2 == nil && from >= 0 && to >= from {
				return LoopCount{From: from, To: to}, nil
			}
		}
		return LoopCount{}, fmt.Errorf("loop count %q is not a number or a range like \"1-15\"", x)
	}
	return LoopCount{}, fmt.Errorf("loop count %v is not a number or a range like \"1-15\"", v)
}

func loopN(f float64) (LoopCount, error) {
	if f != math.Trunc(f) || math.Abs(f) > 1e9 {
		return LoopCount{}, fmt.Errorf("loop count %v is not a whole number", f)
	}
	if f < 0 {
		return LoopCount{To: -1}, nil
	}
	return LoopCount{To: int(f)}, nil
}
