package report

import (
	"bytes"
	"compress/flate"
	"encoding/json"
	"fmt"
	"io"
)

// packedLog keeps what a run records for as long as it lasts (a window a
// second, an interval every ten) at a fraction of its size, so that a long
// run's memory stays flat: the newest chunk as values, each full chunk as
// its JSON, deflated (a window's JSON, mostly the same keys, shrinks to
// about a third, an interval's to a quarter). Reading unpacks a chunk once
// and keeps it, so what reads every second (the early checks) pays the
// decoding once and the memory of the values, as before.
type packedLog[T any] struct {
	chunk  int
	packer *packer
	packed [][]byte // full chunks, deflated JSON arrays
	read   [][]T    // full chunks read back, by index in packed (nil: not yet)
	open   []T
}

// newPackedLog packs chunks of the given length with p, which may be
// shared by logs that are not appended to concurrently.
func newPackedLog[T any](chunk int, p *packer) packedLog[T] {
	return packedLog[T]{chunk: chunk, packer: p}
}

func (l *packedLog[T]) append(v T) {
	if l.open == nil {
		l.open = make([]T, 0, l.chunk)
	}
	l.open = append(l.open, v)
	if len(l.open) < l.chunk {
		return
	}
	packed, err := deflateJSON(l.packer, l.open)
	if err != nil {
		// Kept as values (a float JSON cannot write, say): memory, not
		// data, is what a failure costs.
		l.packed, l.read = append(l.packed, nil), append(l.read, l.open)
	} else {
		l.packed, l.read = append(l.packed, packed), append(l.read, nil)
	}
	l.open = nil
}

// all returns the values in order (nil when there are none), a new slice
// the caller may change.
func (l *packedLog[T]) all() ([]T, error) {
	n := len(l.open)
	for i := range l.packed {
		if l.read[i] == nil {
			vs, err := inflateJSON[T](l.packed[i])
			if err != nil {
				return nil, fmt.Errorf("reading back the run's records: %w", err)
			}
			l.read[i], l.packed[i] = vs, nil
		}
		n += len(l.read[i])
	}
	if n == 0 {
		return nil, nil
	}
	out := make([]T, 0, n)
	for _, vs := range l.read {
		out = append(out, vs...)
	}
	return append(out, l.open...), nil
}

// A packer deflates with one compressor kept for the run. Deflate's
// compressor is about 800 KB of tables whatever the level; made afresh for
// each chunk, with the whole chunk's JSON encoded in one buffer beside it,
// a pack allocated 1.3 MB at once every 256 seconds (BenchmarkPackWindows),
// and in a run that allocates slowly, 2,000 idle VUs', the heap grew into
// that many fresh pages each time and the RSS kept them (bench/soak.sh:
// the heap's objects up 1.5-3 MB every 256 s). Kept, it is the same 800 KB for the whole run, and
// a pack allocates its output and one value's encoding at a time.
type packer struct {
	z   *flate.Writer
	out bytes.Buffer
}

func newPacker() *packer { return &packer{} }

// deflateJSON packs vs, a JSON array written one value at a time, with p.
// It is not safe for concurrent use of one packer.
func deflateJSON[T any](p *packer, vs []T) ([]byte, error) {
	p.out.Reset()
	if p.z == nil {
		z, err := flate.NewWriter(&p.out, flate.DefaultCompression)
		if err != nil {
			return nil, err
		}
		p.z = z
	} else {
		p.z.Reset(&p.out)
	}
	if err := writeJSONArray(p.z, vs); err != nil {
		return nil, err
	}
	if err := p.z.Close(); err != nil {
		return nil, err
	}
	return bytes.Clone(p.out.Bytes()), nil
}

// writeJSONArray writes vs to w as a JSON array, encoding one value at a
// time, so that the encoder's buffer holds one value, not the array.
func writeJSONArray[T any](w io.Writer, vs []T) error {
	if _, err := w.Write([]byte{'['}); err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	for i := range vs {
		if i > 0 {
			if _, err := w.Write([]byte{','}); err != nil {
				return err
			}
		}
		if err := enc.Encode(&vs[i]); err != nil { // a pointer: a value would be copied to the heap
			return err
		}
	}
	_, err := w.Write([]byte{']'})
	return err
}

func inflateJSON[T any](packed []byte) ([]T, error) {
	var vs []T
	z := flate.NewReader(bytes.NewReader(packed))
	defer z.Close()
	if err := json.NewDecoder(z).Decode(&vs); err != nil {
		return nil, err
	}
	if _, err := io.Copy(io.Discard, z); err != nil {
		return nil, err
	}
	return vs, nil
}
