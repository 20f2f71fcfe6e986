package scenario

import (
	"strings"
	"testing"
)

func TestUnknownTemplateFunctionsAreWarnedAbout(t *testing.T) {
	tests := []struct {
		name, data string
		want       string // a warning's message, "" for none
		line       int
	}{
		{name: "a typo", data: `"{{ $randomNumbr }}"`, want: "{{ $randomNumbr }} names no template function", line: 10},
		{name: "inside text", data: `"id {{ $uid }}!"`, want: "{{ $uid }} names no template function", line: 10},
		{name: "known functions", data: `"{{ $uuid }} {{ $randomNumber(1, 2) }} {{ $env.HOME }} {{ $environment }}"`},
		{name: "loop variables", data: `"{{ $loopCount }} {{ $loopElement }}"`},
		{name: "plain variables", data: `"{{ user.id }}"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			yml := `config:
  target: "http://127.0.0.1:3000"
  phases:
    - duration: 1
      arrivalRate: 1
scenarios:
  - engine: socketio
    flow:
      - emit:
          data: ` + tt.data + `
          channel: "x"
`
			s, err := Parse("t.yml", []byte(yml), Options{})
			if err != nil {
				t.Fatal(err)
			}
			var got []Diagnostic
			for _, w := range s.Warnings {
				if strings.Contains(w.Message, "template function") {
					got = append(got, w)
				}
			}
			if tt.want == "" {
				if len(got) != 0 {
					t.Errorf("unexpected warnings %v", got)
				}
				return
			}
			if len(got) != 1 || !strings.Contains(got[0].Message, tt.want) || got[0].Pos.Line != tt.line {
				t.Errorf("warnings %+v, want one at line %d saying %q", got, tt.line, tt.want)
			}
			if !strings.Contains(got[0].Hint, "did you mean") {
				t.Errorf("the hint %q suggests no function", got[0].Hint)
			}
		})
	}
}

// TestWarningInABlockScalarPointsAtItsLine: a template in a | or > block
// is written on the lines after the indicator, and its warning says so.
func TestWarningInABlockScalarPointsAtItsLine(t *testing.T) {
	for _, style := range []string{"|", ">-"} {
		yml := `config:
  target: "http://127.0.0.1:3000"
  phases:
    - duration: 1
      arrivalRate: 1
scenarios:
  - engine: socketio
    flow:
      - emit:
          channel: "x"
          data: ` + style + `
            first line
            hello {{ nobody }}
`
		s, err := Parse("t.yml", []byte(yml), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Warnings) != 1 || s.Warnings[0].Pos != (Pos{Line: 13, Col: 13}) || !strings.Contains(s.Warnings[0].Source, "{{ nobody }}") {
			t.Errorf("%s: warnings %+v, want one at 13:13 on the line of {{ nobody }}", style, s.Warnings)
		}
	}
}
