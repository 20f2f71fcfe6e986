package report

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// junitDoc is the part of a JUnit file CI systems read.
type junitDoc struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Suites   []struct {
		Name      string `xml:"name,attr"`
		Tests     int    `xml:"tests,attr"`
		Failures  int    `xml:"failures,attr"`
		Skipped   int    `xml:"skipped,attr"`
		Timestamp string `xml:"timestamp,attr"`
		Cases     []struct {
			Name    string `xml:"name,attr"`
			Failure *struct {
				Message string `xml:"message,attr"`
			} `xml:"failure"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func TestJUnitParsesBack(t *testing.T) {
	results := []CheckResult{
		passedP95,
		{Kind: "condition", Text: `errors["ack timeout"] == 0 and vusers.created > 5`, Where: "test.yml", Values: []NamedValue{{"errors.ack timeout", 1}, {"vusers.created", 10}}},
		failedStrict,
	}
	path := filepath.Join(t.TempDir(), "junit.xml")
	start := time.Date(2026, 11, 27, 15, 40, 0, 0, time.UTC)
	if err := WriteJUnit(path, JUnitRun{Suite: "ci-gate.yml", Target: "http://127.0.0.1:3000", Start: start, Duration: 10 * time.Second}, results); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc junitDoc
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("the JUnit file does not parse: %v\n%s", err, data)
	}
	if doc.Tests != 3 || doc.Failures != 1 || len(doc.Suites) != 1 {
		t.Fatalf("tests %d failures %d suites %d", doc.Tests, doc.Failures, len(doc.Suites))
	}
	s := doc.Suites[0]
	if s.Name != "ci-gate.yml" || s.Tests != 3 || s.Failures != 1 || s.Skipped != 1 || s.Timestamp != "2026-11-27T15:40:00" || len(s.Cases) != 3 {
		t.Fatalf("suite %+v", s)
	}
	want := []struct {
		name             string
		failure, skipped string
	}{
		{"socketio.response_time.p95 < 200", "", ""},
		{`errors["ack timeout"] == 0 and vusers.created > 5`, "", "failed, but not strict: errors.ack timeout = 1, vusers.created = 10"},
		{"vusers.failed == 0", "vusers.failed = 1", ""},
	}
	for i, w := range want {
		c := s.Cases[i]
		if c.Name != w.name {
			t.Errorf("case %d is %q, want %q", i, c.Name, w.name)
		}
		if (c.Failure == nil) != (w.failure == "") || c.Failure != nil && c.Failure.Message != w.failure {
			t.Errorf("case %q: failure %+v, want %q", c.Name, c.Failure, w.failure)
		}
		if (c.Skipped == nil) != (w.skipped == "") || c.Skipped != nil && c.Skipped.Message != w.skipped {
			t.Errorf("case %q: skipped %+v, want %q", c.Name, c.Skipped, w.skipped)
		}
	}
}
