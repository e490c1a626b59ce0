package typed_test

import (
	"context"
	"errors"
	"testing"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/typed"
)

// Topic.PublishAsync validates before it returns: an invalid value gives a
// result already resolved with Publish's *ValidationError, and nothing is
// sent; valid values resolve with nil and arrive, in order, under their
// results' ids. So with a Distributer that validates with the same schemas.
func TestTypedPublishAsync(t *testing.T) {
	ctx := context.Background()
	s := shopSchemas(t)
	orders := typed.NewTopic[Order](s, "orders.created")
	for _, c := range []struct {
		name string
		opts []distributer.Option
	}{{"typed validation", nil}, {"WithValidator", []distributer.Option{distributer.WithValidator(s)}}} {
		t.Run(c.name, func(t *testing.T) {
			d := open(t, newURL(), c.opts...)
			all := make(chan *distributer.Message, 10)
			sub, err := d.Subscribe(ctx, []string{"#"}, distributer.HandlerFunc(func(_ context.Context, m *distributer.Message) error {
				all <- m
				return nil
			}))
			if err != nil {
				t.Fatal(err)
			}
			defer sub.Close()

			bad := order(1)
			bad.Customer.Tier = 9
			res := orders.PublishAsync(ctx, d, bad)
			select {
			case <-res.Done():
			default:
				t.Fatal("PublishAsync(invalid): result not resolved when it returned")
			}
			_, err = res.Get(ctx)
			var ve *typed.ValidationError
			syncErr := orders.Publish(ctx, d, bad)
			if !errors.As(err, &ve) || ve.Topic != "orders.created" || !errors.Is(err, distributer.ErrInvalidMessage) || err.Error() != syncErr.Error() {
				t.Fatalf("PublishAsync(invalid) = %v, want the *ValidationError Publish returns (%v)", err, syncErr)
			}

			var results []*distributer.PublishResult
			for id := uint64(2); id <= 4; id++ {
				results = append(results, orders.PublishAsync(ctx, d, order(id)))
			}
			if err := d.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			for i, res := range results {
				id, err := res.Get(ctx)
				if err != nil {
					t.Fatalf("order %d: %v", i+2, err)
				}
				m := recv(t, all)
				if o, err := orders.Decode(m.Body); err != nil || o.ID != uint64(i+2) || m.ID != id {
					t.Fatalf("delivery %d = %s id %q (%v), want order %d id %q: the invalid one was sent, or order lost", i, m.Body, m.ID, err, i+2, id)
				}
			}
		})
	}
}
