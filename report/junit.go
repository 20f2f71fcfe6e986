package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"time"
)

// JUnitRun names the run in a JUnit file.
type JUnitRun struct {
	// Suite is the test suite's name, e.g. the scenario file.
	Suite    string
	Target   string
	Start    time.Time
	Duration time.Duration
	// Interrupted marks a run stopped before its end (a signal): the file
	// then has an erroring "run completed" case, so that no CI reporter
	// takes the partial run for a whole one.
	Interrupted bool
}

// JUnit XML, as CI systems read it: one test case per check.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the checks' results as a JUnit XML file at path,
// atomically. Each check is a test case named by its text: a strict check
// that failed has a failure element; a check that is not strict and failed
// is skipped with the reason, so a CI reporter shows it without failing
// the build; every case's output says what was measured.
func WriteJUnit(path string, run JUnitRun, results []CheckResult) error {
	return WriteFileAtomic(path, func(w io.Writer) error {
		return EncodeJUnit(w, run, results)
	})
}

// EncodeJUnit writes the JUnit XML of the results to w.
func EncodeJUnit(w io.Writer, run JUnitRun, results []CheckResult) error {
	secs := fmt.Sprintf("%.3f", run.Duration.Seconds())
	suite := junitSuite{Name: run.Suite, Tests: len(results), Time: secs}
	if !run.Start.IsZero() {
		suite.Timestamp = run.Start.UTC().Format("2006-01-02T15:04:05")
	}
	if run.Target != "" {
		suite.Properties = []junitProperty{{Name: "target", Value: run.Target}}
	}
	for _, r := range results {
		c := junitCase{Name: r.Text, Classname: "sockload.ensure." + r.Kind, Time: "0", SystemOut: r.Where + ": " + r.Status() + ": " + r.Measured()}
		msg := &junitMessage{Message: r.Measured(), Type: r.Kind, Text: r.Text + " (" + r.Measured() + ")"}
		if r.StoppedRun {
			msg.Text += fmt.Sprintf("; it stopped the run at %s", r.At.Round(time.Second))
		}
		switch {
		case r.FailsRun():
			c.Failure = msg
			suite.Failures++
		case !r.Passed:
			msg.Message = "failed, but not strict: " + msg.Message
			c.Skipped = msg
			suite.Skipped++
		}
		suite.Cases = append(suite.Cases, c)
	}
	if run.Interrupted {
		suite.Properties = append(suite.Properties, junitProperty{Name: "interrupted", Value: "true"})
		suite.Cases = append(suite.Cases, junitCase{
			Name: "run completed", Classname: "sockload.run", Time: secs,
			Error: &junitMessage{Message: "the run was interrupted", Type: "interrupted",
				Text: "the run was interrupted before its end; the checks judge a partial run"},
		})
		suite.Tests++
		suite.Errors++
	}
	doc := junitSuites{
		Name: "sockload", Tests: suite.Tests, Failures: suite.Failures, Skipped: suite.Skipped,
		Time: secs, Suites: []junitSuite{suite},
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
