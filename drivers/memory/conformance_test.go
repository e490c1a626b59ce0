package memory_test

import (
	"context"
	"fmt"
	"net/url"
	"sync/atomic"
	"testing"

	"github.com/distributer/distributer/distributertest"
	"github.com/distributer/distributer/drivers/memory"
)

var busCounter atomic.Int64

// newBus returns a name no other test uses.
func newBus() string { return fmt.Sprintf("test-%d", busCounter.Add(1)) }

func TestConformance(t *testing.T) {
	distributertest.Run(t, distributertest.Harness{
		NewURL:      func(t *testing.T) string { return "memory://" + newBus() + "?max_attempts=3" },
		MaxAttempts: 3,
		DeadLetters: watchDeadLetters,
		// Only the runtime publishes to a bus: no foreign or undecodable
		// messages to test.
		Capabilities: distributertest.Capabilities{DurableGroups: true, Ordering: true},
	})
}

// watchDeadLetters follows the dead letters of the bus of rawURL until the
// test ends.
func watchDeadLetters(t *testing.T, rawURL string) <-chan distributertest.DeadLetter {
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	out := make(chan distributertest.DeadLetter, 100)
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	t.Cleanup(func() { cancel(); <-stopped })
	go func() {
		defer close(stopped)
		var seq uint64
		for {
			dls, err := memory.WaitDeadLetters(ctx, u.Host, seq)
			if err != nil {
				return
			}
			for _, dl := range dls {
				seq = dl.Seq
				select {
				case out <- distributertest.DeadLetter{
					Topic: dl.Message.Topic, Body: dl.Message.Body, ID: dl.Message.ID,
					Headers: dl.Message.Headers, Reason: dl.Reason, Attempt: dl.Message.Attempt,
				}:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out
}
