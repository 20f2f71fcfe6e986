package report

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// Annotation is a marker put on a run's timeline while it runs (POST
// /annotate of sockload run --listen), such as "killed node 3".
type Annotation struct {
	At   time.Time `json:"at"`
	Text string    `json:"text"`
}

// Bounds of the annotations a run keeps: a script posting in a loop cannot
// grow the report without end.
const (
	MaxAnnotations    = 1000
	MaxAnnotationText = 200
)

// ErrNoAnnotationText is Annotate's error for an empty text.
var ErrNoAnnotationText = errors.New(`an annotation needs a text, e.g. "killed node 3"`)

// Annotate records an annotation at instant at. The text is trimmed and
// cut to MaxAnnotationText characters; past MaxAnnotations, or for an empty
// text, it returns an error saying so. Safe for concurrent use.
func (c *Collector) Annotate(at time.Time, text string) (Annotation, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return Annotation{}, ErrNoAnnotationText
	}
	if utf8.RuneCountInString(text) > MaxAnnotationText {
		text = string([]rune(text)[:MaxAnnotationText])
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.annotations) >= MaxAnnotations {
		return Annotation{}, fmt.Errorf("the run already holds %d annotations, the most it keeps", MaxAnnotations)
	}
	a := Annotation{At: at, Text: text}
	c.annotations = append(c.annotations, a)
	return a, nil
}

// WriteAnnotations prints the run's annotations with their time from the
// start.
func WriteAnnotations(w io.Writer, r *Report) {
	if len(r.Annotations) == 0 {
		return
	}
	fmt.Fprintln(w, "Annotations:")
	for _, a := range r.Annotations {
		fmt.Fprintf(w, "  %s  %s\n", offset(a.At.Sub(r.Run.Start).Seconds()), a.Text)
	}
}

// annotationMarks marks the annotations on time charts whose x axis starts
// at origin.
func annotationMarks(as []Annotation, origin time.Time) []mark {
	var marks []mark
	for _, a := range as {
		marks = append(marks, mark{X: a.At.Sub(origin).Seconds(), Label: a.Text, Color: "#555555"})
	}
	return marks
}
