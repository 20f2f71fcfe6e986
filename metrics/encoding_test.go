package metrics

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/HdrHistogram/hdrhistogram-go"
)

func TestEncodeRoundTrip(t *testing.T) {
	full := NewHistogram()
	rng := rand.New(rand.NewPCG(3, 4))
	for range 100000 {
		_ = full.RecordValue(rng.Int64N(HighestValue) + 1)
	}
	huge := NewHistogram()
	_ = huge.RecordValues(HighestValue, math.MaxInt64/2)
	_ = huge.RecordValues(1, math.MaxInt64/2)
	tests := map[string]*hdrhistogram.Histogram{
		"empty":         NewHistogram(),
		"one value":     record(NewHistogram(), 1234),
		"both ends":     record(NewHistogram(), LowestValue, HighestValue),
		"random spread": full,
		"huge counts":   huge,
	}
	for name, h := range tests {
		t.Run(name, func(t *testing.T) {
			enc, err := EncodeHistogram(h)
			if err != nil {
				t.Fatal(err)
			}
			if len(enc) > MaxEncodedLen {
				t.Errorf("encoding takes %d bytes, more than MaxEncodedLen", len(enc))
			}
			got, err := DecodeHistogram(enc)
			if err != nil {
				t.Fatal(err)
			}
			sameCounts(t, name, got, h)
			raw, err := EncodeHistogramBytes(h)
			if err != nil {
				t.Fatal(err)
			}
			if b64 := base64.StdEncoding.EncodeToString(raw); b64 != enc {
				t.Errorf("EncodeHistogramBytes is not the bytes of EncodeHistogram")
			}
			fromBytes, err := DecodeHistogramBytes(raw)
			if err != nil {
				t.Fatal(err)
			}
			sameCounts(t, name, fromBytes, h)
		})
	}
}

// TestEncodeWritesTheLibrarysBytes checks EncodeHistogram against
// hdrhistogram-go's own Encode, byte for byte, over histograms of the
// package's geometry and of others (a lowest value above 1, fewer digits).
func TestEncodeWritesTheLibrarysBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	spread := func(h *hdrhistogram.Histogram, n int, max int64) *hdrhistogram.Histogram {
		for range n {
			_ = h.RecordValues(rng.Int64N(max)+1, rng.Int64N(1000)+1)
		}
		return h
	}
	huge := NewHistogram()
	_ = huge.RecordValues(HighestValue, math.MaxInt64/2)
	tests := map[string]*hdrhistogram.Histogram{
		"empty":                   NewHistogram(),
		"zero":                    record(NewHistogram(), 0),
		"one value":               record(NewHistogram(), 1234),
		"first two buckets":       record(NewHistogram(), 0, 1),
		"both ends":               record(NewHistogram(), LowestValue, HighestValue),
		"a second of acks":        spread(NewHistogram(), 600, 20_000),
		"random spread":           spread(NewHistogram(), 100_000, HighestValue),
		"huge counts":             huge,
		"lowest 1000, 2 digits":   spread(hdrhistogram.New(1000, 1e9, 2), 5000, 1e9-1),
		"lowest 1, 5 digits":      spread(hdrhistogram.New(1, 1e7, 5), 5000, 1e7-1),
		"empty other geometry":    hdrhistogram.New(7, 1e6, 1),
		"only the highest bucket": record(hdrhistogram.New(1, 1e6, 3), 1e6),
	}
	for name, h := range tests {
		t.Run(name, func(t *testing.T) {
			want, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
			if err != nil {
				t.Fatal(err)
			}
			got, err := EncodeHistogram(h)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("EncodeHistogram differs from hdrhistogram-go's Encode:\n got %.120s...\nwant %.120s...", got, want)
			}
		})
	}
}

func TestEncodeConcurrently(t *testing.T) {
	var wg sync.WaitGroup
	for g := range 4 {
		h := record(NewHistogram(), int64(g)+1, 1000*int64(g)+7)
		want, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			for range 50 {
				if got, err := EncodeHistogram(h); err != nil || got != string(want) {
					t.Errorf("goroutine %d: EncodeHistogram = %.40s..., %v; want the library's bytes", g, got, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestEncodeAllocatesLittle(t *testing.T) {
	h := NewHistogram()
	rng := rand.New(rand.NewPCG(7, 8))
	for range 600 {
		_ = h.RecordValue(rng.Int64N(20_000) + 1)
	}
	_, _ = EncodeHistogram(h) // the pool's compressor
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	const n = 20
	for range n {
		if _, err := EncodeHistogram(h); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	// The counts' copy (184 KiB) and the output; the library's Encode
	// allocated about 1 MB more, for its compressor.
	if per := (after.TotalAlloc - before.TotalAlloc) / n; per > 400<<10 {
		t.Errorf("an encoding allocates %d KiB, want under 400", per>>10)
	}
}

func TestBucketCount(t *testing.T) {
	if n := len(NewHistogram().Export().Counts); n != bucketCount {
		t.Errorf("the geometry has %d buckets, bucketCount says %d", n, bucketCount)
	}
}

func record(h *hdrhistogram.Histogram, values ...int64) *hdrhistogram.Histogram {
	for _, v := range values {
		_ = h.RecordValue(v)
	}
	return h
}

// forge builds an encoded histogram from an inner header and payload, as a
// hostile writer could.
func forge(cookie uint32, payloadLen int32, digits int32, lowest, highest int64, payload []byte) string {
	var body bytes.Buffer
	for _, field := range []any{cookie, payloadLen, int32(0), digits, lowest, highest, float64(1)} {
		if err := binary.Write(&body, binary.BigEndian, field); err != nil {
			panic(err)
		}
	}
	body.Write(payload)
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	_, _ = w.Write(body.Bytes())
	_ = w.Close()
	var out bytes.Buffer
	_ = binary.Write(&out, binary.BigEndian, uint32(compressedCookie|0x10))
	_ = binary.Write(&out, binary.BigEndian, uint32(z.Len()))
	out.Write(z.Bytes())
	return base64.StdEncoding.EncodeToString(out.Bytes())
}

func hostileInputs() map[string]string {
	const cookie = bodyCookie | 0x10
	valid, _ := EncodeHistogram(record(NewHistogram(), 42))
	raw, _ := base64.StdEncoding.DecodeString(valid)
	withLength := func(n uint32) string {
		b := append([]byte(nil), raw...)
		binary.BigEndian.PutUint32(b[4:8], n)
		return base64.StdEncoding.EncodeToString(b)
	}
	zeros := bytes.Repeat([]byte{0}, 4<<20)
	return map[string]string{
		"empty":                "",
		"not base64":           "!!!!",
		"too long":             strings.Repeat("A", MaxEncodedLen+4),
		"short":                base64.StdEncoding.EncodeToString([]byte{0x1c, 0x84}),
		"bad cookie":           base64.StdEncoding.EncodeToString(append([]byte{1, 2, 3, 4}, raw[4:]...)),
		"length past the end":  withLength(uint32(len(raw))),
		"negative length":      withLength(0x80000000),
		"truncated":            base64.StdEncoding.EncodeToString(raw[:len(raw)-6]),
		"not zlib":             base64.StdEncoding.EncodeToString(append(append([]byte(nil), raw[:8]...), bytes.Repeat([]byte{7}, len(raw)-8)...)),
		"huge geometry":        forge(cookie, 0, 5, 1, math.MaxInt64, nil),
		"other digits":         forge(cookie, 0, 2, 1, HighestValue, nil),
		"other highest":        forge(cookie, 0, 3, 1, HighestValue*2, nil),
		"bad body cookie":      forge(0x12345678, 0, 3, 1, HighestValue, nil),
		"negative payload":     forge(cookie, -1, 3, 1, HighestValue, nil),
		"payload too large":    forge(cookie, math.MaxInt32, 3, 1, HighestValue, nil),
		"payload shorter":      forge(cookie, 10, 3, 1, HighestValue, []byte{2}),
		"zero run overflow":    forge(cookie, 3, 3, 1, HighestValue, []byte{0xff, 0xff, 0x0f}),
		"index past the end":   forge(cookie, 4, 3, 1, HighestValue, []byte{0xfd, 0xff, 0x02, 0x02}),
		"zlib bomb of zeros":   forge(cookie, 1000, 3, 1, HighestValue, zeros),
		"counts sum overflows": forge(cookie, 18, 3, 1, HighestValue, []byte{0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}),
	}
}

// TestDecodeRejectsHostileInput checks that bad input gives an error, and
// that a header declaring a huge histogram is refused before anything is
// allocated from it.
func TestDecodeRejectsHostileInput(t *testing.T) {
	for name, in := range hostileInputs() {
		t.Run(name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			h, err := DecodeHistogram(in)
			runtime.ReadMemStats(&after)
			if err == nil {
				t.Fatalf("decoded %d values, want an error", h.TotalCount())
			}
			if !errors.Is(err, ErrEncoding) {
				t.Errorf("error %v does not wrap ErrEncoding", err)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
				t.Errorf("decoding allocated %d bytes", alloc)
			}
		})
	}
}
