package engine

import (
	"context"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/sockload/sockload/internal/cluster"
	"github.com/sockload/sockload/metrics"
)

// chatScenario has members VUs join room r within a second, wait until all
// have joined, each send messages traced chat messages to the others, then
// stay to receive theirs: past the last sender's deadline (config.timeout
// after its send), since a member that ends before a deadline is no longer
// expected.
const chatScenario = `
config:
  target: "%%s"
  timeout: 2
  phases:
    - duration: 1
      arrivalCount: %d
  socketio:
    transports: %s
scenarios:
  - engine: socketio
    flow:
      - emit: ["join", "r"]
        acknowledge: true
        joinGroup: "r"
      - think: 2
      - loop:
          - emit: ["chat", {room: "r", trace: "{{ $trace }}"}]
            to: "r"
          - think: "%s"
        count: %d
      - think: 5
`

func runChat(t *testing.T, c *cluster.Cluster, members, messages int, transports string, gap time.Duration) metrics.Snapshot {
	t.Helper()
	s := loadScript(t, c.URL, fmt.Sprintf(chatScenario, members, transports, gap, messages))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, snap := runScript(t, ctx, s)
	if snap.Counters[MetricVUsersCompleted] != int64(members) {
		t.Fatalf("%d of %d VUs completed: %v", snap.Counters[MetricVUsersCompleted], members, snap.Counters)
	}
	return snap
}

func TestClusterReachThroughTheRedisAdapter(t *testing.T) {
	if testing.Short() {
		t.Skip("a 10-second run on a real cluster; skipped in -short mode")
	}
	c := cluster.Start(t, cluster.Options{Adapter: true, Sticky: true})
	const members = 30
	// Polling first, then upgrade: the cookie keeps each client on its node.
	snap := runChat(t, c, members, 1, `["polling", "websocket"]`, 100*time.Millisecond)
	want := int64(members * (members - 1))
	expectCounters(t, snap, map[string]int64{
		MetricExpected + ".chat":   want,
		MetricDelivered + ".chat":  want,
		MetricMissing + ".chat":    0,
		MetricDuplicates + ".chat": 0,
		MetricLate:                 0,
	})
	delivered := 0
	for _, s := range c.Stats(t) {
		if s.Connections == 0 {
			t.Errorf("node %s has no member of the room: the room is not spread over the cluster", s.Name)
		}
		delivered += s.Delivered
	}
	if delivered != int(want) {
		t.Errorf("the nodes delivered %d chat messages, the VUs received %d", delivered, want)
	}
}

func TestClusterWithoutTheAdapterReachesOnlyTheSendersNode(t *testing.T) {
	if testing.Short() {
		t.Skip("a 10-second run on a real cluster; skipped in -short mode")
	}
	c := cluster.Start(t, cluster.Options{Sticky: true})
	const members = 30
	snap := runChat(t, c, members, 1, `["websocket"]`, 100*time.Millisecond)
	expected, delivered, missing := snap.Counters[MetricExpected+".chat"], snap.Counters[MetricDelivered+".chat"], snap.Counters[MetricMissing+".chat"]
	if expected != members*(members-1) || delivered+missing != expected {
		t.Fatalf("expected %d, delivered %d, missing %d", expected, delivered, missing)
	}
	// Ten members per node: a message reaches the 9 others of its node,
	// and misses the 20 of the two other nodes.
	if share := float64(missing) / float64(expected); share < 0.55 || share > 0.8 {
		t.Errorf("missing %d of %d (%.0f%%), want about two thirds", missing, expected, 100*share)
	}
	nodeDelivered := 0
	for _, s := range c.Stats(t) {
		nodeDelivered += s.Delivered
	}
	if int64(nodeDelivered) != delivered {
		t.Errorf("the nodes delivered %d, the VUs count %d", nodeDelivered, delivered)
	}
}

func TestClusterMissingIsWhatTheNodeDropped(t *testing.T) {
	if testing.Short() {
		t.Skip("a 12-second run on a real cluster; skipped in -short mode")
	}
	c := cluster.Start(t, cluster.Options{Adapter: true, Sticky: true, Drop: 0.1})
	const members = 30
	snap := runChat(t, c, members, 3, `["websocket"]`, 200*time.Millisecond)
	dropped := 0
	for _, s := range c.Stats(t) {
		dropped += s.Dropped
	}
	if dropped == 0 {
		t.Fatal("the node dropped nothing: the test proves nothing")
	}
	expectCounters(t, snap, map[string]int64{
		MetricExpected + ".chat": members * (members - 1) * 3,
		MetricMissing + ".chat":  int64(dropped),
		MetricLate:               0,
	})
}

func TestClusterDeliveryTimeAgreesWithAnObserver(t *testing.T) {
	if testing.Short() {
		t.Skip("a 12-second run on a real cluster; skipped in -short mode")
	}
	if raceDetector {
		t.Skip("a timing comparison on a light load: the README's test command runs it without -race")
	}
	// Each node holds a message 100 ms before relaying it, as the busy
	// cross-node deliveries of a real cluster take: both clocks see that,
	// and the sender's own leg to the server (which only sockload sees,
	// a few milliseconds on a loaded machine) is small beside it.
	c := cluster.Start(t, cluster.Options{Adapter: true, Sticky: true, RelayDelay: 100 * time.Millisecond})
	const members, messages = 10, 5
	observed := c.Observer(t, "r", members*messages, 40*time.Second)
	snap := runChat(t, c, members, messages, `["websocket"]`, 300*time.Millisecond)
	delays := observed()
	if len(delays) != members*messages {
		t.Fatalf("the observer saw %d messages, want %d", len(delays), members*messages)
	}
	slices.Sort(delays)
	observer := delays[len(delays)/2]
	h := snap.Histograms[MetricDeliveryTime+".chat"]
	if h == nil {
		t.Fatal("no delivery time")
	}
	sockload := float64(h.ValueAtQuantile(50)) / 1000
	t.Logf("delivery time p50: sockload %.2f ms, observer %.2f ms", sockload, observer)
	if math.Abs(sockload-observer)/observer > 0.10 {
		t.Errorf("delivery time p50: sockload %.2f ms, observer %.2f ms: more than 10%% apart", sockload, observer)
	}
}
