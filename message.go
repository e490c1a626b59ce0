package distributer

import (
	"context"

	"github.com/distributer/distributer/driver"
)

// Message is a message published or delivered: its topic (the routing key),
// JSON body, headers, id, and on delivery the attempt number.
type Message = driver.Message

// A Handler processes delivered messages. Returning nil acknowledges the
// message. Returning an error means "not processed": the message is
// redelivered, behind the messages waiting in its queue, with a higher
// Attempt, up to the URL option max_attempts, and then dead-lettered; an
// error made with Reject dead-letters it at once. A panic is recovered and
// treated as an error. An error returned because the subscription is
// closing (its context was cancelled by Close) is not counted as an
// attempt. See "Delivery policy" in the package documentation.
//
// Handlers may be called from several goroutines at once.
type Handler interface {
	Handle(ctx context.Context, m *Message) error
}

// HandlerFunc adapts a function to a Handler.
type HandlerFunc func(ctx context.Context, m *Message) error

// Handle calls f(ctx, m).
func (f HandlerFunc) Handle(ctx context.Context, m *Message) error { return f(ctx, m) }
