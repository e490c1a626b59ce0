package rabbitnode_test

import (
	"context"
	"fmt"
	"log"

	"github.com/distributer/distributer/internal/rabbitnode"
)

// A 3-node cluster, its multi-node URL, and a failure of the node that
// leads a quorum queue. In a test, use NewCluster(t, 3, opts) instead: it
// skips without RabbitMQ (fails with CI=true) and tears down in t.Cleanup.
func ExampleStartCluster() {
	ctx := context.Background()
	c, err := rabbitnode.StartCluster(ctx, 3, rabbitnode.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Teardown() // kills every node it started, always

	fmt.Println(c.URL() + "?queue_type=quorum") // amqp://guest:guest@127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3/?queue_type=quorum

	// ... declare a quorum queue "orders" through a client ...
	leader, err := c.QueueLeader(ctx, "orders")
	if err != nil {
		log.Fatal(err)
	}
	if err := leader.Kill(); err != nil { // kill -9 by PID
		log.Fatal(err)
	}
	if err := leader.Start(ctx); err != nil { // boots again, rejoins
		log.Fatal(err)
	}
	if err := c.WaitHealthy(ctx); err != nil {
		log.Fatal(err)
	}
}
