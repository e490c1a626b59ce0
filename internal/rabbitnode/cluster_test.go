//go:build clustertest

package rabbitnode_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/distributer/distributer/internal/rabbitnode"
)

// TestCluster starts a 3-node cluster, checks that a quorum queue's leader
// is found and moves when its node is killed, and that the killed node
// rejoins. It runs in the serial cluster step (make test, tag clustertest).
func TestCluster(t *testing.T) {
	c := rabbitnode.NewCluster(t, 3, rabbitnode.Options{})
	nodes := c.Nodes()
	if len(nodes) != 3 {
		t.Fatalf("%d nodes", len(nodes))
	}
	if got := c.URL(); strings.Count(got, ",") != 2 || !strings.HasPrefix(got, "amqp://guest:guest@127.0.0.1:") {
		t.Fatalf("URL %q", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	// A quorum queue declared through node 2 is led by node 2.
	q := "rabbitnode-cluster-q"
	roundTrip(t, nodes[1].URL(), q, amqp.Table{"x-queue-type": "quorum"})
	leader, err := c.QueueLeader(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if leader != nodes[1] {
		t.Fatalf("leader %s, want %s", leader.Name(), nodes[1].Name())
	}
	if _, err := c.QueueLeader(ctx, "no-such-queue"); !errors.Is(err, rabbitnode.ErrNoQueue) {
		t.Fatalf("missing queue: %v", err)
	}

	// Kill the leader: another node takes over and serves the queue.
	if err := leader.Kill(); err != nil {
		t.Fatal(err)
	}
	var newLeader *rabbitnode.Node
	for deadline := time.Now().Add(30 * time.Second); ; {
		newLeader, err = c.QueueLeader(ctx, q)
		if err == nil && newLeader != leader {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no new leader: %v %v", newLeader, err)
		}
		time.Sleep(300 * time.Millisecond)
	}
	roundTrip(t, nodes[2].URL(), q, amqp.Table{"x-queue-type": "quorum"})

	// The killed node restarts and the cluster is whole again.
	if err := leader.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitHealthy(ctx); err != nil {
		t.Fatal(err)
	}
	roundTrip(t, leader.URL(), q, amqp.Table{"x-queue-type": "quorum"})
}
