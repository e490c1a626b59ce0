package amqp_test

import (
	"net/url"
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
