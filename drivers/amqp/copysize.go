package amqp

import (
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"
)

// A content header travels in one frame, so a copy the driver republishes
// (a retry copy, a dead letter) must have properties that fit in frame_max:
// the driver's own headers (attempt, reason, queue, ...) make a copy larger
// than the delivery it copies, and a delivery whose headers were already
// close to the limit would make a copy the broker refuses by closing the
// connection (FRAME_ERROR), after which the delivery comes back and the
// same thing happens again. The driver measures each copy before it
// publishes it (fits) and, when it does not fit, settles the delivery
// another way (see giveBack and deadLetter).

// frameOverhead is a frame's type, channel, size and end octets.
const frameOverhead = 8

// fits reports whether p's content header fits in one frame of size
// frameMax (0: no limit), and its encoded size.
func fits(p amqp091.Publishing, frameMax int) (int, bool) {
	n := headerFrameSize(p)
	return n, frameMax <= 0 || n+frameOverhead <= frameMax
}

// headerFrameSize is the size of the content-header frame payload amqp091-go
// writes for p: class, weight, body size, property flags, then each
// property present.
func headerFrameSize(p amqp091.Publishing) int {
	n := 2 + 2 + 8 + 2
	for _, s := range []string{p.ContentType, p.ContentEncoding, p.CorrelationId, p.ReplyTo, p.Expiration, p.MessageId, p.Type, p.UserId, p.AppId} {
		if s != "" {
			n += 1 + len(s)
		}
	}
	if len(p.Headers) > 0 {
		n += tableSize(p.Headers)
	}
	if p.DeliveryMode != 0 {
		n++
	}
	if p.Priority != 0 {
		n++
	}
	if !p.Timestamp.IsZero() {
		n += 8
	}
	return n
}

// tableSize is the encoded size of a field table: its length, then per
// field a short-string name, a type octet and the value.
func tableSize(t amqp091.Table) int {
	n := 4
	for k, v := range t {
		n += 1 + len(k) + 1 + valueSize(v)
	}
	return n
}

// valueSize is the encoded size of a field value as amqp091-go writes it
// (writeField); a type it cannot write counts as nothing, as amqp091-go
// refuses the publish before anything is sent.
func valueSize(v any) int {
	switch x := v.(type) {
	case nil:
		return 0
	case bool, byte, int8:
		return 1
	case int16, uint16:
		return 2
	case int, int32, uint32, float32: // int as a 32-bit 'I', as amqp091-go writes it
		return 4
	case int64, float64, time.Time:
		return 8
	case amqp091.Decimal:
		return 5
	case string:
		return 4 + len(x)
	case []byte:
		return 4 + len(x)
	case []any:
		n := 4
		for _, e := range x {
			n += 1 + valueSize(e)
		}
		return n
	case amqp091.Table:
		return tableSize(x)
	default:
		return 0
	}
}
