package target_test

import (
	"context"
	"fmt"
	"log"
	"net/http"

	"github.com/sockload/sockload/target"
)

// A load test starts the target in-process on a free loopback port, points
// its virtual users at srv.URL(), and reads the exact counts afterwards.
func ExampleStart() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // stops the target, as srv.Close does

	delay, _ := target.ParseDelay("uniform:5ms-20ms")
	srv, err := target.Start(ctx, target.Config{
		Addr:     "127.0.0.1:0",
		Capacity: 1000, // events per second: its breaking point
		AckDelay: delay,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	resp, err := http.Get(srv.URL() + "/socket.io/?EIO=4&transport=polling")
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, srv.Stats().OpenSessions)
	// Output: 200 1
}
