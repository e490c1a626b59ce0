// Package driver defines the interface that Distributer drivers implement and
// the registry that maps URL schemes to drivers.
//
// Application code does not use this package directly: it calls
// distributer.Open with a URL, and the driver registered for the URL's scheme
// does the work. A driver package registers itself from its init function,
// the way database/sql drivers do:
//
//	func init() { driver.Register("memory", memoryDriver{}) }
//
// # The contract, in short
//
// A driver moves messages; the runtime owns every decision that users rely
// on, so that all drivers behave alike:
//
//   - Publish: send the messages in order, report each failure
//     (BatchError). The runtime has checked topic, JSON, size and schema.
//   - Subscribe: hand every delivery to the Handler as a *Delivery: the
//     message with its attempt number (counted by the driver, from what
//     publishers cannot forge), the queue's name, whether the driver could
//     read it, and a Settler. The runtime decides (see Delivery) and calls
//     one primitive: Ack, Redeliver (attempt + 1, at the tail of the queue),
//     DeadLetter (with the runtime's reason; the runtime logs it once the
//     driver has it) or GiveBack (the subscription is closing: not an
//     attempt). The driver neither logs dead letters nor decides when to
//     dead-letter.
//   - Close: the runtime keeps the list of open subscriptions and closes
//     them before the connection; a driver keeps no list of its own.
//
// The conformance suite (package distributertest) tests a driver against
// all of this, for the capabilities it declares.
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

// Handler is the runtime's side of a subscription: the driver calls it
// once for every delivery, and the runtime settles the delivery by calling
// exactly one method of d.Settle before the Handler returns, on the
// goroutine that called it (so a driver may, for example, batch acks after
// the call). A settle method that fails leaves the message to the driver:
// it must not be lost (it stays with, or goes back to, the broker). The one
// exception to "exactly one": when Redeliver fails with an error wrapping
// ErrCannotRedeliver, having done nothing, the runtime then calls
// DeadLetter.
//
// d is valid until the Handler returns; d.Message belongs to the runtime
// (and the application's handler, which may keep it). Drivers may call a
// Handler from several goroutines at once, and may call it during
// Subscription.Close for deliveries they had received and not handed over
// yet: the runtime gives those back (dead-letters an undecodable one)
// without running the application's handler.
type Handler func(ctx context.Context, d *Delivery)

// Delivery is one delivery of a message to a subscription, as the driver
// hands it to the runtime: what the driver read, and the primitives that
// settle it. Which primitive is the runtime's decision, the same for every
// driver (see package distributer, "Delivery policy"):
//
//	handler returned nil                      Ack
//	rejected, invalid, too large, not JSON    DeadLetter, at once
//	undecodable (Undecodable != "")           DeadLetter, at once, handler not called
//	failed, Attempt < max_attempts            Redeliver
//	failed, Attempt >= max_attempts           DeadLetter
//	failed or arrived while closing           GiveBack (a rejection still dead-letters)
type Delivery struct {
	// Message is the message as delivered. Attempt is this delivery's
	// attempt number as the driver counts it: 1 for the first delivery,
	// one more after each Redeliver, unchanged by GiveBack; at least 1.
	// Count only what publishers cannot forge (a publisher controls the
	// body and the headers).
	Message *Message
	// Queue is the broker's name of the queue the delivery came from, ""
	// when the driver does not name its queues. The runtime logs it.
	Queue string
	// Undecodable, when not "", says what the driver could not read and
	// why (the runtime's dead-letter reason is "undecodable " + it; the
	// AMQP driver says "AMQP properties: header table: ..."). Message then
	// holds what could be read. The runtime dead-letters the delivery
	// without calling the application's handler and logs it at ERROR.
	Undecodable string
	// BodyChecked tells the runtime that Body is known to be valid JSON
	// (every message went through the runtime's Publish, which checks it,
	// and nothing else can publish to the driver's queues), so it need not
	// check it again. Leave it false when other clients of the broker can
	// publish: the runtime then dead-letters a body that is not JSON.
	BodyChecked bool
	// Settle settles the delivery.
	Settle Settler
}

// Settler holds the primitives that settle a delivery. The runtime calls
// one of them per delivery (see Handler).
type Settler interface {
	// Ack: the message was processed; remove it.
	Ack() error
	// Redeliver: not processed; deliver it again with Attempt one
	// higher, behind the messages already waiting in its queue (at the
	// tail: a failing message does not hold up the others; the
	// conformance suite checks the order). cause is the handler's error,
	// which the driver may record. An error wrapping ErrCannotRedeliver
	// means the driver did nothing and cannot redeliver this message (its
	// copy would be too large, for example); the runtime then
	// dead-letters it.
	Redeliver(cause error) error
	// DeadLetter moves the message to the driver's dead-letter store
	// with the runtime's reason (cause is the error behind it, nil when
	// there is none, as for an undecodable delivery). It returns nil once
	// the message is in the store, and only then does the runtime log the
	// dead letter; an error means it stayed in (or went back to) its
	// queue.
	DeadLetter(reason string, cause error) error
	// GiveBack: not processed, and not an attempt: the subscription is
	// closing. The message goes back to its group's queue, behind the
	// messages waiting there, with its Attempt unchanged, for another
	// member; a subscription without a group may drop it with its queue.
	GiveBack() error
}

// ErrCannotRedeliver is wrapped by a Settler's Redeliver error when the
// driver did nothing and cannot redeliver the message; the runtime
// dead-letters it, with the error's text (which should start with this
// sentinel's, "cannot retry: <why>") in the reason.
var ErrCannotRedeliver = errors.New("cannot retry")

// SubscribeRequest describes a subscription.
type SubscribeRequest struct {
	// Patterns are topics or patterns with AMQP topic-exchange semantics:
	// words split on '.', '*' matches exactly one word, '#' zero or more.
	// They have been validated by the runtime.
	Patterns []string
	// Group is the subscriber group. Empty: this subscriber receives every
	// matching message. Named: each matching message goes to one member.
	Group string
	// MaxAttempts is the runtime's max_attempts (a URL option of every
	// driver), at least 1. The runtime decides when a message is
	// dead-lettered; a driver needs it only for a limit of its own (the
	// AMQP driver's quorum queues get x-delivery-limit, for consumers that
	// die holding a message) or to bound the attempt numbers it reports.
	MaxAttempts int
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
	// Close closes the connection. The runtime closes every subscription
	// made on the connection before, and calls no method after (the
	// runtime keeps the list of open subscriptions: drivers need none).
	// It returns when no goroutine of the connection is left.
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
	// handlers, and waits for them to return. The runtime has marked the
	// subscription closing before it calls Close, so it gives back (see
	// Settler.GiveBack) every delivery whose handler fails from then on,
	// and every delivery handed to it from then on. Messages the driver
	// holds and does not hand over go back to their queue without
	// counting an attempt.
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
