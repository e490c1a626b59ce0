package amqp_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/distributer/distributer"
)

// A poison message (the handler always fails) is delivered max_attempts
// times and then lands in the group's dead-letter queue (the dead-letter
// exchange's queue named after the group's queue) with the driver's
// headers, while 300 other messages keep flowing through a small prefetch
// window. (The runtime's decisions, the same on every driver, are the
// conformance suite's: RedeliveryThenDeadLetter, RetryBehindWaiting,
// NotJSON, ...)
func TestPoisonMessage(t *testing.T) {
	for _, qt := range []string{"classic", "quorum"} {
		t.Run(qt, func(t *testing.T) {
			base := brokerURL(t)
			const maxAttempts = 4
			raw, ns := newNamespace(t, base, []string{"workers"}, "max_attempts", fmt.Sprint(maxAttempts), "queue_type", qt, "prefetch", "8")
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			d, err := distributer.Open(ctx, raw)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()

			const n = 300
			var (
				mu       sync.Mutex
				poisoned []int // attempts seen for the poison message
				good     = map[string]int{}
				allGood  = make(chan struct{})
			)
			h := distributer.HandlerFunc(func(_ context.Context, m *distributer.Message) error {
				mu.Lock()
				defer mu.Unlock()
				if m.ID == "poison" {
					poisoned = append(poisoned, m.Attempt)
					return errors.New("cannot digest this")
				}
				good[m.ID]++
				if len(good) == n {
					close(allGood)
				}
				return nil
			})
			if _, err := d.Subscribe(ctx, []string{"food.#"}, h, distributer.Group("workers")); err != nil {
				t.Fatal(err)
			}
			if err := d.Publish(ctx, "food.bad", []byte(`{"poison":true}`), distributer.WithID("poison")); err != nil {
				t.Fatal(err)
			}
			c, err := amqp091.Dial(plainURL(base))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			ch, err := c.Channel()
			if err != nil {
				t.Fatal(err)
			}
			for i := range n {
				if err := d.Publish(ctx, "food.good", []byte(`{}`), distributer.WithID(fmt.Sprint("good-", i))); err != nil {
					t.Fatal(err)
				}
			}
			select {
			case <-allGood:
			case <-ctx.Done():
				mu.Lock()
				t.Fatalf("only %d of %d good messages handled", len(good), n)
			}

			dlq := ns.dlx + "." + ns.prefix + "workers"
			letters := map[string]amqp091.Delivery{}
			for len(letters) < 1 && ctx.Err() == nil {
				m, ok, err := ch.Get(dlq, true)
				if err != nil {
					t.Fatal(err)
				}
				if !ok {
					time.Sleep(20 * time.Millisecond)
					continue
				}
				letters[m.MessageId] = m
			}
			p, ok := letters["poison"]
			if !ok {
				t.Fatalf("poison message not in %s (got %v)", dlq, letters)
			}
			if p.Headers["x-distributer-topic"] != "food.bad" || p.Headers["x-distributer-attempts"] != int32(maxAttempts) {
				t.Errorf("poison dead letter headers %v", p.Headers)
			}
			if r, _ := p.Headers["x-distributer-reason"].(string); !strings.Contains(r, "cannot digest this") {
				t.Errorf("poison dead letter reason %q", r)
			}
			if string(p.Body) != `{"poison":true}` {
				t.Errorf("poison dead letter body %s", p.Body)
			}
			if p.Headers["x-distributer-queue"] != ns.prefix+"workers" || p.Headers["x-distributer-group"] != "workers" {
				t.Errorf("poison dead letter queue and group headers %v", p.Headers)
			}
			mu.Lock()
			defer mu.Unlock()
			if fmt.Sprint(poisoned) != fmt.Sprint([]int{1, 2, 3, 4}) {
				t.Errorf("poison attempts %v, want [1 2 3 4]", poisoned)
			}
			for id, k := range good {
				if k != 1 {
					t.Errorf("%s handled %d times", id, k)
				}
			}
		})
	}
}
