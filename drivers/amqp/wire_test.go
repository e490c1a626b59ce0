package amqp_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/drivers/amqp"
	"github.com/distributer/distributer/examples/cortex/cortex"
	"github.com/distributer/distributer/typed"
)

// Trust in the wire: what another client of the broker can put in a message
// (headers named like the driver's) must not change the topic or the attempt
// a handler sees, and the driver's retries must look like the original
// message to every consumer of a queue (the Python services share group
// queues by name).

// rawChannel is a plain amqp091-go channel on base, for a peer that
// publishes or consumes without the driver.
func rawChannel(t *testing.T, base string) *amqp091.Channel {
	t.Helper()
	c, err := amqp091.Dial(plainURL(base))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ch, err := c.Channel()
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

func rawPublish(t *testing.T, ch *amqp091.Channel, exchange, key, id, body string, headers amqp091.Table) {
	t.Helper()
	err := ch.PublishWithContext(context.Background(), exchange, key, false, false, amqp091.Publishing{
		ContentType: "application/json", DeliveryMode: amqp091.Persistent, MessageId: id, Body: []byte(body), Headers: headers,
	})
	if err != nil {
		t.Fatal(err)
	}
}

// forgedHeaders are what a hostile peer adds: the driver's own header names
// and the broker's delivery count.
func forgedHeaders(topic string) amqp091.Table {
	return amqp091.Table{
		amqp.HeaderTopic:      topic,
		amqp.HeaderAttempt:    int64(4611686018427387904),
		"x-delivery-count":    int64(4611686018427387904),
		amqp.HeaderRetryQueue: "anything",
	}
}

func queueTypes(t *testing.T, f func(t *testing.T, qt string)) {
	for _, qt := range []string{amqp.QueueClassic, amqp.QueueQuorum} {
		t.Run(qt, func(t *testing.T) { f(t, qt) })
	}
}

func quiet() distributer.Option { return distributer.WithLogger(slog.New(slog.DiscardHandler)) }

// Item 10: a message published with routing key raw.feelings and a forged
// topic header reaches the handler of raw.feelings (a typed router's, where
// it is dead-lettered as an invalid feelings message) and an untyped handler
// sees raw.feelings, never the forged topic.
func TestWireForgedTopicHeader(t *testing.T) {
	queueTypes(t, func(t *testing.T, qt string) {
		base := brokerURL(t)
		raw, ns := newNamespace(t, base, []string{"saver"}, "queue_type", qt)
		dead := watchDeadLetters(t, raw)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		d, err := distributer.Open(ctx, raw, quiet())
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()

		untyped := make(chan *distributer.Message, 10)
		if _, err := d.Subscribe(ctx, []string{"#"}, distributer.HandlerFunc(func(_ context.Context, m *distributer.Message) error {
			untyped <- m
			return nil
		})); err != nil {
			t.Fatal(err)
		}
		users := make(chan string, 10)
		feelings := make(chan float64, 10)
		r := typed.NewRouter()
		typed.Route(r, cortex.Topics.User, cortex.UserHandlerFunc(
			func(_ context.Context, u cortex.UserEnvelope[cortex.User], _ *distributer.Message) error {
				users <- u.Data.Name
				return nil
			}))
		typed.Route(r, cortex.Topics.RawFeelings, cortex.RawFeelingsHandlerFunc(
			func(_ context.Context, f cortex.Envelope[cortex.Feelings], _ *distributer.Message) error {
				feelings <- f.Data.Happiness
				return nil
			}))
		if _, err := r.Subscribe(ctx, d, distributer.Group("saver")); err != nil {
			t.Fatal(err)
		}

		// The attacker: a valid user message, on raw.feelings, claiming
		// to be on "user" (and, untyped, on a topic with a NUL byte).
		peer := rawChannel(t, base)
		mallory := `{"metadata":{"user_id":66,"topic":"user"},"data":{"id":66,"name":"Mallory","birthday":0,"gender":2}}`
		rawPublish(t, peer, ns.exchange, "raw.feelings", "forged-user", mallory, forgedHeaders("user"))
		rawPublish(t, peer, ns.exchange, "raw.feelings", "forged-nul", mallory, forgedHeaders("user\x00admin"))
		// Then the genuine messages, through the typed API.
		if err := cortex.Topics.User.Publish(ctx, d, cortex.UserEnvelope[cortex.User]{
			Metadata: cortex.UserMetadata{UserID: 7, Topic: "user"}, Data: cortex.User{ID: 7, Name: "Ada"}}); err != nil {
			t.Fatal(err)
		}
		if err := cortex.Topics.RawFeelings.Publish(ctx, d, cortex.Envelope[cortex.Feelings]{
			Metadata: cortex.Metadata{UserID: 7, Datetime: 1, Topic: "feelings"}, Data: cortex.Feelings{Happiness: 0.5}}); err != nil {
			t.Fatal(err)
		}

		want := map[string]string{"forged-user": "raw.feelings", "forged-nul": "raw.feelings"}
		for range 4 {
			select {
			case m := <-untyped:
				if w, ok := want[m.ID]; ok && m.Topic != w {
					t.Errorf("untyped handler got %s on topic %q, want %q", m.ID, m.Topic, w)
				}
				if m.Attempt != 1 {
					t.Errorf("untyped handler got %s with Attempt %d, want 1", m.ID, m.Attempt)
				}
			case <-ctx.Done():
				t.Fatal("untyped handler: not every message arrived")
			}
		}
		select {
		case name := <-users:
			if name != "Ada" {
				t.Errorf("the user handler got %q: a forged topic header was believed", name)
			}
		case <-ctx.Done():
			t.Fatal("the genuine user message did not arrive")
		}
		select {
		case h := <-feelings:
			if h != 0.5 {
				t.Errorf("feelings handler got happiness %v", h)
			}
		case <-ctx.Done():
			t.Fatal("the genuine feelings message did not arrive")
		}
		// The forged ones are dead-lettered as invalid raw.feelings.
		for range 2 {
			select {
			case dl := <-dead:
				if dl.Topic != "raw.feelings" || (dl.ID != "forged-user" && dl.ID != "forged-nul") {
					t.Errorf("dead letter %s on %q (%s), want a forged one on raw.feelings", dl.ID, dl.Topic, dl.Reason)
				}
			case <-ctx.Done():
				t.Fatal("the forged messages were not dead-lettered")
			}
		}
		select {
		case name := <-users:
			t.Errorf("the user handler got %q as well", name)
		case <-time.After(300 * time.Millisecond):
		}
	})
}

// Item 11: a retried message keeps its routing key for every consumer of
// the group queue: a plain amqp091-go member of the group (a Python
// service) that receives the retries of a failing Distributer member sees
// the original topic. On classic queues the retries come through the retry
// exchange (here renamed with the retry_exchange option); on quorum ones
// they are the original, returned to the queue.
func TestWireRetryKeepsRoutingKey(t *testing.T) {
	queueTypes(t, func(t *testing.T, qt string) {
		base := brokerURL(t)
		raw, ns := newNamespace(t, base, []string{"saver"}, "queue_type", qt, "max_attempts", "1000", "prefetch", "1")
		retryEx := ns.exchange + ".my-retries"
		raw = withQuery(t, raw, "retry_exchange", retryEx)
		t.Cleanup(func() {
			if c, err := amqp091.Dial(plainURL(base)); err == nil {
				if ch, err := c.Channel(); err == nil {
					_ = ch.ExchangeDelete(retryEx, false, false)
				}
				c.Close()
			}
		})
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		d, err := distributer.Open(ctx, raw, quiet())
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		var mu sync.Mutex
		failures := 0
		if _, err := d.Subscribe(ctx, []string{"parsed.*"}, distributer.HandlerFunc(func(_ context.Context, m *distributer.Message) error {
			mu.Lock()
			defer mu.Unlock()
			failures++
			if m.Topic != "parsed.feelings" {
				t.Errorf("Distributer member got topic %q at attempt %d", m.Topic, m.Attempt)
			}
			return errors.New("this member always fails")
		}), distributer.Group("saver")); err != nil {
			t.Fatal(err)
		}

		py := rawChannel(t, base)
		if err := py.Qos(1, 0, false); err != nil {
			t.Fatal(err)
		}
		ds, err := py.Consume(ns.prefix+"saver", "", false, false, false, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		const n = 20
		for i := range n {
			if err := d.Publish(ctx, "parsed.feelings", []byte(`{"n":1}`), distributer.WithID(fmt.Sprint("m", i))); err != nil {
				t.Fatal(err)
			}
		}
		got, retried := map[string]bool{}, 0
		for len(got) < n {
			select {
			case dl := <-ds:
				if dl.RoutingKey != "parsed.feelings" {
					t.Errorf("the service got %s with routing key %q (exchange %q, headers %v), want parsed.feelings",
						dl.MessageId, dl.RoutingKey, dl.Exchange, dl.Headers)
				}
				if dl.Redelivered || dl.Exchange == retryEx {
					retried++
				}
				if qt == amqp.QueueClassic && dl.Exchange != ns.exchange && dl.Exchange != retryEx {
					t.Errorf("the service got %s through exchange %q", dl.MessageId, dl.Exchange)
				}
				got[dl.MessageId] = true
				_ = dl.Ack(false)
			case <-ctx.Done():
				t.Fatalf("the service got %d of %d messages", len(got), n)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if retried == 0 || failures == 0 {
			t.Fatalf("the service got no retried message (Distributer failures: %d): the test proves nothing", failures)
		}
		t.Logf("%d failures in the Distributer member, %d retried messages reached the service", failures, retried)
	})
}

// Item 12: a forged attempt header (and a forged x-delivery-count) does not
// dead-letter a message on its first failure: the handler sees attempts 1
// and 2, group and fan-out.
func TestWireForgedAttempt(t *testing.T) {
	queueTypes(t, func(t *testing.T, qt string) {
		base := brokerURL(t)
		raw, ns := newNamespace(t, base, []string{"g"}, "queue_type", qt, "max_attempts", "3")
		dead := watchDeadLetters(t, raw)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		d, err := distributer.Open(ctx, raw, quiet())
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		type seen struct {
			who     string
			attempt int
		}
		attempts := make(chan seen, 20)
		flaky := func(who string) distributer.Handler {
			return distributer.HandlerFunc(func(_ context.Context, m *distributer.Message) error {
				attempts <- seen{who, m.Attempt}
				if m.Attempt == 1 {
					return errors.New("first attempt fails")
				}
				return nil
			})
		}
		if _, err := d.Subscribe(ctx, []string{"a.*"}, flaky("group"), distributer.Group("g")); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Subscribe(ctx, []string{"a.*"}, flaky("fan-out")); err != nil {
			t.Fatal(err)
		}
		peer := rawChannel(t, base)
		rawPublish(t, peer, ns.exchange, "a.b", "forged", `{"x":1}`, forgedHeaders("a.b"))
		got := map[string][]int{}
		for range 4 {
			select {
			case s := <-attempts:
				got[s.who] = append(got[s.who], s.attempt)
			case dl := <-dead:
				t.Fatalf("dead-lettered (%s, attempts %d): the forged attempt was believed", dl.Reason, dl.Attempt)
			case <-ctx.Done():
				t.Fatalf("attempts seen: %v", got)
			}
		}
		for _, who := range []string{"group", "fan-out"} {
			if fmt.Sprint(got[who]) != "[1 2]" {
				t.Errorf("%s handler saw attempts %v, want [1 2]", who, got[who])
			}
		}
		select {
		case dl := <-dead:
			t.Errorf("dead letter %s: %s", dl.ID, dl.Reason)
		case <-time.After(300 * time.Millisecond):
		}
	})
}

// A retry copy the retry exchange cannot route (someone removed the
// queue's binding) is not lost: the original goes back to the queue, the
// binding is restored, and the message is handled.
func TestWireRetryCopyUnroutable(t *testing.T) {
	base := brokerURL(t)
	raw, ns := newNamespace(t, base, []string{"g"}, "max_attempts", "5")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	d, err := distributer.Open(ctx, raw, quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	attempts := make(chan int, 10)
	if _, err := d.Subscribe(ctx, []string{"u.*"}, distributer.HandlerFunc(func(_ context.Context, m *distributer.Message) error {
		attempts <- m.Attempt
		if m.Attempt < 3 {
			return errors.New("not yet")
		}
		return nil
	}), distributer.Group("g")); err != nil {
		t.Fatal(err)
	}
	queue := ns.prefix + "g"
	ch := rawChannel(t, base)
	if err := ch.QueueUnbind(queue, "", ns.exchange+".retry", amqp091.Table{"x-match": "all", amqp.HeaderRetryQueue: queue}); err != nil {
		t.Fatal(err)
	}
	if err := d.Publish(ctx, "u.v", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	var got []int
	for len(got) < 3 {
		select {
		case a := <-attempts:
			got = append(got, a)
		case <-ctx.Done():
			t.Fatalf("attempts %v: the message was lost", got)
		}
	}
	if fmt.Sprint(got) != "[1 2 3]" {
		t.Errorf("attempts %v, want [1 2 3]", got)
	}
}
