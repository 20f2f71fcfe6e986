package socketio

import "flag"

func init() {
	flag.BoolVar(&goroutineReaderOnly, "goroutine-reader", false,
		"read every websocket with a goroutine, as without the poller (run the tests both ways)")
}
