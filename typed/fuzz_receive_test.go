package typed_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/typed"
)

// receiveSeeds are number-heavy bodies for the orders.created topic: huge
// exponents and mantissas, numbers at and past the bounds of the schema
// and of the Go types (uint64 id, int tier, float64 amount).
var receiveSeeds = []string{
	validOrder,
	`{"id": 1e9999999, "customer": {"name": "A", "tier": 1}, "items": [{"sku": "ABC-1", "qty": 2}], "total": {"amount": 1, "currency": "EUR"}}`,
	`{"id": 7, "customer": {"name": "A", "tier": -1E+99999999}, "items": [{"sku": "ABC-1", "qty": 2}], "total": {"amount": 1, "currency": "EUR"}}`,
	`{"id": 18446744073709551616, "customer": {"name": "A", "tier": 1}, "items": [{"sku": "ABC-1", "qty": 2}], "total": {"amount": 1e400, "currency": "EUR"}}`,
	`{"id": 18446744073709551615, "customer": {"name": "A", "tier": 1.0}, "items": [{"sku": "ABC-1", "qty": 2e0}], "total": {"amount": 1e-9999999, "currency": "EUR"}}`,
	`{"id": 7, "customer": {"name": "A", "tier": 1}, "items": [{"sku": "ABC-1", "qty": 1` + strings.Repeat("0", 1200) + `}], "total": {"amount": 0.` + strings.Repeat("0", 999) + `1, "currency": "EUR"}}`,
	`[1e9999999, -1e9999999, 1E+99999999, 0e99999, -0.0e-0]`, `1e9999999`, `-0`, `{"id": -0.0}`,
}

// FuzzReceiveTyped publishes bodies through memory:// to a validating untyped
// subscriber (the runtime's wrap) and to a typed one (validate, then decode
// into Order), from a publisher that does not validate. Each must handle
// or dead-letter every body, never crash, and agree with Schemas.Validate;
// a typed handler only ever sees bodies that are valid and decode.
func FuzzReceiveTyped(f *testing.F) {
	for _, s := range receiveSeeds {
		f.Add([]byte(s))
	}
	schemas := shopSchemas(f)
	type outcome struct {
		who     string
		invalid error
	}
	out := make(chan outcome, 16)
	ctx := context.Background()
	quiet := distributer.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	open := func(opts ...distributer.Option) *distributer.Distributer {
		d, err := distributer.Open(ctx, "memory://fuzz-receive", append([]distributer.Option{quiet}, opts...)...)
		if err != nil {
			f.Fatal(err)
		}
		f.Cleanup(func() { _ = d.Close() })
		return d
	}
	pub := open()
	untyped := open(distributer.WithValidator(schemas), distributer.OnInvalid(func(ctx context.Context, m *distributer.Message, err error) {
		out <- outcome{"untyped", err}
	}))
	plain := open(distributer.OnInvalid(func(ctx context.Context, m *distributer.Message, err error) {
		out <- outcome{"typed", err}
	}))
	if _, err := untyped.Subscribe(ctx, []string{"orders.created"}, distributer.HandlerFunc(func(ctx context.Context, m *distributer.Message) error {
		out <- outcome{"untyped", nil}
		return nil
	})); err != nil {
		f.Fatal(err)
	}
	topic := typed.NewTopic[Order](schemas, "orders.created")
	if _, err := topic.Subscribe(ctx, plain, typed.HandlerFunc[Order](func(ctx context.Context, o Order, m *distributer.Message) error {
		out <- outcome{"typed", nil}
		return nil
	})); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		verr := schemas.Validate("orders.created", body)
		_, derr := topic.Decode(body) // never panics
		if derr != nil && !errors.Is(derr, distributer.ErrInvalidMessage) {
			t.Fatalf("Decode(%q) = %v, want an error wrapping ErrInvalidMessage", body, derr)
		}
		if (verr == nil) != (derr == nil || errors.As(derr, new(*typed.DecodeError))) {
			t.Fatalf("Validate(%q) = %v but Decode = %v", body, verr, derr)
		}
		if err := pub.Publish(ctx, "orders.created", body); err != nil {
			if !errors.Is(err, distributer.ErrInvalidJSON) {
				t.Fatalf("Publish(%q) = %v", body, err)
			}
			return // not JSON: never sent
		}
		got := map[string]error{}
		for len(got) < 2 {
			select {
			case o := <-out:
				got[o.who] = o.invalid
			case <-time.After(10 * time.Second):
				t.Fatalf("body %q: outcomes %v, want one from each subscriber", body, got)
			}
		}
		if (got["untyped"] == nil) != (verr == nil) {
			t.Fatalf("body %q: untyped subscriber outcome %v, Validate says %v", body, got["untyped"], verr)
		}
		if (got["typed"] == nil) != (derr == nil) {
			t.Fatalf("body %q: typed subscriber outcome %v, Decode says %v", body, got["typed"], derr)
		}
	})
}
