package report

import (
	"bytes"
	"testing"
)

// The results checks give on fixedSnapshot: a threshold that passed, a
// condition that failed and fails the run.
var (
	passedP95 = CheckResult{
		Kind: "threshold", Text: "socketio.response_time.p95 < 200", Where: "test.yml", Strict: true, Passed: true,
		Value: 95.039, Values: []NamedValue{{"socketio.response_time.p95", 95.039}},
	}
	failedStrict = CheckResult{
		Kind: "condition", Text: "vusers.failed == 0", Where: "test.yml", Strict: true,
		Values: []NamedValue{{"vusers.failed", 1}},
	}
)

func TestWriteChecks(t *testing.T) {
	notStrict := failedStrict
	notStrict.Strict = false
	var b bytes.Buffer
	WriteChecks(&b, []CheckResult{passedP95, notStrict, failedStrict})
	golden(t, "checks.golden", b.String())
}
