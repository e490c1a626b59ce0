package amqp_test

import (
	"testing"
	"time"

	"github.com/distributer/distributer/distributertest"
	_ "github.com/distributer/distributer/drivers/amqp"
)

// The shared conformance suite against the real broker, once with classic
// group queues and once with quorum ones.
func TestConformance(t *testing.T) {
	for _, qt := range []string{"classic", "quorum"} {
		t.Run(qt, func(t *testing.T) {
			base := brokerURL(t)
			distributertest.Run(t, distributertest.Harness{
				NewURL: func(t *testing.T) string {
					u, _ := newNamespace(t, base, []string{"g", "workers"}, "max_attempts", "3", "queue_type", qt)
					return u
				},
				MaxAttempts: 3,
				DeadLetters: watchDeadLetters,
				Timeout:     15 * time.Second,
				Quiet:       300 * time.Millisecond,
				CloseLoops:  20,
			})
		})
	}
}
