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
	packed [][]byte // full chunks, deflated JSON arrays
	read   [][]T    // full chunks read back, by index in packed (nil: not yet)
	open   []T
}

func newPackedLog[T any](chunk int) packedLog[T] {
	return packedLog[T]{chunk: chunk}
}

func (l *packedLog[T]) append(v T) {
	if l.open == nil {
		l.open = make([]T, 0, l.chunk)
	}
	l.open = append(l.open, v)
	if len(l.open) < l.chunk {
		return
	}
	packed, err := deflateJSON(l.open)
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

// deflateJSON packs vs with a compressor of its own: made once a chunk
// (minutes apart), it costs less than one kept for the run.
func deflateJSON[T any](vs []T) ([]byte, error) {
	var buf bytes.Buffer
	z, err := flate.NewWriter(&buf, flate.DefaultCompression)
	if err != nil {
		return nil, err
	}
	if err := json.NewEncoder(z).Encode(vs); err != nil {
		return nil, err
	}
	if err := z.Close(); err != nil {
		return nil, err
	}
	return bytes.Clone(buf.Bytes()), nil
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
