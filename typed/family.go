package typed

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/distributer/distributer"
)

// ErrNoPart is wrapped by the error of Family.Publish for a part struct in
// which no part is set.
var ErrNoPart = errors.New("no part is set")

// Family is the runtime of a family of topics: one topic per part, named by
// a pattern ("raw.{part}" gives raw.pose, raw.color_image, ...), as declared
// under "families" in distgen.json. P is the family's part struct, which
// distgen generates with one pointer field per part (RawPart{Pose,
// ColorImage, ...}): a value of P carries the message of one part, in that
// part's field. When every part carries the same type T, P is instead
// PartMessage[T], the part's name beside its message (parts made with
// NewSharedPart).
//
// Generated packages declare one Family per family, with NewFamily and one
// NewPart per part, and bind it to their Conn (Family.Bind):
//
//	var rawFamily = typed.NewFamily("raw.{part}",
//		typed.NewPart(Topics.RawPose, "pose", func(p *RawPart) **Envelope[Pose] { return &p.Pose }, rawFill[Pose]("pose")),
//		...)
//
// A Family is immutable and safe for concurrent use.
type Family[P any] struct {
	pattern        string
	prefix, suffix string
	schemas        *Schemas
	parts          []FamilyPart[P]
}

// FamilyPart is one part of a Family: its name, its topic's handle, the
// field of the part struct P that carries it and the members that
// publishing it fills in. Make it with NewPart.
type FamilyPart[P any] struct {
	name    string
	topic   string
	schemas *Schemas
	isSet   func(p *P) bool
	decode  func(p *P, body []byte) error
	publish func(ctx context.Context, d *distributer.Distributer, p *P, opts []distributer.PublishOption) error
}

// NewPart returns the part name of a family: its messages are the values of
// topic t, carried in the field of the part struct that field returns.
// fill, when not nil, returns a message with the members that the family's
// set rules name set (for example the part name in the envelope's
// metadata): Family.Publish calls it first, as the topic's BoundTopic does.
func NewPart[P, T any](t Topic[T], name string, field func(p *P) **T, fill func(v T) T) FamilyPart[P] {
	return FamilyPart[P]{
		name:    name,
		topic:   t.name,
		schemas: t.schemas,
		isSet:   func(p *P) bool { return *field(p) != nil },
		decode: func(p *P, body []byte) error {
			v, err := t.Unmarshal(body)
			if err != nil {
				return err
			}
			*field(p) = &v
			return nil
		},
		publish: func(ctx context.Context, d *distributer.Distributer, p *P, opts []distributer.PublishOption) error {
			v := **field(p)
			if fill != nil {
				v = fill(v)
			}
			return t.Publish(ctx, d, v, opts...)
		},
	}
}

// PartMessage is the part struct of a family whose parts all carry the same
// type T (alerts.{part}, every part an Alert): the name of the part and its
// message, so that a handler learns which part it got without looking at
// the topic. distgen generates an alias of it for such a family (type
// AlertsPart = typed.PartMessage[Alert]) and NewSharedPart for its parts.
type PartMessage[T any] struct {
	Part    string // the part's name ("gps"): its topic is the family's pattern with it
	Message T      // the message on that topic
}

// NewSharedPart returns the part name of a family whose parts all carry
// values of T, with PartMessage[T] as its part struct: a PartMessage whose
// Part is name is a message of this part, on topic t. fill is as for
// NewPart.
func NewSharedPart[T any](t Topic[T], name string, fill func(v T) T) FamilyPart[PartMessage[T]] {
	return FamilyPart[PartMessage[T]]{
		name:    name,
		topic:   t.name,
		schemas: t.schemas,
		isSet:   func(p *PartMessage[T]) bool { return p.Part == name },
		decode: func(p *PartMessage[T], body []byte) error {
			v, err := t.Unmarshal(body)
			if err != nil {
				return err
			}
			*p = PartMessage[T]{Part: name, Message: v}
			return nil
		},
		publish: func(ctx context.Context, d *distributer.Distributer, p *PartMessage[T], opts []distributer.PublishOption) error {
			v := p.Message
			if fill != nil {
				v = fill(v)
			}
			return t.Publish(ctx, d, v, opts...)
		},
	}
}

// NewFamily returns the family of topics pattern, which holds "{part}"
// once, made of parts in their declared order. It panics when the parts do
// not fit the pattern (a part's topic is not the pattern with its name),
// when two parts share a name, or when their topics belong to different
// schema sets: all are programming errors, caught when the package that
// declares the family is initialized.
func NewFamily[P any](pattern string, parts ...FamilyPart[P]) *Family[P] {
	prefix, suffix, ok := strings.Cut(pattern, "{part}")
	if !ok || strings.Contains(suffix, "{part}") {
		panic(fmt.Sprintf("typed: NewFamily: pattern %q does not hold {part} once", pattern))
	}
	if len(parts) == 0 {
		panic(fmt.Sprintf("typed: NewFamily: family %s has no parts", pattern))
	}
	f := &Family[P]{pattern: pattern, prefix: prefix, suffix: suffix, schemas: parts[0].schemas, parts: parts}
	seen := map[string]bool{}
	for _, p := range parts {
		switch {
		case p.topic != prefix+p.name+suffix:
			panic(fmt.Sprintf("typed: NewFamily: part %q of family %s has topic %q, want %q", p.name, pattern, p.topic, prefix+p.name+suffix))
		case seen[p.name]:
			panic(fmt.Sprintf("typed: NewFamily: part %q of family %s is declared twice", p.name, pattern))
		case p.schemas != f.schemas:
			panic(fmt.Sprintf("typed: NewFamily: part %q of family %s is from another schema set than the first part", p.name, pattern))
		}
		seen[p.name] = true
	}
	return f
}

// Pattern returns the family's topic pattern ("raw.{part}").
func (f *Family[P]) Pattern() string { return f.pattern }

// Parts returns the part names, in their declared order.
func (f *Family[P]) Parts() []string {
	names := make([]string, len(f.parts))
	for i, p := range f.parts {
		names[i] = p.name
	}
	return names
}

// Part returns the name of the first part, in the declared order, that is
// set in p, and "" if none is.
func (f *Family[P]) Part(p P) string {
	if fp := f.set(&p); fp != nil {
		return fp.name
	}
	return ""
}

func (f *Family[P]) set(p *P) *FamilyPart[P] {
	for i := range f.parts {
		if f.parts[i].isSet(p) {
			return &f.parts[i]
		}
	}
	return nil
}

// Publish publishes the part that is set in p (the first one, in the
// declared order, if several are) on its topic, as the part's BoundTopic
// does: its fill first sets the members the family's set rules name, then
// the message is validated and published with d. A p in
// which no part is set (for a PartMessage: whose Part is none of the
// family's) gives an error wrapping ErrNoPart, and nothing is sent.
func (f *Family[P]) Publish(ctx context.Context, d *distributer.Distributer, p P, opts ...distributer.PublishOption) error {
	fp := f.set(&p)
	if fp == nil {
		return fmt.Errorf("typed: publish on %s: %w in the %T: set the part to publish, one of %s", f.pattern, ErrNoPart, p, strings.Join(f.Parts(), ", "))
	}
	return fp.publish(ctx, d, &p, opts)
}

// Subscribe subscribes h to the family's topics whose part matches part: a
// part name ("pose") or a pattern over part names ("*" for every part; the
// subscription's pattern is the family's pattern with part in place of
// {part}). Each delivery is validated against the schema of its own topic
// (unless d skips receive validation, or validates with the same schemas),
// decoded into the field of its part (a PartMessage: its Message, with
// Part set to the part's name) and handed to h; one that is invalid
// or does not decode never reaches h: it is reported and dead-lettered, as
// with Topic.Subscribe. A delivery on a topic outside the family (possible
// only when other subscriptions share the group) is dead-lettered with a
// *MisroutedError. opts are those of distributer.Subscribe
// (distributer.Group).
func (f *Family[P]) Subscribe(ctx context.Context, d *distributer.Distributer, part string, h Handler[P], opts ...distributer.SubscribeOption) (*distributer.Subscription, error) {
	pattern := f.prefix + part + f.suffix
	if h == nil {
		return nil, fmt.Errorf("typed: subscribe to %q: nil handler", pattern)
	}
	ds := make(dispatch, len(f.parts))
	for i := range f.parts {
		fp := &f.parts[i]
		ds[fp.topic] = func(ctx context.Context, m *distributer.Message) error {
			var p P
			if err := fp.decode(&p, m.Body); err != nil {
				return err
			}
			return h.Handle(ctx, p, m)
		}
	}
	return ds.subscribe(ctx, d, f.schemas, []string{pattern}, f.pattern, opts)
}
