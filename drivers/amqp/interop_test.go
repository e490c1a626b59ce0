package amqp_test

import (
	"context"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/distributer/distributer"
)

// pythonService stands in for the existing Python services: a plain
// amqp091-go client on a non-durable topic exchange (the services' "one"; a
// unique name here), persistent JSON, routing key = topic.
type pythonService struct {
	t  *testing.T
	c  *amqp091.Connection
	ch *amqp091.Channel
	ex string
}

func newPythonService(t *testing.T, base, exchange string) *pythonService {
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
	if err := ch.ExchangeDeclare(exchange, "topic", false, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	return &pythonService{t: t, c: c, ch: ch, ex: exchange}
}

func (p *pythonService) publish(topic, body string) {
	p.t.Helper()
	err := p.ch.PublishWithContext(context.Background(), p.ex, topic, false, false, amqp091.Publishing{
		ContentType: "application/json", DeliveryMode: amqp091.Persistent, Body: []byte(body),
	})
	if err != nil {
		p.t.Fatal(err)
	}
}

// The services publish; a Distributer configured with durable=false on
// their exchange receives, fan-out and in a group whose queue the services
// declared (non-durable, no arguments) and also consume from.
func TestInteropServicesToDistributer(t *testing.T) {
	base := brokerURL(t)
	raw, ns := newNamespace(t, base, []string{"saver"}, "durable", "false")
	py := newPythonService(t, base, ns.exchange)

	// The services' own group member, declared first, as they would.
	group := ns.prefix + "saver"
	if _, err := py.ch.QueueDeclare(group, false, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	if err := py.ch.QueueBind(group, "parsed.*", ns.exchange, false, nil); err != nil {
		t.Fatal(err)
	}
	pyDeliveries, err := py.ch.Consume(group, "", false, false, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	d, err := distributer.Open(ctx, raw)
	if err != nil {
		t.Fatalf("Open with the services' exchange settings: %v", err)
	}
	defer d.Close()
	fan := make(chan *distributer.Message, 100)
	grp := make(chan *distributer.Message, 100)
	if _, err := d.Subscribe(ctx, []string{"raw.*", "parsed.*"}, distributer.HandlerFunc(func(_ context.Context, m *distributer.Message) error {
		fan <- m
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Subscribe(ctx, []string{"parsed.*"}, distributer.HandlerFunc(func(_ context.Context, m *distributer.Message) error {
		grp <- m
		return nil
	}), distributer.Group("saver")); err != nil {
		t.Fatalf("joining the services' group queue: %v", err)
	}

	py.publish("raw.pose", `{"metadata":{"user_id":42},"data":{}}`)
	const n = 40
	for range n {
		py.publish("parsed.pose", `{"metadata":{"user_id":42},"data":{"x":1}}`)
	}
	for i := range n + 1 {
		select {
		case m := <-fan:
			if i == 0 && (m.Topic != "raw.pose" || string(m.Body) != `{"metadata":{"user_id":42},"data":{}}` || m.Attempt != 1) {
				t.Errorf("first fan-out delivery = %+v", m)
			}
		case <-ctx.Done():
			t.Fatalf("fan-out subscriber got %d of %d", i, n+1)
		}
	}
	// The group's messages are shared between the service and the
	// Distributer member.
	ours, theirs := 0, 0
	for ours+theirs < n {
		select {
		case m := <-grp:
			if m.Topic != "parsed.pose" {
				t.Errorf("group delivery on %q", m.Topic)
			}
			ours++
		case dl := <-pyDeliveries:
			_ = dl.Ack(false)
			theirs++
		case <-ctx.Done():
			t.Fatalf("group got %d+%d of %d", ours, theirs, n)
		}
	}
	if ours == 0 || theirs == 0 {
		t.Errorf("group work not shared: Distributer %d, service %d", ours, theirs)
	}
}

// A Distributer publishes; a service's queue on the exchange receives
// persistent JSON with the topic as routing key, the id and the headers.
func TestInteropDistributerToServices(t *testing.T) {
	base := brokerURL(t)
	raw, ns := newNamespace(t, base, nil, "durable", "false")
	py := newPythonService(t, base, ns.exchange)
	q, err := py.ch.QueueDeclare("", false, true, true, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := py.ch.QueueBind(q.Name, "user", ns.exchange, false, nil); err != nil {
		t.Fatal(err)
	}
	ds, err := py.ch.Consume(q.Name, "", true, true, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	d, err := distributer.Open(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	body := `{"metadata":{"user_id":7},"data":{"id":7,"name":"Ada"}}`
	if err := d.Publish(ctx, "user", []byte(body), distributer.WithID("user-7"), distributer.WithHeaders(map[string]string{"trace": "t1"})); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-ds:
		if m.RoutingKey != "user" || string(m.Body) != body || m.ContentType != "application/json" ||
			m.DeliveryMode != amqp091.Persistent || m.MessageId != "user-7" || m.Headers["trace"] != "t1" {
			t.Errorf("service got routing key %q body %s type %q mode %d id %q headers %v",
				m.RoutingKey, m.Body, m.ContentType, m.DeliveryMode, m.MessageId, m.Headers)
		}
	case <-ctx.Done():
		t.Fatal("service got nothing")
	}
}

// The services' exchange is non-durable, but one of their group queues is
// durable (declared by a service, as pika would: durable, no arguments). A Go
// member joins it with exchange_durable=false (durable stays true), publishes
// to the group and receives; with the single durable option either the
// exchange or the queue declare failed with PRECONDITION_FAILED.
func TestInteropDurableQueueOnNonDurableExchange(t *testing.T) {
	base := brokerURL(t)
	raw, ns := newNamespace(t, base, []string{"saver"}, "exchange_durable", "false")
	py := newPythonService(t, base, ns.exchange) // non-durable exchange
	group := ns.prefix + "saver"
	if _, err := py.ch.QueueDeclare(group, true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	if err := py.ch.QueueBind(group, "parsed.*", ns.exchange, false, nil); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	d, err := distributer.Open(ctx, raw)
	if err != nil {
		t.Fatalf("Open on the services' non-durable exchange: %v", err)
	}
	defer d.Close()
	got := make(chan *distributer.Message, 10)
	if _, err := d.Subscribe(ctx, []string{"parsed.*"}, distributer.HandlerFunc(func(_ context.Context, m *distributer.Message) error {
		got <- m
		return nil
	}), distributer.Group("saver")); err != nil {
		t.Fatalf("joining the services' durable group queue: %v", err)
	}
	if err := d.Publish(ctx, "parsed.pose", []byte(`{"go":true}`), distributer.WithID("from-go")); err != nil {
		t.Fatal(err)
	}
	py.publish("parsed.pose", `{"python":true}`)
	want := map[string]bool{`{"go":true}`: true, `{"python":true}`: true}
	for len(want) > 0 {
		select {
		case m := <-got:
			if !want[string(m.Body)] || m.Topic != "parsed.pose" {
				t.Errorf("unexpected delivery %q on %q", m.Body, m.Topic)
			}
			delete(want, string(m.Body))
		case <-ctx.Done():
			t.Fatalf("not received: %v", want)
		}
	}
	// The queue is still the services' durable one, the exchange still
	// non-durable.
	if _, err := py.ch.QueueDeclarePassive(group, true, false, false, false, nil); err != nil {
		t.Errorf("group queue: %v", err)
	}
	if err := py.ch.ExchangeDeclare(ns.exchange, "topic", false, false, false, false, nil); err != nil {
		t.Errorf("exchange no longer non-durable: %v", err)
	}
}
