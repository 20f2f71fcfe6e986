package scenario

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// BreakingPoint holds config.plugins.breakingPoint: the thresholds of the
// breaking-point analysis that the file sets. A nil field is not set, and
// keeps the analysis's default (or the command line's).
type BreakingPoint struct {
	// Sustain is how long a limit must be broken; Baseline how much of the
	// run's start is its baseline.
	Sustain, Baseline *time.Duration
	// P99 and ConnectP99 are absolute limits; P99Floor and ConnectFloor
	// the lowest the relative limits go.
	P99, P99Floor, ConnectP99, ConnectFloor *time.Duration
	// MaxErrorRate and Saturation are percentages; P99Factor and
	// ConnectFactor multiples of the baseline.
	MaxErrorRate, P99Factor, ConnectFactor, Saturation *float64
	// DeliveryP99 is an absolute limit on the delivery time of traced
	// messages; MinReach the lowest reach (percent) a second may have.
	DeliveryP99 *time.Duration
	MinReach    *float64
}

// breakingPointKey is the place of the thresholds: config.plugins.breakingPoint.
const breakingPointKey = "breakingPoint"

// breakingPointFields maps each key of config.plugins.breakingPoint to its
// field, in the order the hint lists them; unit is the unit of a bare
// number for a duration, 0 for a plain number.
func (bp *BreakingPoint) fields() []struct {
	key      string
	duration **time.Duration
	number   **float64
	unit     time.Duration
} {
	type field = struct {
		key      string
		duration **time.Duration
		number   **float64
		unit     time.Duration
	}
	return []field{
		{"sustain", &bp.Sustain, nil, time.Second},
		{"maxErrorRate", nil, &bp.MaxErrorRate, 0},
		{"p99", &bp.P99, nil, time.Millisecond},
		{"p99Factor", nil, &bp.P99Factor, 0},
		{"p99Floor", &bp.P99Floor, nil, time.Millisecond},
		{"connectP99", &bp.ConnectP99, nil, time.Millisecond},
		{"connectFactor", nil, &bp.ConnectFactor, 0},
		{"connectFloor", &bp.ConnectFloor, nil, time.Millisecond},
		{"saturation", nil, &bp.Saturation, 0},
		{"baseline", &bp.Baseline, nil, time.Second},
		{"deliveryP99", &bp.DeliveryP99, nil, time.Millisecond},
		{"minReach", nil, &bp.MinReach, 0},
	}
}

// breakingPoint reads config.plugins.breakingPoint. Latencies are
// milliseconds or durations ("500ms"), sustain and baseline seconds or
// durations ("3s"), in the one grammar of the file's durations; rates are
// percentages (5 or "5%").
func (d *decoder) breakingPoint(plugins *Data) BreakingPoint {
	var bp BreakingPoint
	v := plugins.Get(breakingPointKey)
	if v == nil || v.Kind == DataNull {
		return bp
	}
	where := "config.plugins." + breakingPointKey
	if v.Kind != DataMap {
		d.ds.add(SeverityError, d.file, v.Pos, "e.g. breakingPoint: {p99: 500, maxErrorRate: 1}", "%s must be a mapping of thresholds", where)
		return bp
	}
	fields := bp.fields()
	keys := make([]string, len(fields))
	for i, f := range fields {
		keys[i] = f.key
	}
	for i, key := range v.Keys {
		val := v.Values[i]
		j := -1
		for k, f := range fields {
			if f.key == key {
				j = k
			}
		}
		if j < 0 {
			hint := "use one of " + strings.Join(keys, ", ")
			if near := closest(key, keys); near != "" {
				hint = fmt.Sprintf("did you mean %q? (%s)", near, hint)
			}
			d.ds.add(SeverityError, d.file, val.Pos, hint, "%s.%s is not a threshold", where, key)
			continue
		}
		f := fields[j]
		if f.duration != nil {
			dur, err := thresholdDuration(val, f.unit)
			if err != nil {
				d.ds.add(SeverityError, d.file, val.Pos, "", "%s.%s: %v", where, key, err)
				continue
			}
			*f.duration = &dur
			continue
		}
		n, err := percentOrNumber(val)
		if err != nil {
			d.ds.add(SeverityError, d.file, val.Pos, "", "%s.%s: %v", where, key, err)
			continue
		}
		*f.number = &n
	}
	return bp
}

func thresholdDuration(v *Data, unit time.Duration) (time.Duration, error) {
	if v.Kind != DataScalar {
		return 0, fmt.Errorf("give a number of %s or a duration", unitName(unit))
	}
	if _, isBool := v.Scalar.(bool); isBool {
		return 0, fmt.Errorf("give a number of %s or a duration", unitName(unit))
	}
	return dataDuration(v, unit)
}

// percentOrNumber reads a non-negative number; a string may end in "%".
func percentOrNumber(v *Data) (float64, error) {
	var n float64
	switch x := v.Scalar.(type) {
	case int64:
		n = float64(x)
	case float64:
		n = x
	case string:
		f, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(x), "%"), 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a number", x)
		}
		n = f
	default:
		return 0, fmt.Errorf("give a number")
	}
	if n < 0 || math.IsNaN(n) || math.IsInf(n, 0) {
		return 0, fmt.Errorf("%v is negative; give zero (off) or more", n)
	}
	return n, nil
}

func unitName(unit time.Duration) string {
	if unit == time.Second {
		return "seconds"
	}
	return "milliseconds"
}
