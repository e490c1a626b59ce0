package amqp_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/drivers/amqp"
)

// Topology deleted behind the driver's back comes back: the broker cancels
// the group's consumer when its queue is deleted, and the subscription
// re-declares the exchanges, the queue and its bindings; Publish re-declares
// the exchange when its channel is closed for a missing one.
func TestTopologyDeletedAndRedeclared(t *testing.T) {
	base := brokerURL(t)
	raw, ns := newNamespace(t, base, []string{"g"})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d, err := distributer.Open(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	got := make(chan string, 100)
	s, err := d.Subscribe(ctx, []string{"t.*"}, distributer.HandlerFunc(func(_ context.Context, m *distributer.Message) error {
		got <- string(m.Body)
		return nil
	}), distributer.Group("g"))
	if err != nil {
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
	if _, err := ch.QueueDelete(ns.prefix+"g", false, false, false); err != nil {
		t.Fatal(err)
	}
	if err := ch.ExchangeDelete(ns.exchange, false, false); err != nil {
		t.Fatal(err)
	}
	// The subscription re-declares the exchange, its queue and bindings by
	// itself: a plain client's message arrives without any Publish of the
	// driver.
	deadline := time.Now().Add(10 * time.Second)
	for {
		pch, err := c.Channel()
		if err != nil {
			t.Fatal(err)
		}
		qerr := pch.ExchangeDeclarePassive(ns.exchange, "topic", true, false, false, false, nil)
		if qerr == nil {
			_, qerr = pch.QueueDeclarePassive(ns.prefix+"g", true, false, false, false, nil)
		}
		if qerr == nil {
			pch.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("exchange and queue not re-declared: %v", qerr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for i := 0; ; i++ {
		// The binding follows the queue declaration closely: retry.
		if err := ch.PublishWithContext(ctx, ns.exchange, "t.x", false, false, amqp091.Publishing{Body: fmt.Appendf(nil, `{"i":%d}`, i)}); err != nil {
			t.Fatal(err)
		}
		select {
		case <-got:
			if err := s.Err(); err != nil {
				t.Errorf("subscription ended: %v", err)
			}
			// Publish to a deleted exchange: the broker closes the
			// channel, the driver declares the exchange again and
			// publishes once more.
			if err := ch.ExchangeDelete(ns.exchange, false, false); err != nil {
				t.Fatal(err)
			}
			if err := d.Publish(ctx, "t.y", []byte(`{}`)); err != nil {
				t.Fatalf("Publish after the exchange was deleted: %v", err)
			}
			if err := ch.ExchangeDeclarePassive(ns.exchange, "topic", true, false, false, false, nil); err != nil {
				t.Errorf("exchange not declared again by Publish: %v", err)
			}
			return
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
			t.Fatal("no delivery after the queue was deleted")
		}
	}
}

// A subscription that cannot be re-established ends with a terminal error:
// its group queue is deleted and declared again by someone else as a quorum
// queue, so re-declaring it as classic fails for good. Done is closed and
// Err names the mismatch; the Distributer keeps working.
func TestSubscriptionTerminalError(t *testing.T) {
	base := brokerURL(t)
	raw, ns := newNamespace(t, base, []string{"g"})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d, err := distributer.Open(ctx, raw, distributer.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	s, err := d.Subscribe(ctx, []string{"t.*"}, distributer.HandlerFunc(func(context.Context, *distributer.Message) error { return nil }),
		distributer.Group("g"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Err(); err != nil {
		t.Fatalf("Err of a running subscription = %v, want nil", err)
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
	// Pipelined on one channel, the quorum declare reaches the broker
	// before the subscription has noticed that its consumer was cancelled.
	if _, err := ch.QueueDelete(ns.prefix+"g", false, false, false); err != nil {
		t.Fatal(err)
	}
	if _, err := ch.QueueDeclare(ns.prefix+"g", true, false, false, false, amqp091.Table{"x-queue-type": "quorum"}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.Done():
	case <-ctx.Done():
		t.Fatal("subscription still running after its queue was replaced by a quorum queue")
	}
	var me *amqp.MismatchError
	if err := s.Err(); !errors.As(err, &me) || me.Option != "queue_type" {
		t.Errorf("Err = %v, want a *MismatchError naming queue_type", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close of an ended subscription = %v", err)
	}
	if err := d.Publish(ctx, "t.x", []byte(`{}`)); err != nil {
		t.Errorf("Publish after a subscription ended: %v", err)
	}
}
