package amqp

import (
	"testing"

	amqp091 "github.com/rabbitmq/amqp091-go"
)

// Attempts: the driver's header, plus the broker's redeliveries
// (x-delivery-count on quorum queues, the redelivered flag on classic ones).
func TestAttempt(t *testing.T) {
	cases := []struct {
		d    amqp091.Delivery
		want int
	}{
		{amqp091.Delivery{}, 1},
		{amqp091.Delivery{Redelivered: true}, 2},
		{amqp091.Delivery{Headers: amqp091.Table{HeaderAttempt: int32(3)}}, 3},
		{amqp091.Delivery{Headers: amqp091.Table{HeaderAttempt: int32(3)}, Redelivered: true}, 4},
		{amqp091.Delivery{Headers: amqp091.Table{"x-delivery-count": int64(2)}, Redelivered: true}, 3},
		{amqp091.Delivery{Headers: amqp091.Table{HeaderAttempt: "2", "x-delivery-count": int64(1)}}, 3},
		{amqp091.Delivery{Headers: amqp091.Table{HeaderAttempt: "junk"}}, 1},
	}
	for _, c := range cases {
		if got := attempt(&c.d); got != c.want {
			t.Errorf("attempt(%v, redelivered %v) = %d, want %d", c.d.Headers, c.d.Redelivered, got, c.want)
		}
	}
}

// Deliveries from other clients: any header type becomes a string; the
// driver's and the broker's own headers are hidden; the topic survives a
// redelivered copy's routing key.
func TestMessageMapping(t *testing.T) {
	d := amqp091.Delivery{
		RoutingKey: "my-group-queue",
		MessageId:  "id-1",
		Body:       []byte(`{}`),
		Headers: amqp091.Table{
			"trace": "t", "n": int32(7), "b": []byte("raw"), "ok": true,
			HeaderTopic: "raw.pose", HeaderAttempt: int32(2), "x-death": []any{}, "x-delivery-count": int64(0),
		},
	}
	m := message(&d)
	if m.Topic != "raw.pose" || m.ID != "id-1" || m.Attempt != 2 {
		t.Errorf("message = %+v", m)
	}
	want := map[string]string{"trace": "t", "n": "7", "b": "raw", "ok": "true"}
	if len(m.Headers) != len(want) {
		t.Errorf("headers = %v, want %v", m.Headers, want)
	}
	for k, v := range want {
		if m.Headers[k] != v {
			t.Errorf("header %q = %q, want %q", k, m.Headers[k], v)
		}
	}
	if m := message(&amqp091.Delivery{RoutingKey: "user"}); m.Topic != "user" || m.Headers != nil || m.Attempt != 1 {
		t.Errorf("plain delivery = %+v", m)
	}
}
