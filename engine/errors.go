package engine

import (
	"context"
	"errors"
	"net"
	"os"
	"syscall"

	"github.com/sockload/sockload/socketio"
)

// Error codes: each failed VU is counted as errors.<code> (see
// metrics.Registry.Error), with one of these codes or a check's kind
// (scenario.CheckError). The set is closed: what the server said goes in the
// error's samples, never in its name.
const (
	CodeConnectError     = "connect_error" // the server refused a namespace (CONNECT_ERROR)
	CodeConnect          = "connect error" // a connection failed otherwise
	CodeNotConnected     = "not connected"
	CodePayloadTooLarge  = "payload too large"
	CodeParse            = "parse error"
	CodeBadTarget        = "bad target"
	CodeBadAuth          = "bad auth"
	CodeBadThink         = "bad think"
	CodeBadLoop          = "bad loop"
	CodeBadLoopCount     = "bad loop count"
	CodeAckTimeout       = "ack timeout"
	CodeEmitTimeout      = "emit timeout"
	CodeResponseTimeout  = "response timeout"
	CodeWaitForTimeout   = "waitFor timeout"
	CodeFailedMatch      = "Failed match"
	CodeFailedCapture    = "Failed capture"
	CodeDataNotValid     = "data is not valid"
	CodeFailedExpect     = "Failed expectation"
	CodeBadURL           = "bad url"
	CodeBadJSON          = "bad json"
	CodeConnRefused      = "ECONNREFUSED"
	CodeConnReset        = "ECONNRESET"
	CodeAddrNotAvailable = "EADDRNOTAVAIL"
	CodeTooManyFiles     = "EMFILE"
	CodeBrokenPipe       = "EPIPE"
	CodeTimedOut         = "ETIMEDOUT"
	CodeNotFound         = "ENOTFOUND"
	// CodeSessionUnknown is Engine.IO's 400 "Session ID unknown": the
	// requests of one session reached different servers.
	CodeSessionUnknown = "Session ID unknown"
	CodeNotSocketIO    = "not socket.io"       // the target answered as no Socket.IO server does
	CodeServerVersion  = "wrong serverVersion" // serverVersion says 3/4, the server speaks 2.x
)

// ErrorCodes describes every code the engine counts, for the reference
// documentation; a new code is added here and to the docs, whose test
// compares the two.
var ErrorCodes = map[string]string{
	CodeConnectError:     "the server refused a namespace (its middleware called next(err)); the samples hold its message and data",
	CodeConnect:          "a connection failed for another reason; the samples say how",
	CodeNotConnected:     "a step needed a connection that was lost",
	CodePayloadTooLarge:  "an emit was larger than the server's maxPayload",
	CodeParse:            "an ack or event's arguments were not valid JSON",
	CodeBadTarget:        "the target URL could not be used",
	CodeBadAuth:          "the socketio auth did not render to an object",
	CodeBadThink:         "a think step's duration did not render to a duration",
	CodeBadLoop:          "a loop's over did not render to a list",
	CodeBadLoopCount:     "a loop's count did not render to a number",
	CodeAckTimeout:       "no acknowledgement within config.timeout",
	CodeEmitTimeout:      "an emit could not be written within config.timeout",
	CodeResponseTimeout:  "no response event within config.timeout",
	CodeWaitForTimeout:   "the events a waitFor step waited for did not all arrive in time",
	CodeFailedMatch:      "a match of an acknowledge, response, waitFor or HTTP step did not hold",
	CodeFailedCapture:    "a strict capture found nothing at its path (or header, or regexp)",
	CodeDataNotValid:     "args or data of an acknowledge, response or waitFor differed",
	CodeFailedExpect:     "an expect of an HTTP step did not hold (statusCode, contentType, hasHeader, hasProperty, equals)",
	CodeBadURL:           "an HTTP step's url did not render to a path or an http(s) URL",
	CodeBadJSON:          "an HTTP step's json did not encode",
	CodeConnRefused:      "nothing listens at the target address",
	CodeConnReset:        "the server or the network reset the connection",
	CodeAddrNotAvailable: "the generator ran out of local ports",
	CodeTooManyFiles:     "the generator hit its open-file limit",
	CodeBrokenPipe:       "the connection was closed while writing",
	CodeTimedOut:         "a connection, a handshake or an HTTP request timed out",
	CodeNotFound:         "the target's host name does not resolve",
	CodeSessionUnknown:   "a server answered 400 Session ID unknown: the requests of one session reached different backends; make the load balancer sticky (a cookie or the client's address), or use transports: [\"websocket\"]",
	CodeNotSocketIO:      "the target answered as no Socket.IO server does (a 404, an HTML page, a wrong path); the samples hold its status, content type and first bytes",
	CodeServerVersion:    "serverVersion names socket.io 3/4 but the server speaks socket.io 2.x's Engine.IO 3",
}

func init() {
	// Engine.IO's own refusals are counted under their names.
	for _, name := range socketio.EngineIOErrorNames() {
		if _, ok := ErrorCodes[name]; !ok {
			ErrorCodes[name] = "the server's Engine.IO refused a request: " + name
		}
	}
}

func errorsIsDeadline(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded)
}

func errorsIsPayloadTooLarge(err error) bool { return errors.Is(err, socketio.ErrPayloadTooLarge) }

// sentWithoutAck reports whether an emit with ack failed after the event was
// sent.
func sentWithoutAck(err error) bool {
	var na *socketio.NoAckError
	return errors.As(err, &na)
}

func errorsIsNotConnected(err error) bool {
	return errors.Is(err, socketio.ErrNotConnected) || errors.Is(err, socketio.ErrClosed)
}

// classifyNetworkError names a network failure as the errno users of
// Artillery know from its reports (ECONNREFUSED, ETIMEDOUT, ...).
func classifyNetworkError(err error) string {
	var notSIO *socketio.NotSocketIOError
	var eio *socketio.EngineIOError
	switch {
	case errors.Is(err, socketio.ErrSessionUnknown):
		return CodeSessionUnknown
	case errors.As(err, &notSIO):
		return CodeNotSocketIO
	case errors.As(err, &eio):
		return eio.Name()
	case errors.Is(err, socketio.ErrEngineV3):
		return CodeServerVersion
	case errors.Is(err, syscall.ECONNREFUSED):
		return CodeConnRefused
	case errors.Is(err, syscall.ECONNRESET):
		return CodeConnReset
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		// Out of ephemeral ports (or a bad source address).
		return CodeAddrNotAvailable
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return CodeTooManyFiles
	case errors.Is(err, syscall.EPIPE):
		return CodeBrokenPipe
	case errorsIsDeadline(err):
		return CodeTimedOut
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return CodeNotFound
	}
	if errorsIsNotConnected(err) {
		return CodeNotConnected
	}
	return CodeConnect
}
