package metrics

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// The V2 compressed encoding of HdrHistogram (as written by the Java, C and
// Go implementations): base64 of a 4-byte cookie, a 4-byte length and the
// zlib-compressed body; the body starts with a 40-byte header (cookie,
// payload length, normalizing offset, significant digits, lowest and
// highest trackable values, conversion ratio) followed by the counts as
// zig-zag LEB128 varints, runs of zeros as negative numbers.
const (
	compressedCookie = 0x1c849304 // low nibble 0; the next one is a word size
	bodyCookie       = 0x1c849303
	headerLen        = 40

	// MaxEncodedLen bounds the text DecodeHistogram accepts. A histogram of
	// the package's geometry encodes to at most about 290 KB, even with
	// every bucket full of huge counts.
	MaxEncodedLen = 1 << 20
)

// ErrEncoding is wrapped by every error of DecodeHistogram.
var ErrEncoding = errors.New("invalid encoded histogram")

// EncodeHistogram returns the histogram in HdrHistogram's V2 compressed
// encoding, base64, as HdrHistogram's tools read it. The encoding is exact:
// DecodeHistogram returns a histogram with the same count in every bucket.
// It writes the bytes hdrhistogram-go's Encode writes (a test checks), but
// with one compressor kept for the process: Encode makes a new one, about
// 1 MB, for every histogram, and the report encodes several a second. It
// is safe for concurrent use.
func EncodeHistogram(h *hdrhistogram.Histogram) (string, error) {
	raw, err := EncodeHistogramBytes(h)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(raw), nil
}

// EncodeHistogramBytes is EncodeHistogram without the base64: the bytes it
// encodes, a quarter fewer, for histograms kept in memory.
func EncodeHistogramBytes(h *hdrhistogram.Histogram) ([]byte, error) {
	var body []byte
	var ratio float64
	if counts := countsOf(h); counts != nil {
		// The counts read in place, not copied (Export): only those up to
		// the largest value are written.
		counts = usedCounts(counts, h.TotalCount())
		body = appendCounts(make([]byte, headerLen, headerLen+256), counts)
		ratio = conversionRatio(h)
	} else {
		snap := h.Export()
		body = appendCounts(make([]byte, headerLen, headerLen+len(snap.Counts)), snap.Counts)
		ratio = snap.IntegerToDoubleConversionRatio
	}
	if ratio == 0 {
		ratio = 1
	}
	binary.BigEndian.PutUint32(body[0:4], bodyCookie|0x10)
	binary.BigEndian.PutUint32(body[4:8], uint32(len(body)-headerLen))
	binary.BigEndian.PutUint32(body[8:12], 0) // normalizing index offset
	binary.BigEndian.PutUint32(body[12:16], uint32(int32(h.SignificantFigures())))
	binary.BigEndian.PutUint64(body[16:24], uint64(h.LowestTrackableValue()))
	binary.BigEndian.PutUint64(body[24:32], uint64(h.HighestTrackableValue()))
	binary.BigEndian.PutUint64(body[32:40], math.Float64bits(ratio))

	out := bytes.NewBuffer(make([]byte, 8, 8+len(body)/2))
	if err := compress(out, body); err != nil {
		return nil, fmt.Errorf("encoding histogram: %w", err)
	}
	raw := out.Bytes()
	binary.BigEndian.PutUint32(raw[0:4], compressedCookie|0x10)
	binary.BigEndian.PutUint32(raw[4:8], uint32(len(raw)-8))
	return raw, nil
}

// compressor is the one zlib writer of the process, at the level
// HdrHistogram's encoders use. One, not a sync.Pool of them: it holds about
// 0.9 MB, a pool as many as encodings ran at once until a collection or
// two later, and the encodings (the report's, a few a second) seldom
// overlap.
var compressor struct {
	sync.Mutex
	z *zlib.Writer
}

// compress writes body to out, zlib-compressed.
func compress(out io.Writer, body []byte) error {
	compressor.Lock()
	defer compressor.Unlock()
	if compressor.z == nil {
		compressor.z, _ = zlib.NewWriterLevel(out, zlib.BestCompression) // a valid level: no error
	} else {
		compressor.z.Reset(out)
	}
	if _, err := compressor.z.Write(body); err != nil {
		return err
	}
	return compressor.z.Close()
}

// appendCounts appends counts as the V2 payload: up to the last bucket
// with a count (the first bucket at least), each count a zig-zag varint,
// and a run of more than one empty bucket as the run's length, negated.
func appendCounts(b []byte, counts []int64) []byte {
	limit := 1
	for i := len(counts) - 1; i > 0; i-- {
		if counts[i] != 0 {
			limit = i + 1
			break
		}
	}
	for i := 0; i < limit && i < len(counts); {
		c := counts[i]
		i++
		if c == 0 {
			zeros := int64(1)
			for i < limit && counts[i] == 0 {
				zeros++
				i++
			}
			if zeros > 1 {
				c = -zeros
			}
		}
		b = appendZigZag(b, c)
	}
	return b
}

// appendZigZag appends v as HdrHistogram's LEB128-64b9B varint of its
// zig-zag form: seven bits a byte, the ninth byte, if any, taking eight.
func appendZigZag(b []byte, v int64) []byte {
	u := uint64(v<<1) ^ uint64(v>>63)
	for i := 0; i < 8; i++ {
		if u>>7 == 0 {
			return append(b, byte(u))
		}
		b = append(b, byte(u&0x7f|0x80))
		u >>= 7
	}
	return append(b, byte(u))
}

// DecodeHistogram reads what EncodeHistogram writes. It accepts only the
// package's geometry (1 µs .. 1 h, 3 significant digits), the only one that
// merges exactly, and checks the header before the decoder allocates
// anything from it: hostile input is rejected with an error wrapping
// ErrEncoding, never a panic or an allocation larger than a histogram.
func DecodeHistogram(s string) (*hdrhistogram.Histogram, error) {
	if len(s) > MaxEncodedLen {
		return nil, fmt.Errorf("%w: %d bytes, more than the %d a histogram takes", ErrEncoding, len(s), MaxEncodedLen)
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrEncoding, err)
	}
	if err := checkHeader(raw); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrEncoding, err)
	}
	h, err := hdrhistogram.Decode([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrEncoding, err)
	}
	if err := checkGeometry(h); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrEncoding, err)
	}
	return h, nil
}

// DecodeHistogramBytes reads what EncodeHistogramBytes writes, as
// DecodeHistogram does.
func DecodeHistogramBytes(raw []byte) (*hdrhistogram.Histogram, error) {
	if base64.StdEncoding.EncodedLen(len(raw)) > MaxEncodedLen {
		return nil, fmt.Errorf("%w: %d bytes, more than a histogram takes", ErrEncoding, len(raw))
	}
	return DecodeHistogram(base64.StdEncoding.EncodeToString(raw))
}

// checkHeader validates the outer and inner headers of a decoded (base64)
// histogram, inflating no more than the inner header.
func checkHeader(raw []byte) error {
	if len(raw) < 8 {
		return fmt.Errorf("%d bytes, shorter than the 8-byte header", len(raw))
	}
	if cookie := binary.BigEndian.Uint32(raw[0:4]) &^ 0xf0; cookie != compressedCookie {
		return fmt.Errorf("cookie %#x is not a V2 compressed histogram", cookie)
	}
	n := binary.BigEndian.Uint32(raw[4:8])
	if uint64(n) > uint64(len(raw)-8) {
		return fmt.Errorf("compressed length %d exceeds the %d bytes present", n, len(raw)-8)
	}
	z, err := zlib.NewReader(bytes.NewReader(raw[8 : 8+n]))
	if err != nil {
		return err
	}
	defer z.Close()
	var hdr [headerLen]byte
	if _, err := io.ReadFull(z, hdr[:]); err != nil {
		return fmt.Errorf("reading the header: %v", err)
	}
	var (
		cookie  = binary.BigEndian.Uint32(hdr[0:4]) &^ 0xf0
		payload = int32(binary.BigEndian.Uint32(hdr[4:8]))
		digits  = int32(binary.BigEndian.Uint32(hdr[12:16]))
		lowest  = int64(binary.BigEndian.Uint64(hdr[16:24]))
		highest = int64(binary.BigEndian.Uint64(hdr[24:32]))
		ratio   = math.Float64frombits(binary.BigEndian.Uint64(hdr[32:40]))
	)
	switch {
	case cookie != bodyCookie:
		return fmt.Errorf("body cookie %#x is not a V2 histogram", cookie)
	case digits != SignificantDigits || lowest != LowestValue || highest != HighestValue:
		return fmt.Errorf("histogram tracks %d..%d at %d digits, not %d..%d at %d digits; it cannot be merged exactly",
			lowest, highest, digits, LowestValue, HighestValue, SignificantDigits)
	case payload < 0 || payload > maxPayload:
		return fmt.Errorf("payload length %d out of range 0..%d", payload, maxPayload)
	case ratio != 1 && ratio != 0:
		return fmt.Errorf("conversion ratio %v; sockload histograms hold plain microseconds", ratio)
	}
	return nil
}

// bucketCount is the number of buckets of the package's geometry (checked
// by a test), and maxPayload the largest counts payload it encodes to: one
// varint of at most 9 bytes per bucket.
const (
	bucketCount = 23552
	maxPayload  = bucketCount * 9
)
