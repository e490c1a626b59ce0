package typed

import (
	"context"
	"fmt"

	"github.com/distributer/distributer"
)

// FanOut is the runtime of a fan-out declared in distgen.json: it turns one
// composite value of type In (a snapshot in its envelope) into one message
// per part present (the pose, the color image, ...), each on its own topic,
// and publishes them as one batch. Generated packages declare one FanOut per
// fan-out, with NewFanOut and one NewFanPart per part, and a one-line
// Publish method calls it.
//
// A FanOut is immutable and safe for concurrent use.
type FanOut[In any] struct {
	parts []FanPart[In]
}

// FanPart is one part of a FanOut. Make it with NewFanPart.
type FanPart[In any] struct {
	name    string
	message func(in *In, opts []distributer.PublishOption) (*distributer.Message, error)
}

// NewFanPart returns the part name of a fan-out, published on topic t. get
// returns the part's data in the input and whether it is present (an
// optional member may be absent); build makes the message of the part from
// the input and the data, copying the members the part shares with the
// input (the envelope) and setting those the set rules name.
func NewFanPart[In, D, T any](t Topic[T], name string, get func(in *In) (D, bool), build func(in *In, data D, part string) T) FanPart[In] {
	return FanPart[In]{
		name: name,
		message: func(in *In, opts []distributer.PublishOption) (*distributer.Message, error) {
			data, ok := get(in)
			if !ok {
				return nil, nil
			}
			return t.Message(build(in, data, name), opts...)
		},
	}
}

// NewFanOut returns the fan-out of parts, in the order they are published.
// It panics when two parts share a name, a programming error caught when
// the package that declares it is initialized.
func NewFanOut[In any](parts ...FanPart[In]) *FanOut[In] {
	seen := map[string]bool{}
	for _, p := range parts {
		if seen[p.name] {
			panic(fmt.Sprintf("typed: NewFanOut: part %q is declared twice", p.name))
		}
		seen[p.name] = true
	}
	return &FanOut[In]{parts: parts}
}

// Messages returns the messages of the parts present in in, in the declared
// order, each validated against its topic's schema and with opts applied;
// none (and no error) when no part is present. An id given with
// distributer.WithID, which every part would share, becomes <id>.<part> on
// each. The first invalid part gives its *ValidationError (or the marshal
// error) and no messages.
func (f *FanOut[In]) Messages(in In, opts ...distributer.PublishOption) ([]*distributer.Message, error) {
	var msgs []*distributer.Message
	var parts []string
	for _, p := range f.parts {
		m, err := p.message(&in, opts)
		if err != nil {
			return nil, err
		}
		if m != nil {
			msgs = append(msgs, m)
			parts = append(parts, p.name)
		}
	}
	// A caller-chosen id (distributer.WithID) would be shared by every part:
	// make it <id>.<part>.
	for i := 1; i < len(msgs); i++ {
		if msgs[0].ID != "" && msgs[i].ID == msgs[0].ID {
			for j, m := range msgs {
				m.ID += "." + parts[j]
			}
			break
		}
	}
	return msgs, nil
}

// Publish publishes the messages of the parts present in in (see Messages)
// with d as one batch (distributer.PublishBatch): if one is invalid, none is
// sent. When no part is present it sends nothing and returns nil.
func (f *FanOut[In]) Publish(ctx context.Context, d *distributer.Distributer, in In, opts ...distributer.PublishOption) error {
	msgs, err := f.Messages(in, opts...)
	if err != nil || len(msgs) == 0 {
		return err
	}
	return d.PublishBatch(ctx, msgs)
}

// Deref returns *p and true, or the zero T and false when p is nil: the get
// function of a fan-out part whose data is an optional member.
func Deref[T any](p *T) (T, bool) {
	if p == nil {
		var zero T
		return zero, false
	}
	return *p, true
}

// AsIs returns data: the build function of a fan-out part whose message is
// the data itself (a family without an envelope).
func AsIs[In, T any](in *In, data T, part string) T { return data }
