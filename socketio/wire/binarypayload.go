package wire

import "strconv"

// AppendBinaryPayloadV3 appends packets encoded as one Engine.IO v3 polling
// body in the binary form, which v3 servers send, as
// application/octet-stream, to a client that did not ask for base64 (no b64
// query parameter) when the body holds a binary packet. Each packet is
// introduced by 0x00 (text) or 0x01 (binary), the decimal digits of its
// length in bytes each as a byte 0-9, and 0xFF; a text packet follows as its
// type digit and UTF-8 data, a binary one as the type byte 4 (message) and
// its data. DecodePayload reads this form.
func AppendBinaryPayloadV3(dst []byte, packets []Packet) []byte {
	for _, p := range packets {
		kind := byte(0x00)
		if p.Binary {
			kind = 0x01
		}
		dst = append(dst, kind)
		dst = appendLengthBytes(dst, 1+len(p.Data))
		dst = append(dst, 0xFF)
		if p.Binary {
			dst = append(dst, byte(Message))
		} else {
			dst = append(dst, '0'+byte(p.Type))
		}
		dst = append(dst, p.Data...)
	}
	return dst
}

// appendLengthBytes appends the decimal digits of n, each as its value 0-9.
func appendLengthBytes(dst []byte, n int) []byte {
	start := len(dst)
	dst = strconv.AppendInt(dst, int64(n), 10)
	for i := start; i < len(dst); i++ {
		dst[i] -= '0'
	}
	return dst
}

// HasBinary reports whether any of packets is binary: a v3 server answers a
// polling client that supports binary in the binary form only then.
func HasBinary(packets []Packet) bool {
	for _, p := range packets {
		if p.Binary {
			return true
		}
	}
	return false
}
