// Package report turns a run's metrics into what people and machines read:
// the plain text of intervals and the summary (in Artillery's layout and
// names), the live view's line, the JSON report, the HTML report, JUnit and
// Markdown check results; and it analyzes a run's one-second windows for
// its breaking point and compares two runs. Package checks, beside it,
// evaluates the pass/fail checks whose results (CheckResult) it prints.
//
// Metric names come from the engine (engine.Metric* and engine.Catalogue);
// report never spells one out. A new report section is one function here
// writing from a Report (or its Windows), called where its format is put
// together: WriteSummary for the text, the HTML template data in html.go,
// WriteMarkdown; a new field of the JSON report goes in Report.
package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/sockload/sockload/metrics"
)

// SchemaVersion is the version of the JSON report's layout. It changes when
// a field changes meaning or goes away, not when one is added.
const SchemaVersion = 1

// Report is the JSON report of a run (-o report.json). Aggregate and
// Intermediate carry the exact data (counters and encoded histograms), so
// reports of shards merge exactly.
type Report struct {
	SchemaVersion int    `json:"schemaVersion"`
	Tool          string `json:"tool"`
	// Scenario is the scenario file; Target the server under test.
	Scenario string `json:"scenario"`
	Target   string `json:"target"`
	// Plan lists the phases as run.
	Plan []PlanPhase `json:"plan"`
	Run  RunInfo     `json:"run"`
	// Aggregate is the whole run; Intermediate its intervals in order, each
	// a metrics.Snapshot in its JSON form (see Intervals).
	Aggregate    metrics.Snapshot  `json:"aggregate"`
	Intermediate []json.RawMessage `json:"intermediate"`
	// Windows are the run's seconds, for the breaking-point analysis.
	Windows   []Window  `json:"windows"`
	Generator Generator `json:"generator"`
	// Checks are the results of the run's ensure checks.
	Checks []CheckResult `json:"checks,omitempty"`
	// FirstErrors are the first distinct messages of each error code (see
	// metrics.Registry.Error), in the order they happened.
	FirstErrors []metrics.ErrorSample `json:"firstErrors,omitempty"`
	// Annotations are the markers put on the run's timeline while it ran
	// (POST /annotate with sockload run --listen).
	Annotations []Annotation `json:"annotations,omitempty"`
	// BreakingPoint is the analysis of Windows (see FindBreakingPoint).
	BreakingPoint *BreakingPoint `json:"breakingPoint,omitempty"`
	// Broadcasts are the reach and delivery time of the run's traced
	// messages, per event (see Broadcasts); absent without traces.
	Broadcasts []Broadcast `json:"broadcasts,omitempty"`
}

// PlanPhase describes one phase of the plan.
type PlanPhase struct {
	Name            string  `json:"name,omitempty"`
	Description     string  `json:"description"`
	StartSeconds    float64 `json:"startSeconds"`
	DurationSeconds float64 `json:"durationSeconds"`
	ExpectedArrival float64 `json:"expectedArrivals"`
	MaxVusers       int64   `json:"maxVusers,omitempty"`
}

// RunInfo tells how the run went as a whole.
type RunInfo struct {
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	Interrupted bool      `json:"interrupted"`
	Launched    int64     `json:"launched"`
	Skipped     int64     `json:"skipped"`
	Cancelled   int64     `json:"cancelled"`
	Shard       string    `json:"shard,omitempty"`
	// StoppedBy names the check that stopped the run early, if one did.
	StoppedBy string `json:"stoppedBy,omitempty"`
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// writeAtomic writes data to path through a temporary file in the same
// directory and a rename, so a reader never sees a half-written report and
// an interrupted write leaves the old file (if any) whole.
func writeAtomic(path string, write func(io.Writer) error) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op after the rename
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// WriteJSON writes the report to path atomically.
func (r *Report) WriteJSON(path string) error {
	return WriteFileAtomic(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	})
}

// ReadJSON reads a report written by WriteJSON.
func ReadJSON(path string) (*Report, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Report
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("%s is not a sockload JSON report: %w", path, err)
	}
	if r.SchemaVersion == 0 || r.SchemaVersion > SchemaVersion {
		return nil, fmt.Errorf("%s has report schema version %d; this sockload reads up to %d", path, r.SchemaVersion, SchemaVersion)
	}
	return &r, nil
}

// Intervals decodes the intermediate snapshots.
func (r *Report) Intervals() ([]metrics.Snapshot, error) {
	out := make([]metrics.Snapshot, len(r.Intermediate))
	for i, raw := range r.Intermediate {
		if err := json.Unmarshal(raw, &out[i]); err != nil {
			return nil, fmt.Errorf("interval %d: %w", i, err)
		}
	}
	return out, nil
}
