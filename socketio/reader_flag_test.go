package socketio

import "flag"

func init() {
	flag.BoolVar(&goroutineReaderOnly, "goroutine-reader", false,
		"read every websocket with a goroutine, as without the poller (run the tests both ways)")
	flag.BoolVar(&readAcksInline, "inline-acks", true,
		"ack waiters read their connection on the poller themselves (false: they wait for a worker's delivery)")
}
