package amqp_test

import (
	amqp091 "github.com/rabbitmq/amqp091-go"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/distributer/distributer/distributertest"
	_ "github.com/distributer/distributer/drivers/amqp"
)

// The shared conformance suite against the real broker, once with classic
// group queues and once with quorum ones. RabbitMQ offers every capability:
// other clients publish to the exchange (PublishForeign), and a header
// table amqp091-go cannot decode makes an undecodable delivery.
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
				Jam:         jam,
				Timeout:     15 * time.Second,
				Quiet:       300 * time.Millisecond,
				CloseLoops:  20,
				Capabilities: distributertest.Capabilities{
					DurableGroups: true,
					Ordering:      true,
					PublishForeign: func(t *testing.T, raw string, m distributertest.ForeignMessage) {
						publishRaw(t, raw, m.Topic, rawMessage{id: m.ID, body: m.Body})
					},
					PublishUndecodable: func(t *testing.T, raw, topic, id string) {
						publishRaw(t, raw, topic, rawMessage{id: id, body: []byte(`{"undecodable":true}`), headers: floodTable(10000)})
					},
				},
			})
		})
	}
}

// publishRaw publishes m on topic to the exchange of the driver URL raw,
// as another client would, and waits for the broker's confirm.
func publishRaw(t *testing.T, raw, topic string, m rawMessage) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	exchange := u.Query().Get("exchange")
	if exchange == "" {
		exchange = "distributer"
	}
	p := dialRaw(t, plainURL(raw))
	defer p.close()
	p.publish(exchange, topic, m)
}

// jam binds a queue to topic on the namespace's exchange that holds no
// message and rejects publishes (x-max-length 0, x-overflow
// reject-publish): the broker nacks every message published to topic
// until release deletes it (distributertest.Harness.Jam).
func jam(t *testing.T, raw, topic string) (release func()) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	c, err := amqp091.Dial(plainURL(raw))
	if err != nil {
		t.Fatal(err)
	}
	ch, err := c.Channel()
	if err != nil {
		c.Close()
		t.Fatal(err)
	}
	name := q.Get("queue_prefix") + "jam-" + uniqueName(t)
	if _, err := ch.QueueDeclare(name, false, false, false, false, amqp091.Table{
		"x-max-length": int32(0), "x-overflow": "reject-publish",
	}); err != nil {
		c.Close()
		t.Fatal(err)
	}
	if err := ch.QueueBind(name, topic, q.Get("exchange"), false, nil); err != nil {
		c.Close()
		t.Fatal(err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			if _, err := ch.QueueDelete(name, false, false, false); err != nil {
				t.Errorf("jam: delete queue %s: %v", name, err)
			}
		})
	}
	t.Cleanup(func() { release(); c.Close() })
	return release
}
