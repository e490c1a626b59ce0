package amqp_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/drivers/amqp"
)

// A broker nack is retried, never a permanent failure: while a queue with
// x-overflow=reject-publish and no room makes the broker nack every message
// routed to it, Publish keeps retrying until its context ends (then the
// error wraps amqp.ErrNotConfirmed and the context's error, and names the
// nack); once the queue has room, a waiting Publish succeeds by itself. A
// batch reports every message.
func TestNackRetriedUntilConfirmed(t *testing.T) {
	base := brokerURL(t)
	raw, ns := newNamespace(t, base, []string{"full"})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d, err := distributer.Open(ctx, raw, distributer.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	c, err := amqp091.Dial(plainURL(base))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ch, err := c.Channel()
	if err != nil {
		t.Fatal(err)
	}
	full := ns.prefix + "full"
	if _, err := ch.QueueDeclare(full, false, false, false, false, amqp091.Table{
		"x-max-length": int32(0), "x-overflow": "reject-publish",
	}); err != nil {
		t.Fatal(err)
	}
	if err := ch.QueueBind(full, "n.#", ns.exchange, false, nil); err != nil {
		t.Fatal(err)
	}

	pctx, pcancel := context.WithTimeout(ctx, time.Second)
	t0 := time.Now()
	err = d.Publish(pctx, "n.x", []byte(`{"n":1}`))
	pcancel()
	if el := time.Since(t0); err == nil || el < 900*time.Millisecond {
		t.Fatalf("Publish to a queue that nacks = %v after %v, want an error when the 1s context ends", err, el)
	}
	if !errors.Is(err, amqp.ErrNotConfirmed) || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "nacked") {
		t.Errorf("Publish error = %v, want ErrNotConfirmed, DeadlineExceeded and the nack", err)
	}

	pctx, pcancel = context.WithTimeout(ctx, time.Second)
	err = d.PublishBatch(pctx, []*distributer.Message{{Topic: "n.a", Body: []byte(`1`)}, {Topic: "other", Body: []byte(`2`)}})
	pcancel()
	var be *distributer.BatchError
	if !errors.As(err, &be) || len(be.Errs) != 2 || !errors.Is(be.Errs[0], amqp.ErrNotConfirmed) || be.Errs[1] != nil {
		t.Errorf("PublishBatch = %v, want a BatchError for the first message only", err)
	}

	// A Publish stuck on nacks recovers by itself once the queue takes
	// messages again.
	done := make(chan error, 1)
	go func() { done <- d.Publish(ctx, "n.y", []byte(`{"n":2}`)) }()
	time.Sleep(500 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("Publish returned %v while the queue still nacked", err)
	default:
	}
	if _, err := ch.QueueDelete(full, false, false, false); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Publish after the nacking queue was deleted = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("Publish still waiting 5s after the nacking queue was deleted")
	}
}
