package memory_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/distributer/distributer"
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
		Jam:         jam,
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

// jam fills a subscription to topic on rawURL's bus whose queue holds one
// message and whose handler blocks until release: publishing to topic then
// waits for room (distributertest.Harness.Jam).
func jam(t *testing.T, rawURL, topic string) (release func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sep := "?"
	if strings.Contains(rawURL, "?") {
		sep = "&"
	}
	d, err := distributer.Open(ctx, rawURL+sep+"buffer=1", distributer.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	block, taken := make(chan struct{}), make(chan struct{}, 1)
	if _, err := d.Subscribe(ctx, []string{topic}, distributer.HandlerFunc(func(ctx context.Context, _ *distributer.Message) error {
		select {
		case taken <- struct{}{}:
		default:
		}
		select {
		case <-block:
		case <-ctx.Done():
		}
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	if err := d.Publish(ctx, topic, []byte(`{"jam":true}`)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-taken:
	case <-ctx.Done():
		t.Fatal("jam: the blocking handler got no message")
	}
	var once sync.Once
	release = func() { once.Do(func() { close(block) }) }
	t.Cleanup(func() { release(); _ = d.Close() })
	return release
}
