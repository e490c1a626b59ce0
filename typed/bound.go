package typed

import (
	"context"
	"errors"
	"fmt"

	"github.com/distributer/distributer"
)

// ErrUnbound is wrapped by the error of the methods of a zero BoundTopic or
// BoundFamily: a generated Conn made without its Open or New.
var ErrUnbound = errors.New("handle not bound to a Distributer")

// BoundTopic is a Topic bound to a Distributer, together with the topic's
// fill: what distgen.json's set rules write into every message published on
// it (a constant, or the part name of a family's topic, into the envelope's
// metadata). It is the per-topic handle of a generated Conn:
//
//	err := conn.ParsedPose.Publish(ctx, v) // sets /metadata/topic, validates, publishes
//	sub, err := conn.RawPose.Subscribe(ctx, h, distributer.Group("pose-parser"))
//
// Make it with Topic.Bind. A BoundTopic is a small value, safe for
// concurrent use.
type BoundTopic[T any] struct {
	t    Topic[T]
	d    *distributer.Distributer
	fill func(v T) T
}

// Bind returns t bound to d. fill, when not nil, returns its argument with
// the members that the topic's set rules name set; Publish and Message call
// it first.
func (t Topic[T]) Bind(d *distributer.Distributer, fill func(v T) T) BoundTopic[T] {
	return BoundTopic[T]{t: t, d: d, fill: fill}
}

// Topic returns the unbound handle: its Publish and Message do not fill.
func (b BoundTopic[T]) Topic() Topic[T] { return b.t }

func (b BoundTopic[T]) bound() error {
	if b.d == nil {
		return fmt.Errorf("typed: topic %q: %w: make the Conn with the generated package's Open or New", b.t.name, ErrUnbound)
	}
	return nil
}

// Publish sets the members of v that the topic's set rules name, then
// validates v against the topic's schema and publishes it (Topic.Publish).
// An invalid v gives an error that is (or wraps) a *ValidationError, and
// nothing is sent.
func (b BoundTopic[T]) Publish(ctx context.Context, v T, opts ...distributer.PublishOption) error {
	if err := b.bound(); err != nil {
		return err
	}
	if b.fill != nil {
		v = b.fill(v)
	}
	return b.t.Publish(ctx, b.d, v, opts...)
}

// PublishAsync is Publish without waiting for the broker's confirm
// (Topic.PublishAsync): v is filled and validated before it returns, an
// invalid v gives a result already resolved with the error, and the result
// resolves once the broker has confirmed the message.
func (b BoundTopic[T]) PublishAsync(ctx context.Context, v T, opts ...distributer.PublishOption) *distributer.PublishResult {
	if err := b.bound(); err != nil {
		return distributer.FailedResult(err)
	}
	if b.fill != nil {
		v = b.fill(v)
	}
	return b.t.PublishAsync(ctx, b.d, v, opts...)
}

// Message is Publish without the sending: it returns the message carrying
// v, filled and validated, ready for distributer.PublishBatch.
func (b BoundTopic[T]) Message(v T, opts ...distributer.PublishOption) (*distributer.Message, error) {
	if b.fill != nil {
		v = b.fill(v)
	}
	return b.t.Message(v, opts...)
}

// Subscribe delivers the messages of the topic to h, decoded and (unless
// the Distributer skips receive validation) validated: Topic.Subscribe.
func (b BoundTopic[T]) Subscribe(ctx context.Context, h Handler[T], opts ...distributer.SubscribeOption) (*distributer.Subscription, error) {
	if err := b.bound(); err != nil {
		return nil, err
	}
	return b.t.Subscribe(ctx, b.d, h, opts...)
}

// BoundFamily is a Family bound to a Distributer: the per-family handle of a
// generated Conn.
//
//	err := conn.Parsed.Publish(ctx, cortex.ParsedPart{DepthImage: &v})
//	sub, err := conn.Raw.Subscribe(ctx, "*", h, distributer.Group("saver"))
//
// Make it with Family.Bind. A BoundFamily is a small value, safe for
// concurrent use.
type BoundFamily[P any] struct {
	f *Family[P]
	d *distributer.Distributer
}

// Bind returns f bound to d.
func (f *Family[P]) Bind(d *distributer.Distributer) BoundFamily[P] {
	return BoundFamily[P]{f: f, d: d}
}

// Family returns the unbound family.
func (b BoundFamily[P]) Family() *Family[P] { return b.f }

func (b BoundFamily[P]) bound() error {
	if b.d == nil || b.f == nil {
		return fmt.Errorf("typed: family: %w: make the Conn with the generated package's Open or New", ErrUnbound)
	}
	return nil
}

// Publish publishes the part that is set in p on its topic: Family.Publish.
func (b BoundFamily[P]) Publish(ctx context.Context, p P, opts ...distributer.PublishOption) error {
	if err := b.bound(); err != nil {
		return err
	}
	return b.f.Publish(ctx, b.d, p, opts...)
}

// Subscribe subscribes h to the family's topics whose part matches part (a
// part name, or a pattern such as "*"): Family.Subscribe.
func (b BoundFamily[P]) Subscribe(ctx context.Context, part string, h Handler[P], opts ...distributer.SubscribeOption) (*distributer.Subscription, error) {
	if err := b.bound(); err != nil {
		return nil, err
	}
	return b.f.Subscribe(ctx, b.d, part, h, opts...)
}
