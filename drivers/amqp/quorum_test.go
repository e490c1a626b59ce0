package amqp_test

import (
	"context"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/distributer/distributer"
)

// On a quorum group queue, deliveries returned by consumers that die before
// acking count as attempts (x-delivery-count), and the broker dead-letters a
// message that keeps killing its consumers after x-delivery-limit, into the
// group's dead-letter queue.
func TestQuorumCrashingConsumers(t *testing.T) {
	base := brokerURL(t)
	raw, ns := newNamespace(t, base, []string{"g"}, "queue_type", "quorum", "max_attempts", "3")
	queue, dlq := ns.prefix+"g", ns.dlx+"."+ns.prefix+"g"
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d, err := distributer.Open(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	noop := distributer.HandlerFunc(func(context.Context, *distributer.Message) error { return nil })
	s, err := d.Subscribe(ctx, []string{"q.*"}, noop, distributer.Group("g")) // declares the queue
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	c, err := amqp091.Dial(plainURL(base))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// crash takes one delivery from the queue and "dies" (closes its channel
	// without acking); it reports whether there was one.
	crash := func() bool {
		ch, err := c.Channel()
		if err != nil {
			t.Fatal(err)
		}
		defer ch.Close()
		if err := ch.Qos(1, 0, false); err != nil {
			t.Fatal(err)
		}
		ds, err := ch.Consume(queue, "", false, false, false, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-ds:
			return true
		case <-time.After(500 * time.Millisecond):
			return false
		}
	}

	// A message that kills every consumer ends in the dead-letter queue.
	if err := d.Publish(ctx, "q.poison", []byte(`{"kills":true}`), distributer.WithID("killer")); err != nil {
		t.Fatal(err)
	}
	crashes := 0
	for crash() {
		crashes++
		if crashes > 10 {
			t.Fatal("the broker keeps redelivering: no delivery limit")
		}
	}
	ch, err := c.Channel()
	if err != nil {
		t.Fatal(err)
	}
	var dl amqp091.Delivery
	for {
		m, ok, err := ch.Get(dlq, true)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			dl = m
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("not dead-lettered after %d crashes", crashes)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("dead-lettered by the broker after %d crashed deliveries; x-death: %v", crashes, dl.Headers["x-death"])
	if dl.MessageId != "killer" || crashes != 3 {
		t.Errorf("dead letter %q after %d crashes, want killer after 3 (max_attempts)", dl.MessageId, crashes)
	}

	// Crashes count as attempts for the next consumer.
	if err := d.Publish(ctx, "q.flaky", []byte(`{}`), distributer.WithID("flaky")); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if !crash() {
			t.Fatal("no delivery to crash")
		}
	}
	got := make(chan int, 1)
	if _, err := d.Subscribe(ctx, []string{"q.*"}, distributer.HandlerFunc(func(_ context.Context, m *distributer.Message) error {
		got <- m.Attempt
		return nil
	}), distributer.Group("g")); err != nil {
		t.Fatal(err)
	}
	select {
	case a := <-got:
		if a != 3 {
			t.Errorf("Attempt after 2 crashed deliveries = %d, want 3", a)
		}
	case <-ctx.Done():
		t.Fatal("no delivery")
	}
}
