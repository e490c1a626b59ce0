package typed

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/distributer/distributer"
)

// PublishAsync marshals v and checks it against the topic's schema before
// it returns, as Publish does, then publishes it with d.PublishAsync: the
// result resolves once the broker has confirmed the message (see
// distributer.PublishAsync for order, flow control, Flush and Close). An
// invalid v gives a result that is already resolved with the error
// Publish returns (a *ValidationError, or an error wrapping one when d
// validates with the same schemas), and nothing is sent.
func (t Topic[T]) PublishAsync(ctx context.Context, d *distributer.Distributer, v T, opts ...distributer.PublishOption) *distributer.PublishResult {
	body, err := t.body(d, v)
	if err != nil {
		return distributer.FailedResult(err)
	}
	return d.PublishAsync(ctx, t.name, body, opts...)
}

// body returns the JSON encoding of v for publishing with d: checked
// against the topic's schema, unless d validates every publish with these
// very schemas (once is enough).
func (t Topic[T]) body(d *distributer.Distributer, v T) ([]byte, error) {
	if !t.validatedBy(d) {
		return t.Marshal(v)
	}
	body, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("typed: marshal message for topic %q: %w", t.name, err)
	}
	return body, nil
}
