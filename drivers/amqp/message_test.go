package amqp

import (
	"testing"

	amqp091 "github.com/rabbitmq/amqp091-go"
)

const testRetryEx = "ex.retry"

var (
	classicDec = decoder{retryExchange: testRetryEx, maxAttempts: 5}
	quorumDec  = decoder{quorum: true, retryExchange: testRetryEx, maxAttempts: 5}
)

// Attempts come only from what a publisher cannot forge: on classic and
// fan-out queues the driver's header on deliveries from the retry exchange
// (clamped to [1, max_attempts]) plus the redelivered flag; on quorum queues
// that header too (a closing member's give-backs) plus the broker's
// x-delivery-count, read only when the broker's redelivered flag says it
// set it.
func TestAttempt(t *testing.T) {
	const huge = int64(4611686018427387904)
	cases := []struct {
		name string
		dec  decoder
		d    amqp091.Delivery
		want int
	}{
		{"classic first", classicDec, amqp091.Delivery{}, 1},
		{"classic redelivered", classicDec, amqp091.Delivery{Redelivered: true}, 2},
		{"retry copy", classicDec, amqp091.Delivery{Exchange: testRetryEx, Headers: amqp091.Table{HeaderAttempt: int32(3)}}, 3},
		{"retry copy redelivered", classicDec, amqp091.Delivery{Exchange: testRetryEx, Headers: amqp091.Table{HeaderAttempt: int32(3)}, Redelivered: true}, 4},
		{"retry copy, string", classicDec, amqp091.Delivery{Exchange: testRetryEx, Headers: amqp091.Table{HeaderAttempt: "2"}}, 2},
		{"retry copy, junk", classicDec, amqp091.Delivery{Exchange: testRetryEx, Headers: amqp091.Table{HeaderAttempt: "junk"}}, 1},
		{"retry copy, negative", classicDec, amqp091.Delivery{Exchange: testRetryEx, Headers: amqp091.Table{HeaderAttempt: int64(-7)}}, 1},
		{"retry copy, huge", classicDec, amqp091.Delivery{Exchange: testRetryEx, Headers: amqp091.Table{HeaderAttempt: huge}, Redelivered: true}, 5},
		{"forged attempt on the main exchange", classicDec, amqp091.Delivery{Exchange: "ex", Headers: amqp091.Table{HeaderAttempt: huge}}, 1},
		{"forged attempt on the default exchange", classicDec, amqp091.Delivery{Headers: amqp091.Table{HeaderAttempt: int32(4)}}, 1},
		{"forged delivery count on classic", classicDec, amqp091.Delivery{Headers: amqp091.Table{"x-delivery-count": int64(9)}, Redelivered: true}, 2},
		{"quorum first", quorumDec, amqp091.Delivery{}, 1},
		{"quorum returned twice", quorumDec, amqp091.Delivery{Headers: amqp091.Table{"x-delivery-count": int64(2)}, Redelivered: true}, 3},
		{"quorum redelivered without count", quorumDec, amqp091.Delivery{Redelivered: true}, 2},
		{"quorum forged count on first delivery", quorumDec, amqp091.Delivery{Headers: amqp091.Table{"x-delivery-count": huge}}, 1},
		{"quorum huge count", quorumDec, amqp091.Delivery{Headers: amqp091.Table{"x-delivery-count": huge}, Redelivered: true}, 5},
		{"quorum ignores the attempt header from the main exchange", quorumDec, amqp091.Delivery{Exchange: "ex", Headers: amqp091.Table{HeaderAttempt: int32(4)}}, 1},
		{"quorum give-back keeps its attempt", quorumDec, amqp091.Delivery{Exchange: testRetryEx, Headers: amqp091.Table{HeaderAttempt: int32(3)}}, 3},
		{"quorum give-back returned once", quorumDec, amqp091.Delivery{Exchange: testRetryEx, Headers: amqp091.Table{HeaderAttempt: int32(3), "x-delivery-count": int64(1)}, Redelivered: true}, 4},
	}
	for _, c := range cases {
		if got := c.dec.attempt(&c.d); got != c.want {
			t.Errorf("%s: attempt(exchange %q, %v, redelivered %v) = %d, want %d", c.name, c.d.Exchange, c.d.Headers, c.d.Redelivered, got, c.want)
		}
	}
}

// Deliveries from other clients: any header type becomes a string; the
// driver's and the broker's own headers are hidden; the topic is the
// routing key, whatever the headers say.
func TestMessageMapping(t *testing.T) {
	d := amqp091.Delivery{
		RoutingKey: "raw.feelings",
		MessageId:  "id-1",
		Body:       []byte(`{}`),
		Headers: amqp091.Table{
			"trace": "t", "n": int32(7), "b": []byte("raw"), "ok": true, HeaderRetryQueue: "q",
			HeaderTopic: "user\x00", HeaderAttempt: int32(2), "x-death": []any{}, "x-delivery-count": int64(0),
		},
	}
	m := classicDec.message(&d)
	if m.Topic != "raw.feelings" || m.ID != "id-1" || m.Attempt != 1 {
		t.Errorf("message = %+v, want topic raw.feelings, attempt 1", m)
	}
	want := map[string]string{"trace": "t", "n": "7", "b": "raw", "ok": "true", HeaderRetryQueue: "q"}
	if len(m.Headers) != len(want) {
		t.Errorf("headers = %v, want %v", m.Headers, want)
	}
	for k, v := range want {
		if m.Headers[k] != v {
			t.Errorf("header %q = %q, want %q", k, m.Headers[k], v)
		}
	}
	// A retry copy: its routing key is the original topic, its attempt
	// header counts, the header the retry exchange routes on is hidden.
	d.Exchange = testRetryEx
	m = classicDec.message(&d)
	if m.Topic != "raw.feelings" || m.Attempt != 2 || m.Headers[HeaderRetryQueue] != "" || len(m.Headers) != 4 {
		t.Errorf("retry copy = %+v", m)
	}
	if m := classicDec.message(&amqp091.Delivery{RoutingKey: "user"}); m.Topic != "user" || m.Headers != nil || m.Attempt != 1 {
		t.Errorf("plain delivery = %+v", m)
	}
}
