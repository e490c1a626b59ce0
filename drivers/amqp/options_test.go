package amqp_test

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/drivers/amqp"
)

// concurrency=N runs N handlers of one subscription at once.
func TestConcurrencyOption(t *testing.T) {
	base := brokerURL(t)
	const n = 4
	raw, _ := newNamespace(t, base, nil, "concurrency", "4")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	d, err := distributer.Open(ctx, raw, distributer.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var running, most atomic.Int32
	all := make(chan struct{})
	if _, err := d.Subscribe(ctx, []string{"c.*"}, distributer.HandlerFunc(func(hctx context.Context, m *distributer.Message) error {
		r := running.Add(1)
		defer running.Add(-1)
		for {
			old := most.Load()
			if r <= old || most.CompareAndSwap(old, r) {
				break
			}
		}
		if r == n {
			close(all)
		}
		select { // hold until n handlers run at once
		case <-all:
		case <-hctx.Done():
		case <-time.After(10 * time.Second):
		}
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	for range n {
		if err := d.Publish(ctx, "c.x", []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-all:
	case <-time.After(10 * time.Second):
		t.Fatalf("with concurrency=%d at most %d handlers ran at once", n, most.Load())
	}
}

// dead_letter_exchange names the exchange dead letters go to; a group's
// dead letters wait in <dead_letter_exchange>.<queue> with the reason.
func TestDeadLetterExchangeOption(t *testing.T) {
	base := brokerURL(t)
	raw, ns := newNamespace(t, base, []string{"g"})
	dlx := ns.exchange + ".custom-dlx"
	raw = withQuery(t, raw, "dead_letter_exchange", dlx)
	dlq := dlx + "." + ns.prefix + "g"
	t.Cleanup(func() {
		c, err := amqp091.Dial(plainURL(base))
		if err != nil {
			return
		}
		defer c.Close()
		if ch, err := c.Channel(); err == nil {
			_, _ = ch.QueueDelete(dlq, false, false, false)
			_ = ch.ExchangeDelete(dlx, false, false)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	d, err := distributer.Open(ctx, raw, distributer.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Subscribe(ctx, []string{"x.*"}, distributer.HandlerFunc(func(context.Context, *distributer.Message) error {
		return distributer.Reject(nil)
	}), distributer.Group("g")); err != nil {
		t.Fatal(err)
	}
	if err := d.Publish(ctx, "x.y", []byte(`{"dead":true}`), distributer.WithID("dl-1")); err != nil {
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
	for {
		m, ok, err := ch.Get(dlq, true)
		if err != nil {
			t.Fatalf("get from %s: %v", dlq, err)
		}
		if ok {
			reason, _ := m.Headers[amqp.HeaderReason].(string)
			if m.MessageId != "dl-1" || string(m.Body) != `{"dead":true}` || m.Headers[amqp.HeaderTopic] != "x.y" || !strings.HasPrefix(reason, "rejected") {
				t.Errorf("dead letter in %s: id %q body %s headers %v", dlq, m.MessageId, m.Body, m.Headers)
			}
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no dead letter in %s", dlq)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// prefetch=N bounds the unacknowledged deliveries of a subscription: with
// more handler goroutines than that, only N messages are handled at once.
func TestPrefetchOption(t *testing.T) {
	base := brokerURL(t)
	raw, _ := newNamespace(t, base, nil, "prefetch", "2", "concurrency", "4")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	d, err := distributer.Open(ctx, raw, distributer.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var running, most, handled atomic.Int32
	release := make(chan struct{})
	if _, err := d.Subscribe(ctx, []string{"p.*"}, distributer.HandlerFunc(func(hctx context.Context, m *distributer.Message) error {
		r := running.Add(1)
		defer running.Add(-1)
		for {
			old := most.Load()
			if r <= old || most.CompareAndSwap(old, r) {
				break
			}
		}
		select {
		case <-release:
		case <-hctx.Done():
		}
		handled.Add(1)
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	for range 6 {
		if err := d.Publish(ctx, "p.x", []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	for running.Load() < 2 && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // room for a third, if the broker sent one
	if n := most.Load(); n != 2 {
		t.Errorf("with prefetch=2 and concurrency=4, %d handlers ran at once, want 2", n)
	}
	close(release)
	for handled.Load() < 6 && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	if n := handled.Load(); n != 6 {
		t.Errorf("handled %d of 6 messages", n)
	}
}
