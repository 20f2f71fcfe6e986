package scenario

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Template is a value of the scenario compiled once at load: a literal, a
// string with {{ ... }} expressions in it, or a list or map of templates.
// Rendering walks the compiled form; it never parses. A Template is
// immutable and safe for concurrent use; Render allocates only for what is
// dynamic (literal subtrees are returned as they are, shared: callers must
// not modify a rendered value).
//
// Expressions, as in Artillery:
//
//	{{ name }}, {{ user.id }}, {{ rows[0] }}  a variable, payload field or capture
//	{{ $uuid }}                               a random version 4 UUID
//	{{ $randomNumber(1, 100) }}               an integer in [1, 100]
//	{{ $randomString(12) }}                   12 letters and digits (default 10)
//	{{ $env.HOME }}, {{ $processEnvironment.HOME }}  an environment variable
//	{{ $environment }}                        the environment chosen with -e
//	{{ $loopCount }}, {{ $loopElement }}      set by loop steps
//	{{ $now }}, {{ $timestamp }}              the current time, Unix milliseconds (a number)
//	{{ $trace }}                              a trace for delivery time and reach (below)
//
// $trace renders to a unique text token holding a message id and its send
// instant. Put it anywhere in an emit's payload that the server relays
// (data: {text: "hi", trace: "{{ $trace }}"}); every VU of the run that
// receives an event carrying it records the delivery time. The engine
// supplies the tokens through Context.Trace; without it (validate, plan)
// $trace renders as "".
//
// A string that is exactly one expression renders to the value's own type
// (a number stays a number); anywhere else values are formatted as text.
// A variable that is not set renders as "" inside text and as nil alone.
type Template struct {
	Pos   Pos
	kind  tmplKind
	lit   any    // tmplLiteral
	parts []part // tmplText
	expr  *expr  // tmplExpr
	items []*Template
	keys  []*Template // tmplMap: keys[i] -> items[i]
}

type tmplKind uint8

const (
	tmplLiteral tmplKind = iota
	tmplText
	tmplExpr
	tmplList
	tmplMap
)

type part struct {
	text string
	expr *expr // nil for plain text
}

type exprKind uint8

const (
	exprVar exprKind = iota
	exprEnv
	exprEnvironment
	exprUUID
	exprRandomNumber
	exprRandomString
	exprNow
	exprTrace
)

type expr struct {
	kind exprKind
	path []pathSeg // exprVar: the variable and the path into it; exprEnv: [name]
	a, b int64     // arguments of $randomNumber / $randomString
}

// Context is what a VU renders templates with. It belongs to one VU and is
// not safe for concurrent use.
type Context struct {
	// Vars holds variables, the VU's payload row, captures and loop state.
	Vars map[string]any
	// Environment is $environment.
	Environment string
	// Getenv reads $env / $processEnvironment; nil reads nothing (the
	// command passes the process environment in).
	Getenv func(string) string
	// Rand draws $uuid, $randomNumber and $randomString; nil uses the
	// shared generator of math/rand/v2.
	Rand *rand.Rand
	// Now is the clock of $now and $timestamp; nil reads time.Now.
	Now func() time.Time
	// Trace returns the token {{ $trace }} renders to, a new one at each
	// call; nil renders "". The engine sets it to register the message.
	Trace func() string
}

// Literal returns a template that renders to v.
func Literal(v any) *Template { return &Template{kind: tmplLiteral, lit: v} }

// UsesTrace reports whether t renders {{ $trace }} anywhere.
func (t *Template) UsesTrace() bool {
	if t == nil {
		return false
	}
	if t.expr != nil && t.expr.kind == exprTrace {
		return true
	}
	for _, p := range t.parts {
		if p.expr != nil && p.expr.kind == exprTrace {
			return true
		}
	}
	for _, it := range t.items {
		if it.UsesTrace() {
			return true
		}
	}
	return false
}

// IsStatic reports whether t renders the same value every time.
func (t *Template) IsStatic() bool { return t == nil || t.kind == tmplLiteral }

// Static returns the value of a static template (nil for nil).
func (t *Template) Static() (any, bool) {
	if t == nil {
		return nil, true
	}
	return t.lit, t.kind == tmplLiteral
}

// Render evaluates t for one VU. A nil template renders to nil.
func (t *Template) Render(ctx *Context) any {
	if t == nil {
		return nil
	}
	switch t.kind {
	case tmplLiteral:
		return t.lit
	case tmplExpr:
		return t.expr.eval(ctx)
	case tmplText:
		buf := make([]byte, 0, t.sizeHint())
		for _, p := range t.parts {
			if p.expr == nil {
				buf = append(buf, p.text...)
			} else {
				buf = appendValue(buf, p.expr.eval(ctx))
			}
		}
		return string(buf)
	case tmplList:
		out := make([]any, len(t.items))
		for i, it := range t.items {
			out[i] = it.Render(ctx)
		}
		return out
	case tmplMap:
		out := make(map[string]any, len(t.items))
		for i, it := range t.items {
			out[RenderString(t.keys[i], ctx)] = it.Render(ctx)
		}
		return out
	}
	return nil
}

// RenderString renders t and formats the result as text ("" for nil).
func RenderString(t *Template, ctx *Context) string {
	v := t.Render(ctx)
	if s, ok := v.(string); ok {
		return s
	}
	var b strings.Builder
	writeValue(&b, v)
	return b.String()
}

// Vars lists the variables t refers to (the first segment of each path),
// sorted and without duplicates.
func (t *Template) Vars() []string {
	seen := map[string]bool{}
	t.collectVars(seen)
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// envVars lists the environment variables t reads ($env.X).
func (t *Template) envVars() []string {
	if t == nil {
		return nil
	}
	var out []string
	add := func(e *expr) {
		if e != nil && e.kind == exprEnv {
			out = append(out, e.path[0].key)
		}
	}
	add(t.expr)
	for _, p := range t.parts {
		add(p.expr)
	}
	for _, it := range t.items {
		out = append(out, it.envVars()...)
	}
	return out
}

func (t *Template) collectVars(seen map[string]bool) {
	if t == nil {
		return
	}
	add := func(e *expr) {
		if e != nil && e.kind == exprVar {
			seen[e.path[0].key] = true
		}
	}
	add(t.expr)
	for _, p := range t.parts {
		add(p.expr)
	}
	for _, it := range t.items {
		it.collectVars(seen)
	}
	for _, k := range t.keys {
		k.collectVars(seen)
	}
}

// sizeHint guesses the rendered length of a text template: its literal
// text plus 16 bytes per expression, so most renders allocate one buffer.
func (t *Template) sizeHint() int {
	n := 0
	for _, p := range t.parts {
		n += len(p.text)
		if p.expr != nil {
			n += 16
		}
	}
	return n
}

// appendValue appends v formatted as text, without intermediate strings.
func appendValue(buf []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return buf
	case string:
		return append(buf, x...)
	case int:
		return strconv.AppendInt(buf, int64(x), 10)
	case int64:
		return strconv.AppendInt(buf, x, 10)
	case bool:
		return strconv.AppendBool(buf, x)
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.AppendInt(buf, int64(x), 10)
		}
		return strconv.AppendFloat(buf, x, 'f', -1, 64)
	}
	var b strings.Builder
	writeValue(&b, v)
	return append(buf, b.String()...)
}

func writeValue(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
	case string:
		b.WriteString(x)
	case int:
		b.WriteString(strconv.Itoa(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		b.WriteString(formatFloat(x))
	case bool:
		b.WriteString(strconv.FormatBool(x))
	default:
		fmt.Fprint(b, x)
	}
}

func formatFloat(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

func (e *expr) eval(ctx *Context) any {
	switch e.kind {
	case exprVar:
		if ctx == nil {
			return nil
		}
		v, ok := ctx.Vars[e.path[0].key]
		if !ok {
			return nil
		}
		v, _ = walk(v, e.path[1:])
		return v
	case exprEnv:
		if ctx == nil || ctx.Getenv == nil {
			return ""
		}
		return ctx.Getenv(e.path[0].key)
	case exprEnvironment:
		if ctx == nil {
			return ""
		}
		return ctx.Environment
	case exprUUID:
		return uuid4(rng(ctx))
	case exprRandomNumber:
		r := rng(ctx)
		return e.a + int64(r.Uint64N(uint64(e.b-e.a)+1))
	case exprRandomString:
		return randomString(rng(ctx), int(e.a))
	case exprNow:
		if ctx != nil && ctx.Now != nil {
			return ctx.Now().UnixMilli()
		}
		return time.Now().UnixMilli()
	case exprTrace:
		if ctx == nil || ctx.Trace == nil {
			return ""
		}
		return ctx.Trace()
	}
	return nil
}

// step goes one segment into a map or list; nil when it cannot.
func step(v any, seg pathSeg) any {
	switch x := v.(type) {
	case map[string]any:
		return x[seg.key]
	case []any:
		i := seg.index
		if i < 0 {
			n, err := strconv.Atoi(seg.key)
			if err != nil {
				return nil
			}
			i = n
		}
		if i < len(x) {
			return x[i]
		}
	}
	return nil
}

func rng(ctx *Context) interface {
	Uint64N(uint64) uint64
	Uint64() uint64
} {
	if ctx != nil && ctx.Rand != nil {
		return ctx.Rand
	}
	return globalRand{}
}

// globalRand uses math/rand/v2's top-level functions, which are safe for
// concurrent use.
type globalRand struct{}

func (globalRand) Uint64N(n uint64) uint64 { return rand.Uint64N(n) }
func (globalRand) Uint64() uint64          { return rand.Uint64() }

const hexDigits = "0123456789abcdef"

func uuid4(r interface{ Uint64() uint64 }) string {
	var b [16]byte
	hi, lo := r.Uint64(), r.Uint64()
	for i := 0; i < 8; i++ {
		b[i] = byte(hi >> (8 * i))
		b[8+i] = byte(lo >> (8 * i))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	j := 0
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out[j] = '-'
			j++
		}
		out[j], out[j+1] = hexDigits[c>>4], hexDigits[c&0xf]
		j += 2
	}
	return string(out[:])
}

const alphanumeric = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func randomString(r interface{ Uint64N(uint64) uint64 }, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphanumeric[r.Uint64N(uint64(len(alphanumeric)))]
	}
	return string(b)
}

// maxRandomString caps $randomString(n) so a typo cannot allocate gigabytes per VU.
const maxRandomString = 1 << 20

// compileString compiles a string that may contain {{ ... }} expressions.
// It returns a literal template when there are none.
func compileString(s string, pos Pos) (*Template, error) {
	if !strings.Contains(s, "{{") {
		return &Template{Pos: pos, kind: tmplLiteral, lit: s}, nil
	}
	var parts []part
	rest := s
	for {
		open := strings.Index(rest, "{{")
		if open < 0 {
			if rest != "" {
				parts = append(parts, part{text: rest})
			}
			break
		}
		if open > 0 {
			parts = append(parts, part{text: rest[:open]})
		}
		inner := rest[open+2:]
		triple := strings.HasPrefix(inner, "{")
		if triple {
			inner = inner[1:]
		}
		end := strings.Index(inner, "}}")
		if end < 0 {
			return nil, fmt.Errorf("%q opens {{ but never closes it; write {{ name }}", s)
		}
		body := inner[:end]
		after := inner[end+2:]
		if triple && strings.HasPrefix(after, "}") {
			after = after[1:]
		}
		e, err := parseExpr(strings.TrimSpace(body))
		if err != nil {
			return nil, fmt.Errorf("in %q: %w", s, err)
		}
		parts = append(parts, part{expr: e})
		rest = after
	}
	if len(parts) == 1 && parts[0].expr != nil {
		return &Template{Pos: pos, kind: tmplExpr, expr: parts[0].expr}, nil
	}
	return &Template{Pos: pos, kind: tmplText, parts: parts}, nil
}

// parseExpr parses the inside of {{ }}.
func parseExpr(s string) (*expr, error) {
	if s == "" {
		return nil, fmt.Errorf("empty {{ }}: put a variable name inside, like {{ userId }}")
	}
	if strings.HasPrefix(s, "$") {
		name, args, isCall, err := splitCall(s)
		if err != nil {
			return nil, err
		}
		if isCall {
			return parseCall(name, args)
		}
		switch {
		case s == "$uuid":
			return &expr{kind: exprUUID}, nil
		case s == "$environment":
			return &expr{kind: exprEnvironment}, nil
		case s == "$now" || s == "$timestamp":
			return &expr{kind: exprNow}, nil
		case s == "$trace":
			return &expr{kind: exprTrace}, nil
		case strings.HasPrefix(s, "$env.") || strings.HasPrefix(s, "$processEnvironment."):
			name := s[strings.IndexByte(s, '.')+1:]
			if !validIdent(name) {
				return nil, fmt.Errorf("%q: an environment variable name is letters, digits and _", s)
			}
			return &expr{kind: exprEnv, path: []pathSeg{{key: name, index: -1}}}, nil
		case s == "$randomNumber" || s == "$randomString":
			return parseCall(s, nil)
		}
	}
	path, err := parsePath(s)
	if err != nil {
		return nil, err
	}
	return &expr{kind: exprVar, path: path}, nil
}

func splitCall(s string) (name string, args []string, isCall bool, err error) {
	open := strings.IndexByte(s, '(')
	if open < 0 {
		return s, nil, false, nil
	}
	if !strings.HasSuffix(s, ")") {
		return "", nil, false, fmt.Errorf("%q: a function call ends with ), like $randomNumber(1, 10)", s)
	}
	name = strings.TrimSpace(s[:open])
	inner := strings.TrimSpace(s[open+1 : len(s)-1])
	if inner != "" {
		for _, a := range strings.Split(inner, ",") {
			args = append(args, strings.TrimSpace(a))
		}
	}
	return name, args, true, nil
}

func parseCall(name string, args []string) (*expr, error) {
	ints := make([]int64, len(args))
	for i, a := range args {
		n, err := strconv.ParseInt(a, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: argument %q is not an integer", name, a)
		}
		ints[i] = n
	}
	switch name {
	case "$randomNumber":
		e := &expr{kind: exprRandomNumber, a: 0, b: 100}
		if len(ints) == 2 {
			e.a, e.b = ints[0], ints[1]
		} else if len(ints) != 0 {
			return nil, fmt.Errorf("$randomNumber takes two integers, min and max: $randomNumber(1, 100)")
		}
		if e.b < e.a {
			return nil, fmt.Errorf("$randomNumber(%d, %d): max is below min", e.a, e.b)
		}
		if uint64(e.b-e.a) == math.MaxUint64 || e.b-e.a < 0 {
			return nil, fmt.Errorf("$randomNumber(%d, %d): range too large", e.a, e.b)
		}
		return e, nil
	case "$randomString":
		e := &expr{kind: exprRandomString, a: 10}
		if len(ints) == 1 {
			e.a = ints[0]
		} else if len(ints) != 0 {
			return nil, fmt.Errorf("$randomString takes one integer, the length: $randomString(12)")
		}
		if e.a < 0 || e.a > maxRandomString {
			return nil, fmt.Errorf("$randomString(%d): the length must be between 0 and %d", e.a, maxRandomString)
		}
		return e, nil
	}
	return nil, fmt.Errorf("unknown function %s: available are $randomNumber(min, max) and $randomString(length); JavaScript functions from a processor do not run here", name)
}

// parsePath parses name, name.field, name[0], name['key'].
func parsePath(s string) ([]pathSeg, error) {
	first := templateSyntax.nameEnd(s)
	if first == 0 {
		return nil, fmt.Errorf("{{ %s }} is not a variable name: use letters, digits, _ and $, and . or [n] to go inside", s)
	}
	steps, problem, _, _ := parseSteps(s[first:], templateSyntax)
	switch problem {
	case pathBadName:
		return nil, fmt.Errorf("{{ %s }}: a name is missing after the dot", s)
	case pathUnclosed:
		return nil, fmt.Errorf("{{ %s }}: [ without ]", s)
	case pathBadBracket:
		return nil, fmt.Errorf("{{ %s }}: inside [ ] put an index or a quoted key", s)
	case pathUnexpected:
		return nil, fmt.Errorf("{{ %s }} is not a variable name: use letters, digits, _ and $, and . or [n] to go inside", s)
	}
	return append([]pathSeg{{key: s[:first], index: -1}}, steps...), nil
}

// templateSyntax: a .name is letters, digits, _, $ and -.
var templateSyntax = pathSyntax{
	nameEnd: func(s string) int {
		i := 0
		for i < len(s) && (isIdentByte(s[i]) || s[i] == '-') {
			i++
		}
		return i
	},
	nameOK: func(name string) bool { return name != "" },
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func validIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isIdentByte(s[i]) {
			return false
		}
	}
	return true
}

// newList and newMap build container templates, folding them into a
// literal when every element is static, so static data renders for free.
func newList(pos Pos, items []*Template) *Template {
	static := true
	for _, it := range items {
		static = static && it.IsStatic()
	}
	if static {
		lit := make([]any, len(items))
		for i, it := range items {
			lit[i] = it.lit
		}
		return &Template{Pos: pos, kind: tmplLiteral, lit: lit}
	}
	return &Template{Pos: pos, kind: tmplList, items: items}
}

func newMap(pos Pos, keys, values []*Template) *Template {
	static := true
	for i := range keys {
		static = static && keys[i].IsStatic() && values[i].IsStatic()
	}
	if static {
		lit := make(map[string]any, len(keys))
		for i := range keys {
			k, _ := keys[i].lit.(string)
			lit[k] = values[i].lit
		}
		return &Template{Pos: pos, kind: tmplLiteral, lit: lit}
	}
	return &Template{Pos: pos, kind: tmplMap, keys: keys, items: values}
}
