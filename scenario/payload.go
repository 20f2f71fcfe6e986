package scenario

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// MaxPayloadSize caps a CSV payload file (bytes): the rows are held in
// memory for the whole run.
const MaxPayloadSize = 256 << 20

// PayloadOrder says how VUs take rows.
type PayloadOrder int

const (
	// OrderRandom gives each VU a row chosen at random (Artillery's default).
	OrderRandom PayloadOrder = iota
	// OrderSequence gives VUs the rows in file order, wrapping around.
	OrderSequence
)

// Payload is a CSV file of config.payload, loaded. Rows are never empty
// and every row has len(Fields) values. Values are strings, or int64 and
// float64 where the text is a number and cast is on (the default); numbers
// written with leading zeros ("007", zip codes, ids) stay strings.
type Payload struct {
	Pos   Pos
	Path  string // as resolved: relative paths are relative to the scenario file
	Order PayloadOrder
	// Fields name the columns: a VU's row sets the variables Fields[i].
	Fields []string
	// LoadAll: instead of one row per VU, every VU gets all rows, as a list
	// of maps field -> value, in the variable Name.
	LoadAll bool
	Name    string
	Rows    [][]any
}

// Bind sets the variables of row i (modulo the row count) in vars; with
// LoadAll it sets Name to the list of all rows (shared: do not modify).
func (p *Payload) Bind(vars map[string]any, i int) {
	if p.LoadAll {
		vars[p.Name] = p.all()
		return
	}
	if len(p.Rows) == 0 {
		return
	}
	row := p.Rows[((i%len(p.Rows))+len(p.Rows))%len(p.Rows)]
	for j, f := range p.Fields {
		vars[f] = row[j]
	}
}

func (p *Payload) all() []any {
	out := make([]any, len(p.Rows))
	for i, row := range p.Rows {
		m := make(map[string]any, len(p.Fields))
		for j, f := range p.Fields {
			m[f] = row[j]
		}
		out[i] = m
	}
	return out
}

func (d *decoder) payloads(v *yaml.Node) []*Payload {
	var out []*Payload
	for _, n := range listOrOne(v) {
		if p := d.payload(n); p != nil {
			out = append(out, p)
		}
	}
	return out
}

type payloadSpec struct {
	delimiter      rune
	cast           bool
	skipHeader     bool
	skipEmptyLines bool
}

func (d *decoder) payload(n *yaml.Node) *Payload {
	p := &Payload{Pos: pos(n)}
	spec := payloadSpec{delimiter: ',', cast: true, skipEmptyLines: true}
	keys, vals, ok := d.pairs(n, "a payload", "write payload:\n  path: \"users.csv\"\n  fields: [\"username\", \"password\"]")
	if !ok {
		return nil
	}
	var pathNode *yaml.Node
	good := true
	for i, k := range keys {
		v := vals[i]
		switch k.Value {
		case "path":
			pathNode = v
			p.Path, ok = d.str(v, "path")
			good = good && ok
		case "fields":
			if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
				d.errf(v, "write fields: [\"username\", \"password\"], one name per column", "fields must be a list of column names")
				good = false
				continue
			}
			for _, f := range v.Content {
				name, ok := d.str(f, "a field name")
				good = good && ok
				p.Fields = append(p.Fields, name)
				d.defined[name] = true
			}
		case "order":
			s, _ := d.str(v, "order")
			switch s {
			case "random":
			case "sequence":
				p.Order = OrderSequence
			default:
				d.errf(v, "write order: random or order: sequence", "unknown payload order %q", s)
			}
		case "skipHeader":
			spec.skipHeader, _ = d.boolean(v, "skipHeader")
		case "cast":
			spec.cast, _ = d.boolean(v, "cast")
		case "skipEmptyLines":
			spec.skipEmptyLines, _ = d.boolean(v, "skipEmptyLines")
		case "loadAll":
			p.LoadAll, _ = d.boolean(v, "loadAll")
		case "name":
			p.Name, _ = d.str(v, "name")
		case "delimiter":
			s, _ := d.str(v, "delimiter")
			r, size := utf8.DecodeRuneInString(s)
			if size == 0 || size != len(s) || r == '"' || r == '\n' || r == '\r' || r == utf8.RuneError {
				d.errf(v, "write one character, like delimiter: \";\"", "delimiter must be a single character")
				continue
			}
			spec.delimiter = r
		}
	}
	if pathNode == nil {
		d.errf(n, "add path: with the CSV file, relative to this scenario file", "payload without a path")
		return nil
	}
	if len(p.Fields) == 0 && good {
		d.errf(n, "add fields: with a name for each column, like fields: [\"username\", \"password\"]", "payload without fields")
		return nil
	}
	if p.LoadAll && p.Name == "" {
		d.errf(n, "add name: with the variable that will hold all rows", "loadAll needs a name")
		return nil
	}
	if p.LoadAll {
		d.defined[p.Name] = true
	}
	if !good {
		return nil
	}
	if !filepath.IsAbs(p.Path) {
		p.Path = filepath.Join(d.dir, p.Path)
	}
	if err := d.loadCSV(p, spec, pathNode); err != nil {
		return nil
	}
	return p
}

var errBadCSV = errors.New("bad payload")

func (d *decoder) loadCSV(p *Payload, spec payloadSpec, at *yaml.Node) error {
	info, err := os.Stat(p.Path)
	if err != nil {
		d.errf(at, "the path is relative to the scenario file's directory ("+d.dir+"); check the name", "payload file %q cannot be read: %v", p.Path, unwrapPathError(err))
		return errBadCSV
	}
	if !info.Mode().IsRegular() {
		d.errf(at, "give the path of a CSV file", "payload %q is not a regular file", p.Path)
		return errBadCSV
	}
	if info.Size() > MaxPayloadSize {
		d.errf(at, fmt.Sprintf("split it, or keep it under %d MiB", MaxPayloadSize>>20), "payload file %q is %d MiB, larger than sockload loads", p.Path, info.Size()>>20)
		return errBadCSV
	}
	data, err := readLimited(p.Path, MaxPayloadSize)
	if err != nil {
		d.errf(at, "", "payload file %q cannot be read: %v", p.Path, unwrapPathError(err))
		return errBadCSV
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = spec.delimiter
	r.FieldsPerRecord = -1
	r.ReuseRecord = false
	bad := 0
	first := true
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				d.ds.add(SeverityError, p.Path, Pos{pe.Line, pe.Column}, "check the quotes on this line (a quote inside a field is written twice: \"\")", "CSV: %v", pe.Err)
				d.ds.list[len(d.ds.list)-1].Source = lineAt(data, pe.Line)
			} else {
				d.errf(at, "", "payload %q: %v", p.Path, err)
			}
			return errBadCSV
		}
		line, col := r.FieldPos(0)
		if first && spec.skipHeader {
			first = false
			continue
		}
		first = false
		if spec.skipEmptyLines && len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) != len(p.Fields) {
			bad++
			if bad <= 5 {
				d.ds.add(SeverityError, p.Path, Pos{line, col},
					fmt.Sprintf("fields names %d columns (%s) but this row has %d; fix the row, or the fields list in %s line %d (is the delimiter %q right?)",
						len(p.Fields), strings.Join(p.Fields, ", "), len(rec), d.fileOf(at), at.Line, string(spec.delimiter)),
					"wrong number of columns: %d instead of %d", len(rec), len(p.Fields))
				d.ds.list[len(d.ds.list)-1].Source = lineAt(data, line)
			}
			continue
		}
		row := make([]any, len(rec))
		for i, s := range rec {
			row[i] = castValue(s, spec.cast)
		}
		p.Rows = append(p.Rows, row)
	}
	if bad > 5 {
		d.ds.add(SeverityError, p.Path, Pos{}, "", "%d more rows have the wrong number of columns", bad-5)
	}
	if bad > 0 {
		return errBadCSV
	}
	if len(p.Rows) == 0 {
		d.errf(at, "add rows to the file (the header row does not count with skipHeader: true)", "payload file %q has no rows", p.Path)
		return errBadCSV
	}
	return nil
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// castValue turns numeric text into a number, as Artillery's cast does.
func castValue(s string, cast bool) any {
	if !cast {
		return s
	}
	t := strings.TrimSpace(s)
	if t == "" {
		return s
	}
	if i, err := strconv.ParseInt(t, 10, 64); err == nil && !(len(t) > 1 && t[0] == '0') {
		return i
	}
	if f, err := strconv.ParseFloat(t, 64); err == nil && !strings.ContainsAny(t, "xXnN") && !(len(t) > 1 && t[0] == '0' && t[1] != '.') {
		return f
	}
	return s
}

// lineAt returns line n (1-based) of data, without its newline.
func lineAt(data []byte, n int) string {
	for i := 1; i < n; i++ {
		j := bytes.IndexByte(data, '\n')
		if j < 0 {
			return ""
		}
		data = data[j+1:]
	}
	if j := bytes.IndexByte(data, '\n'); j >= 0 {
		data = data[:j]
	}
	return strings.TrimRight(string(data), "\r")
}

// readLimited reads at most limit bytes of a file (it may grow after Stat).
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err == nil && int64(len(data)) > limit {
		err = fmt.Errorf("larger than %d MiB", limit>>20)
	}
	return data, err
}
