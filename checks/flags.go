package checks

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/sockload/sockload/scenario"
)

// thresholdFlag is the short form of a command line threshold: a metric
// name, "<" and a number.
var thresholdFlag = regexp.MustCompile(`^\s*([^<>=!()"']+?)\s*<\s*([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*$`)

// ParseThreshold reads a check given on the command line (--threshold):
// "metric.name<limit" is a threshold; anything else is a strict condition
// expression, e.g. "vusers.failed == 0".
func ParseThreshold(s string) (scenario.EnsureCheck, error) {
	if strings.TrimSpace(s) == "" {
		return scenario.EnsureCheck{}, fmt.Errorf(`--threshold is empty: give e.g. "socketio.response_time.p99<500"`)
	}
	if m := thresholdFlag.FindStringSubmatch(s); m != nil {
		limit, err := strconv.ParseFloat(m[2], 64)
		if err == nil && !math.IsInf(limit, 0) {
			c := scenario.ThresholdCheck(m[1], limit)
			c.File = "--threshold"
			return c, nil
		}
	}
	return scenario.EnsureCheck{
		Kind: scenario.EnsureCondition, Expression: s, Text: strings.TrimSpace(s),
		Strict: true, File: "--threshold",
	}, nil
}

// MaxErrorRateCheck is the check of --max-error-rate.
func MaxErrorRateCheck(percent float64) (scenario.EnsureCheck, error) {
	if percent < 0 || math.IsNaN(percent) || math.IsInf(percent, 0) {
		return scenario.EnsureCheck{}, fmt.Errorf("--max-error-rate %v: give a percentage of 0 or more", percent)
	}
	return scenario.EnsureCheck{
		Kind: scenario.EnsureMaxErrorRate, Limit: percent, Strict: true, File: "--max-error-rate",
		Text: scenario.MaxErrorRateText(percent),
	}, nil
}
