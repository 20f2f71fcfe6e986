// Package checks evaluates a run's pass/fail checks: the scenario's ensure
// block (parsed into scenario.EnsureCheck by package scenario), the
// command line's --threshold and --max-error-rate (ParseThreshold,
// MaxErrorRateCheck). It sits beside report: it reads the run the way
// report summarizes it (report.Window, report.Assess) and gives
// report.CheckResult values, which report prints, writes as JUnit and
// Markdown, and keeps in the JSON report.
//
// A Catalog holds the names a run can produce, declared from the engine's
// catalogue (Catalog.AddMetrics of engine.MetricsFor), the generator's
// figures (GeneratorSource) and any ValueSource (the breaking point); a
// check naming anything else is refused before the run, with the closest
// name. NewGate compiles the checks against it; conditions are expressions
// of the expr language, over metric names written as identifiers
// (socketio.response_time.p99), in brackets (errors["ack timeout"]) or
// through metric("...").
//
// A new metric is declared in the engine's catalogue and is then readable
// here with no change; a value computed from the whole run (like the
// breaking point) is a ValueSource added to the Catalog.
package checks
