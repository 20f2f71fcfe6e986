// Package docs holds the user reference, in Markdown. Its test keeps the
// lists in the pages in step with the program.
package docs

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/sockload/sockload/engine"
	"github.com/sockload/sockload/scenario"
)

// known returns every list the pages must document, by name: a list named
// in a page's "<!-- list: NAME -->" marker is compared with known()[NAME].
// To document something new, add its list here and a marked table in a
// page.
func known() map[string][]string {
	lists := map[string][]string{
		"steps":       scenario.StepKinds(),
		"templates":   scenario.TemplateFunctions,
		"metrics":     metricNames(),
		"error-codes": mapKeys(engine.ErrorCodes),
		// The exit codes of cmd/sockload, which a test there compares with
		// its own constants.
		"exit-codes": {"0", "1", "2", "3", "130"},
	}
	for ctx, keys := range scenario.Keys() {
		lists["keys:"+ctx] = keys
	}
	return lists
}

// metricNames are the engine's metrics, a family written as its prefix
// followed by "<...>".
func metricNames() []string {
	var out []string
	for _, m := range engine.Catalogue {
		name := m.Name
		if m.Family {
			name += "<>"
		}
		out = append(out, name)
	}
	return out
}

func mapKeys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

var (
	marker  = regexp.MustCompile(`^<!-- list: (\S+)((?: \+\S+)*) -->$`)
	cell    = regexp.MustCompile("^\\|\\s*`([^`]+)`\\s*\\|")
	familyV = regexp.MustCompile(`<[^>]*>$`)
)

// documented is one marked list of a page.
type documented struct {
	page  string
	names []string
	plus  []string // other lists whose names count as this one's
}

// readLists reads every marked list of the pages in dir.
func readLists(t *testing.T, dir string) map[string]documented {
	t.Helper()
	pages, err := filepath.Glob(filepath.Join(dir, "*.md"))
	if err != nil || len(pages) == 0 {
		t.Fatalf("no pages in %s: %v", dir, err)
	}
	lists := map[string]documented{}
	for _, page := range pages {
		f, err := os.Open(page)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		var cur *documented
		var name string
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if m := marker.FindStringSubmatch(line); m != nil {
				if cur != nil {
					lists[name] = *cur
				}
				if _, dup := lists[m[1]]; dup {
					t.Errorf("%s: list %s is documented twice", page, m[1])
				}
				name = m[1]
				cur = &documented{page: filepath.Base(page), plus: strings.Fields(strings.ReplaceAll(m[2], "+", ""))}
				continue
			}
			if cur == nil {
				continue
			}
			if !strings.HasPrefix(line, "|") && line != "" {
				lists[name] = *cur
				cur = nil
				continue
			}
			if m := cell.FindStringSubmatch(line); m != nil {
				cur.names = append(cur.names, familyV.ReplaceAllString(m[1], "<>"))
			}
		}
		if cur != nil {
			lists[name] = *cur
		}
		f.Close()
	}
	return lists
}

// compare reports the names of want missing from got and the other way
// round.
func compare(want, got []string) (undocumented, unknown []string) {
	for _, n := range want {
		if !slices.Contains(got, n) {
			undocumented = append(undocumented, n)
		}
	}
	for _, n := range got {
		if !slices.Contains(want, n) {
			unknown = append(unknown, n)
		}
	}
	sort.Strings(undocumented)
	sort.Strings(unknown)
	return undocumented, unknown
}

// TestReferenceMatchesTheProgram fails when the program knows a key, step,
// template function, metric or error code that the pages do not document,
// or when a page documents one it does not know.
func TestReferenceMatchesTheProgram(t *testing.T) {
	checkReference(t, ".", known(), t.Errorf)
}

func checkReference(t *testing.T, dir string, want map[string][]string, report func(format string, args ...any)) {
	docs := readLists(t, dir)
	for name, names := range want {
		d, ok := docs[name]
		if !ok {
			report("no page documents the list %q (%v): add a table after <!-- list: %s -->", name, names, name)
			continue
		}
		got := slices.Clone(d.names)
		for _, p := range d.plus {
			got = append(got, docs[p].names...)
		}
		undocumented, unknown := compare(names, got)
		if len(undocumented) > 0 {
			report("%s, list %s: not documented: %s", d.page, name, strings.Join(undocumented, ", "))
		}
		if len(unknown) > 0 {
			report("%s, list %s: documented, unknown to the program: %s", d.page, name, strings.Join(unknown, ", "))
		}
	}
	for name, d := range docs {
		if _, ok := want[name]; !ok {
			report("%s documents a list %q the test does not know: add it to known()", d.page, name)
		}
	}
}

// TestReferenceCheckFailsOnAMismatch proves the check can fail: a key added
// to the program, or to a page, alone.
func TestReferenceCheckFailsOnAMismatch(t *testing.T) {
	tests := []struct {
		name   string
		change func(map[string][]string)
		want   string
	}{
		{"a key added to the loader", func(k map[string][]string) { k["keys:config"] = append(k["keys:config"], "newKey") }, "not documented: newKey"},
		{"a key removed from the loader", func(k map[string][]string) {
			k["keys:phase"] = slices.DeleteFunc(slices.Clone(k["keys:phase"]), func(s string) bool { return s == "rampTo" })
		}, "unknown to the program: rampTo"},
		{"a step added", func(k map[string][]string) { k["steps"] = append(k["steps"], "sleep") }, "not documented: sleep"},
		{"a metric added", func(k map[string][]string) { k["metrics"] = append(k["metrics"], "socketio.new") }, "not documented: socketio.new"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := known()
			tt.change(want)
			var got []string
			checkReference(t, ".", want, func(format string, args ...any) {
				got = append(got, strings.TrimSpace(sprintf(format, args...)))
			})
			if !slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, tt.want) }) {
				t.Errorf("the check said %q, want a complaint containing %q", got, tt.want)
			}
		})
	}
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
