package phases_test

import (
	"fmt"
	"time"

	"github.com/sockload/sockload/phases"
)

// The ramp's arrivals solve Λ(t) = t + t²/2 = k: t = √(1+2k) − 1.
func ExamplePlan_Schedule() {
	plan := phases.Plan{
		{Name: "warm up", Duration: 2 * time.Second, ArrivalRate: 2},
		{Name: "ramp", Duration: 2 * time.Second, ArrivalRate: 1, RampTo: 3},
	}
	s, err := plan.Schedule(1)
	if err != nil {
		fmt.Println(err)
		return
	}
	for a := range s.All() {
		fmt.Println(a.At, plan[a.Phase].Name)
	}
	// Output:
	// 0s warm up
	// 500ms warm up
	// 1s warm up
	// 1.5s warm up
	// 2s ramp
	// 2.732050808s ramp
	// 3.236067977s ramp
	// 3.645751311s ramp
}

func ExamplePlan_Shard() {
	plan := phases.Plan{{Duration: time.Second, ArrivalCount: 5, MaxVusers: 10}}
	for i := 1; i <= 2; i++ {
		shard, _ := plan.Shard(i, 2)
		s, _ := shard.Schedule(0)
		fmt.Print(shard[0], ":")
		for a := range s.All() {
			fmt.Print(" ", a.At)
		}
		fmt.Println()
	}
	// Output:
	// 3 arrivals for 1s, at most 5 vusers, shard 1/2: 0s 400ms 800ms
	// 2 arrivals for 1s, at most 5 vusers, shard 2/2: 200ms 600ms
}
