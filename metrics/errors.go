package metrics

import (
	"slices"
	"sync"
	"time"
	"unicode/utf8"
)

// Errors are counted as ErrorPrefix + code. Codes are a small set chosen by
// the caller (ECONNREFUSED, "ack timeout", connect_error, ...), never text
// from the server: a server's message may carry a session id and would make
// one counter per connection. What the server said goes in the samples.
const (
	// ErrorPrefix starts the name of every error counter.
	ErrorPrefix = "errors."
	// OtherErrorCode counts the errors of codes past MaxErrorCodes.
	OtherErrorCode = "other"
	// MaxErrorCodes bounds the distinct error codes of one registry.
	MaxErrorCodes = 64
	// SamplesPerCode is how many distinct messages each code keeps.
	SamplesPerCode = 3
	// MaxSampleText bounds a sample's message, expected and received
	// texts, in bytes.
	MaxSampleText = 300
)

// ErrorSample is one occurrence of an error, kept as an example of its code:
// the first SamplesPerCode distinct messages of each code are kept.
type ErrorSample struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// Step is where the failing step is written, "file:line", when a step
	// failed.
	Step string `json:"step,omitempty"`
	// VU is the virtual user's number in the run (0: none).
	VU uint64    `json:"vu,omitempty"`
	At time.Time `json:"at"`
	// Expected and Received are set for a failed check: what the step
	// expected and what arrived.
	Expected string `json:"expected,omitempty"`
	Received string `json:"received,omitempty"`
}

// errorLog keeps the error codes seen and their samples. It is written only
// when an error happens, so one mutex is enough.
type errorLog struct {
	mu      sync.Mutex
	codes   map[string]int // code → samples kept
	samples []ErrorSample
}

// Error counts one error under ErrorPrefix + code and keeps s (its Code set
// to the code counted) as a sample when its code has fewer than
// SamplesPerCode samples and none with the same message. Past MaxErrorCodes
// distinct codes, errors are counted as OtherErrorCode and their sample
// names the code they had. It returns the code counted. Safe for concurrent
// use.
func (r *Registry) Error(code string, s ErrorSample) string {
	l := &r.errors
	l.mu.Lock()
	kept, seen := l.codes[code]
	if !seen {
		if l.codes == nil {
			l.codes = map[string]int{}
		}
		if len(l.codes) >= MaxErrorCodes {
			s.Message = code + ": " + s.Message
			code = OtherErrorCode
			kept = l.codes[code]
		}
		l.codes[code] = kept
	}
	s.Code = code
	s.Message = Cut(s.Message, MaxSampleText)
	s.Expected = Cut(s.Expected, MaxSampleText)
	s.Received = Cut(s.Received, MaxSampleText)
	if kept < SamplesPerCode && !l.hasMessage(code, s.Message) {
		l.samples = append(l.samples, s)
		l.codes[code] = kept + 1
	}
	l.mu.Unlock()
	r.Counter(ErrorPrefix + code).Inc()
	return code
}

func (l *errorLog) hasMessage(code, msg string) bool {
	for _, s := range l.samples {
		if s.Code == code && s.Message == msg {
			return true
		}
	}
	return false
}

// ErrorSamples returns a copy of the samples kept so far, in the order they
// happened.
func (r *Registry) ErrorSamples() []ErrorSample {
	r.errors.mu.Lock()
	defer r.errors.mu.Unlock()
	return slices.Clone(r.errors.samples)
}

// MergeErrorSamples joins the samples of several runs (shards) as one
// registry would have kept them: ordered by time, at most SamplesPerCode
// distinct messages per code.
func MergeErrorSamples(lists ...[]ErrorSample) []ErrorSample {
	var all []ErrorSample
	for _, l := range lists {
		all = append(all, l...)
	}
	slices.SortStableFunc(all, func(a, b ErrorSample) int { return a.At.Compare(b.At) })
	var out []ErrorSample
	kept := map[string]int{}
	seen := map[[2]string]bool{}
	for _, s := range all {
		key := [2]string{s.Code, s.Message}
		if kept[s.Code] >= SamplesPerCode || seen[key] {
			continue
		}
		kept[s.Code]++
		seen[key] = true
		out = append(out, s)
	}
	return out
}

// SamplesByCode groups samples by code, the codes in the order of their
// first sample.
func SamplesByCode(samples []ErrorSample) (codes []string, byCode map[string][]ErrorSample) {
	byCode = map[string][]ErrorSample{}
	for _, s := range samples {
		if _, ok := byCode[s.Code]; !ok {
			codes = append(codes, s.Code)
		}
		byCode[s.Code] = append(byCode[s.Code], s)
	}
	return codes, byCode
}

// Cut shortens s to at most n bytes on a rune boundary, marking the cut
// with "…".
func Cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}
