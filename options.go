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
}

// WithLogger sets the logger for events such as handler panics, dead
// letters and the driver's reconnections (drivers get it through
// driver.Logger). The default is slog.Default().
//
// Every dead letter is logged once, at Warn, by the runtime (drivers report
// them through driver.SubscribeRequest.DeadLettered): the record
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
	group string
}

// Group makes the subscriber a member of the named group: each matching
// message goes to exactly one member. Without it (or with ""), the subscriber
// receives every matching message.
func Group(name string) SubscribeOption { return func(o *subOptions) { o.group = name } }

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
