package typed

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/distributer/distributer"
)

// Topic is a typed handle for one topic whose messages are values of type T:
// the whole message body is the JSON encoding of a T, and must satisfy the
// topic's schema. Generated packages declare one Topic per topic, so that a
// value of the wrong type cannot be published on it and a handler of the
// wrong type cannot be subscribed to it.
//
// The zero Topic is not usable; make one with NewTopic.
type Topic[T any] struct {
	name    string
	schemas *Schemas
	schema  *compiled
}

// NewTopic returns the typed handle for topic name, whose schema is in s. It
// panics if s has no schema for name: that is a programming error, caught
// when the package declaring the topic is initialized.
func NewTopic[T any](s *Schemas, name string) Topic[T] {
	sch, ok := s.topics[name]
	if !ok {
		panic(fmt.Sprintf("typed: NewTopic: no schema for topic %q (topics: %v)", name, s.names))
	}
	return Topic[T]{name: name, schemas: s, schema: sch}
}

// Name returns the topic, the routing key its messages are published with.
func (t Topic[T]) Name() string { return t.name }

// Schemas returns the schema set the topic belongs to.
func (t Topic[T]) Schemas() *Schemas { return t.schemas }

// Marshal returns the JSON encoding of v after checking it against the
// topic's schema. An invalid value gives a *ValidationError.
func (t Topic[T]) Marshal(v T) ([]byte, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("typed: marshal message for topic %q: %w", t.name, err)
	}
	if err := validate(t.schema, t.name, body); err != nil {
		return nil, err
	}
	return body, nil
}

// Decode checks body against the topic's schema and decodes it into a T. An
// invalid body gives a *ValidationError; a body that is valid but does not
// decode into T gives a *DecodeError. Both wrap
// distributer.ErrInvalidMessage.
func (t Topic[T]) Decode(body []byte) (T, error) {
	if err := validate(t.schema, t.name, body); err != nil {
		var zero T
		return zero, err
	}
	return t.Unmarshal(body)
}

// Unmarshal decodes body into a T without checking it against the schema:
// for bodies already validated, by Schemas.Subscribe for example. A body
// that does not decode gives a *DecodeError.
// A panic while decoding (in a type's UnmarshalJSON) is recovered as a
// *DecodeError.
func (t Topic[T]) Unmarshal(body []byte) (v T, err error) {
	defer func() {
		if r := recover(); r != nil {
			var zero T
			v, err = zero, newDecodeError(t.name, body, &v, fmt.Errorf("panic while decoding: %v", r))
		}
	}()
	if err := json.Unmarshal(body, &v); err != nil {
		return v, newDecodeError(t.name, body, &v, err)
	}
	return v, nil
}

// Message returns a message carrying v on the topic, validated, ready for
// distributer.PublishBatch. opts are applied to it as to Publish.
func (t Topic[T]) Message(v T, opts ...distributer.PublishOption) (*distributer.Message, error) {
	body, err := t.Marshal(v)
	if err != nil {
		return nil, err
	}
	m := &distributer.Message{Topic: t.name, Body: body}
	for _, o := range opts {
		o(m)
	}
	return m, nil
}

// Publish marshals v, checks it against the topic's schema and publishes it
// with d. An invalid v gives an error that is (or, when d validates with the
// same schemas, wraps) a *ValidationError, and nothing is sent.
func (t Topic[T]) Publish(ctx context.Context, d *distributer.Distributer, v T, opts ...distributer.PublishOption) error {
	body, err := t.body(d, v)
	if err != nil {
		return err
	}
	return d.Publish(ctx, t.name, body, opts...)
}

// validatedBy reports whether d validates with t's own schema set.
func (t Topic[T]) validatedBy(d *distributer.Distributer) bool {
	v := d.Validator()
	return v != nil && v == distributer.Validator(t.schemas)
}

// Subscribe delivers the messages of the topic to h, decoded into T. Unless
// d was opened WithoutReceiveValidation, each body is checked against the
// topic's schema first. A body that is invalid or does not decode never
// reaches h: the handler error wraps distributer.ErrInvalidMessage, so the
// runtime reports it (distributer.OnInvalid and the log) and dead-letters
// the message, and the subscription goes on. opts are those of
// distributer.Subscribe (distributer.Group). In a group, the handler
// accepts only this topic: subscribing to another topic in the same group
// with the same Distributer is refused (distributer.ErrGroupShared); to
// consume several topics in one group, use a Router.
func (t Topic[T]) Subscribe(ctx context.Context, d *distributer.Distributer, h Handler[T], opts ...distributer.SubscribeOption) (*distributer.Subscription, error) {
	if h == nil {
		return nil, fmt.Errorf("typed: subscribe to %q: nil handler", t.name)
	}
	// When d validates deliveries with these same schemas it has done so
	// before this handler runs.
	check := d.ValidatesReceive() && !t.validatedBy(d)
	return d.Subscribe(ctx, []string{t.name}, distributer.HandlerFunc(func(ctx context.Context, m *distributer.Message) error {
		if m.Topic != t.name {
			// Only possible when subscriptions to different topics share a
			// group (and so a queue): the message is not for this handler's
			// type, and redelivering it would not help.
			return distributer.Reject(&MisroutedError{Topic: m.Topic, Want: t.name})
		}
		if check {
			if err := validate(t.schema, m.Topic, m.Body); err != nil {
				return err
			}
		}
		v, err := t.Unmarshal(m.Body)
		if err != nil {
			return err
		}
		return h.Handle(ctx, v, m)
	}), ownOnly(opts)...)
}

// ownOnly returns opts with distributer.OnlyOwnPatterns added: a typed
// handler accepts only its own topics, so the runtime refuses
// (distributer.ErrGroupShared) to let it share a group with subscriptions
// to other topics.
func ownOnly(opts []distributer.SubscribeOption) []distributer.SubscribeOption {
	return append(opts[:len(opts):len(opts)], distributer.OnlyOwnPatterns())
}

// Handler processes the decoded messages of a typed topic. Its error has
// the meaning of a distributer.Handler's: nil acknowledges, an error
// redelivers, distributer.Reject dead-letters at once.
type Handler[T any] interface {
	Handle(ctx context.Context, v T, m *distributer.Message) error
}

// HandlerFunc adapts a function to a Handler.
type HandlerFunc[T any] func(ctx context.Context, v T, m *distributer.Message) error

// Handle calls f(ctx, v, m).
func (f HandlerFunc[T]) Handle(ctx context.Context, v T, m *distributer.Message) error {
	return f(ctx, v, m)
}

// MisroutedError reports a message delivered to the subscription of
// another topic, which happens only when subscriptions to different topics
// share a group: members of one group share one queue. Within one
// Distributer, Subscribe refuses this (distributer.ErrGroupShared); a
// MisroutedError means that another Distributer or process subscribed the
// group to other topics. Subscribe to all of them with one subscription
// instead (Router, Schemas.Subscribe). The message is dead-lettered.
type MisroutedError struct {
	Topic string // the message's topic
	Want  string // the topic of the subscription that got it
}

// Error says which topics and what to do.
func (e *MisroutedError) Error() string {
	return fmt.Sprintf("typed: message on topic %q reached the subscription to %q: subscriptions to different topics share a group (one queue), in another Distributer or process; subscribe to all of them in one subscription (typed.Router, Schemas.Subscribe)", e.Topic, e.Want)
}

// Subscribe delivers the messages whose topics match patterns to h, each
// checked first against the schema of its own topic (unless d was opened
// WithoutReceiveValidation, or validates with s itself). It is the form for
// code that handles several topics with one handler ("raw.*"): h can switch
// on m.Topic and decode with the matching Topic's Unmarshal. A message on a
// topic that has no schema in s counts as invalid, like a body that fails
// its schema: it never reaches h, is reported and dead-lettered. In a
// group, h accepts only patterns: the group can hold no other patterns in
// the same Distributer (distributer.ErrGroupShared), so give every pattern
// the group consumes in one call.
func (s *Schemas) Subscribe(ctx context.Context, d *distributer.Distributer, patterns []string, h distributer.Handler, opts ...distributer.SubscribeOption) (*distributer.Subscription, error) {
	if h == nil {
		return nil, fmt.Errorf("typed: subscribe to %v: nil handler", patterns)
	}
	check := d.ValidatesReceive() && d.Validator() != distributer.Validator(s)
	return d.Subscribe(ctx, patterns, distributer.HandlerFunc(func(ctx context.Context, m *distributer.Message) error {
		if check {
			if err := s.Validate(m.Topic, m.Body); err != nil {
				if _, ok := err.(*NoSchemaError); ok {
					return fmt.Errorf("%w: %w", distributer.ErrInvalidMessage, err)
				}
				return err
			}
		}
		return h.Handle(ctx, m)
	}), ownOnly(opts)...)
}
