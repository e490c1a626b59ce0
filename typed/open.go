package typed

import (
	"context"
	"errors"
	"fmt"

	"github.com/distributer/distributer"
)

// Open connects to the broker at url ("" means memory://) with validation by
// s on publish and on receive (distributer.WithValidator(s)), and wraps the
// Distributer with wrap. opts come after the validator, so they can change
// that (distributer.WithoutReceiveValidation). It is the Open of the
// generated packages: cortex.Open(ctx, url) is
// typed.Open(ctx, url, cortex.Schemas, cortex.New).
func Open[C any](ctx context.Context, url string, s *Schemas, wrap func(*distributer.Distributer) *C, opts ...distributer.Option) (*C, error) {
	d, err := distributer.Open(ctx, url, append([]distributer.Option{distributer.WithValidator(s)}, opts...)...)
	if err != nil {
		return nil, err
	}
	return wrap(d), nil
}

// ErrNoRoute is wrapped by the error of a generated entry method (an entry
// of distgen.json, such as PublishServer) for a value that none of the
// entry's routes applies to: every route has a "when" and the members they
// check are all absent.
var ErrNoRoute = errors.New("no route applies to the value")

// NoRoute returns the error of the generated Publish method of entry for a
// value that none of its routes applies to. It wraps ErrNoRoute.
func NoRoute(entry string) error {
	return fmt.Errorf("typed: publish by entry %q: %w: set a member that a route's \"when\" checks, or add a route without \"when\" to distgen.json", entry, ErrNoRoute)
}
