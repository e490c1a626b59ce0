package distributer

import (
	"context"
	"log/slog"
	"time"
)

// Validator checks message bodies against the schemas of their topics. The
// package that distgen generates provides one for its topics.
type Validator interface {
	// Validate returns nil when body is valid for topic, an error wrapping
	// ErrNoSchema when the topic has no schema, and otherwise an error that
	// says what is invalid.
	Validate(topic string, body []byte) error
}

// InvalidFunc is called for each delivered message that fails validation
// (the handler returned an error wrapping ErrInvalidMessage) or is larger
// than max_message_bytes (a *TooLargeError), before the message is
// dead-lettered (and logged, like every dead letter).
type InvalidFunc func(ctx context.Context, m *Message, err error)

// An Option configures Open.
type Option func(*options)

type options struct {
	logger              *slog.Logger
	validator           Validator
	noReceiveValidation bool
	onInvalid           InvalidFunc
	drainTimeout        time.Duration
	drainTimeoutSet     bool
	async               AsyncSettings
}

// WithLogger sets the logger for events such as handler panics, dead
// letters and the driver's reconnections (drivers get it through
// driver.Logger). The default is slog.Default().
//
// Every dead letter is logged once, at Warn (at Error when the driver could
// not read the delivery), by the runtime, which decides it (see "Delivery
// policy" in the package documentation): the record
// "distributer: message dead-lettered" has the attributes topic, group ("" for
// none), queue (when the driver names its queues), id, attempt (attempts
// made) and reason (at most 1 KiB); never the body or the headers.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithValidator makes the untyped Publish validate every body against its
// topic's schema (a topic with no schema is refused with ErrNoSchema) and
// every delivery to an untyped Subscribe handler be validated before the
// handler sees it. Typed topics from generated packages validate with their
// own schemas whether or not this option is given. A delivery on which v
// panics is dead-lettered with the panic as reason (reported like an
// invalid message); the subscription goes on.
func WithValidator(v Validator) Option { return func(o *options) { o.validator = v } }

// WithoutReceiveValidation turns off validation of delivered messages, for
// trusted internal traffic: handlers then see bodies as they arrive.
// Publishes are still validated. Receive validation is on by default.
func WithoutReceiveValidation() Option { return func(o *options) { o.noReceiveValidation = true } }

// OnInvalid sets a function called for each delivered message that fails
// validation.
func OnInvalid(f InvalidFunc) Option { return func(o *options) { o.onInvalid = f } }

// A SubscribeOption configures Subscribe.
type SubscribeOption func(*subOptions)

type subOptions struct {
	group   string
	ownOnly bool
}

// Group makes the subscriber a member of the named group: each matching
// message goes to exactly one member. Without it (or with ""), the subscriber
// receives every matching message.
//
// The members of a group share one queue, bound with the union of their
// patterns (those of members that left included), so a member may be handed
// messages that only another member's patterns match. When a member accepts
// only its own patterns (OnlyOwnPatterns; every typed subscription), its
// group can hold no other patterns: Subscribe refuses, with a
// *GroupSharedError (ErrGroupShared), a subscription that would make it so
// among the subscriptions of the same Distributer.
func Group(name string) SubscribeOption { return func(o *subOptions) { o.group = name } }

// OnlyOwnPatterns declares that the handler accepts only the messages
// whose topics match the subscription's own patterns: a message of another
// topic, which reaches it only through a group shared with subscriptions to
// other patterns, would be rejected and dead-lettered. The typed package's
// subscriptions set it. Within one Distributer, Subscribe then refuses
// (ErrGroupShared) to put such a subscription in a group that already has,
// or to add to its group, a pattern that its own patterns do not cover,
// open or closed: subscribe once to every topic the group consumes instead.
// It has no effect without a Group.
func OnlyOwnPatterns() SubscribeOption { return func(o *subOptions) { o.ownOnly = true } }

// A PublishOption configures one Publish.
type PublishOption func(*Message)

// WithHeaders adds headers to the published message.
func WithHeaders(h map[string]string) PublishOption {
	return func(m *Message) {
		if m.Headers == nil {
			m.Headers = make(map[string]string, len(h))
		}
		for k, v := range h {
			m.Headers[k] = v
		}
	}
}

// WithID sets the message id instead of a generated one.
func WithID(id string) PublishOption { return func(m *Message) { m.ID = id } }
