// Package driver defines the interface that Distributer drivers implement and
// the registry that maps URL schemes to drivers.
//
// Application code does not use this package directly: it calls
// distributer.Open with a URL, and the driver registered for the URL's scheme
// does the work. A driver package registers itself from its init function,
// the way database/sql drivers do:
//
//	func init() { driver.Register("memory", memoryDriver{}) }
package driver

import (
	"context"
	"errors"
	"net/url"
)

// Message is one message as drivers see it, on the way out and on the way in.
type Message struct {
	// ID identifies the message. The runtime sets it before Publish; it is
	// stable across redeliveries so consumers can de-duplicate.
	ID string
	// Topic is the routing key: a literal, dot-separated topic.
	Topic string
	// Body is the JSON payload.
	Body []byte
	// Headers are small string attributes carried with the message (schema
	// ids, trace context, ...). Nil when there are none.
	Headers map[string]string
	// Attempt is the delivery attempt, 1 for the first delivery. Drivers set
	// it on delivery; it is ignored on Publish.
	Attempt int
}

// Handler processes one delivered message. A nil error acknowledges it. An
// error means "not processed": the driver redelivers the message with a higher
// Attempt, up to its redelivery limit, and then dead-letters it. An error that
// wraps ErrReject is dead-lettered at once, without redelivery.
//
// Drivers may call a Handler from several goroutines at once.
type Handler func(ctx context.Context, m *Message) error

// SubscribeRequest describes a subscription.
type SubscribeRequest struct {
	// Patterns are topics or patterns with AMQP topic-exchange semantics:
	// words split on '.', '*' matches exactly one word, '#' zero or more.
	// They have been validated by the runtime.
	Patterns []string
	// Group is the subscriber group. Empty: this subscriber receives every
	// matching message. Named: each matching message goes to one member.
	Group string
	// DeadLettered, when not nil, is called once for every message the
	// driver dead-letters from this subscription (for whatever reason: the
	// handler failed max_attempts times or rejected it, the body is not
	// JSON), once the message is in the dead-letter store, from any
	// goroutine and without locks held. The runtime logs dead letters
	// through it, one log record each: drivers must not log them
	// themselves.
	DeadLettered func(DeadLetter)
}

// DeadLetter describes a message that a driver has dead-lettered, as it
// reports it to SubscribeRequest.DeadLettered.
type DeadLetter struct {
	// Message is the message as last delivered; its Attempt is the number
	// of delivery attempts made (0 when the driver cannot tell). The
	// runtime never logs its Body or Headers.
	Message *Message
	// Queue is the broker's name of the queue the message was taken from,
	// "" when the driver does not name its queues.
	Queue string
	// Reason says why the message was dead-lettered: the handler's last
	// error, or what the driver found wrong.
	Reason string
}

// Driver opens connections for the URL scheme it was registered under.
type Driver interface {
	// Open connects to the broker named by u. The URL has been parsed and
	// checked by distributer.Open (scheme matched, "//" present, query
	// readable in full, no fragment), and the runtime's own query options
	// (max_message_bytes, open_wait) removed from it. The driver must refuse
	// query parameters it does not know (see CheckQuery), must never put u's
	// password in an error (print URLs with RedactURL only), and must wrap
	// ErrUnavailable in errors that waiting may cure.
	Open(ctx context.Context, u *url.URL) (Conn, error)
}

// Conn is an open connection to a broker.
type Conn interface {
	// Publish sends msgs, in order. It returns nil only when every message
	// was accepted by the broker (for brokers with confirms: confirmed).
	// When some messages fail it returns a *BatchError that says which.
	// Publish may be called from several goroutines at once; a call in
	// progress returns, with ErrClosed, once Close is called.
	Publish(ctx context.Context, msgs []*Message) error
	// Subscribe starts delivering the messages that match req to h. ctx
	// bounds the set-up only; the subscription lives until it is closed.
	Subscribe(ctx context.Context, req SubscribeRequest, h Handler) (Subscription, error)
	// Close closes the connection and every subscription made on it. It
	// returns when no goroutine of the connection is left.
	Close() error
}

// Sender is implemented by a Conn whose broker confirms messages after it
// has taken them, asynchronously (AMQP publisher confirms), so that the
// runtime can keep writing while earlier messages wait for their confirms:
// distributer.PublishAsync writes each message with Send in the caller's
// goroutine and waits for its confirm (Pending.Wait) in a goroutine of its
// own. A Conn without it has Publish called instead, within PublishAsync:
// right for drivers whose Publish returns as soon as the message is taken
// (the memory driver's enqueue).
//
// Publish must be Send followed by Wait, so that both paths share one
// mechanism: Publish(ctx, msgs) == Send(ctx, msgs).Wait(ctx).
type Sender interface {
	// Send writes msgs to the broker, in order, and returns without
	// waiting for their confirms. ctx bounds the writing only (waiting for
	// a connection, for a broker that blocks publishers, for the socket);
	// a failure there is reported by Wait. Send returns once it has
	// written msgs or failed to, never later than Close. Send may be
	// called from several goroutines at once; the messages of one call go
	// out in order, and so do those of calls made one after the other.
	Send(ctx context.Context, msgs []*Message) Pending
}

// Pending is the outcome of a Send, still to come.
type Pending interface {
	// Wait waits until every message of the Send is confirmed or has
	// failed, and returns what Publish returns: nil, the error of a
	// one-message Send, or a *BatchError. Messages the broker did not
	// confirm (nacked, or lost with the connection) are written again
	// until confirmed or ctx ends; messages retried that way may arrive
	// after messages sent later. After Close, Wait returns promptly with
	// ErrClosed for the messages not confirmed. Wait is called once.
	Wait(ctx context.Context) error
}

// Subscription is a running subscription.
type Subscription interface {
	// Close stops deliveries, then cancels the context of running
	// handlers, and waits for them to return. Messages not yet
	// acknowledged are left to the broker for redelivery. A handler error
	// returned after Close began, unless it wraps ErrReject, is the
	// close's fault, not the message's: it is not counted as an attempt
	// and never dead-letters the message, which goes back to its group's
	// queue with its attempt count unchanged (without a group it is
	// dropped with the subscription's queue).
	Close() error
	// Done is closed when the subscription has ended, by Close or by a
	// terminal failure.
	Done() <-chan struct{}
	// Err reports why the subscription ended: nil after Close, a terminal
	// error otherwise. It is nil while the subscription runs.
	Err() error
}

// Errors shared by the runtime and drivers. Package distributer re-exports
// them, so callers test them with errors.Is against distributer.ErrX.
var (
	// ErrClosed is returned by operations on a closed connection or
	// subscription.
	ErrClosed = errors.New("distributer: closed")
	// ErrReject marks a handler error that must dead-letter the message at
	// once, without redelivery (an invalid body, for example).
	ErrReject = errors.New("message rejected")
	// ErrInvalidURL is wrapped by errors about a malformed URL or an unknown
	// or invalid query parameter.
	ErrInvalidURL = errors.New("invalid URL")
	// ErrUnavailable marks an Open error that may pass by waiting: the
	// broker refused or reset the connection, did not answer in time, or is
	// starting. A driver wraps it (errors.Is must find it) only for such
	// errors, never for bad credentials, TLS or URL errors; distributer.Open
	// then retries, up to the URL option open_wait and the context.
	ErrUnavailable = errors.New("broker unavailable")
)
