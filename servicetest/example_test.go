package servicetest_test

import (
	"context"
	"testing"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/servicetest"
	"github.com/distributer/distributer/typed"
)

// A test of a service: run it on a private bus, publish its input and
// assert, typed, on what it published. The service here answers each order
// with a shipment, ten items a box. (This example is compiled but not run:
// servicetest needs the test's t. TestShipping is a Test function of your
// package.)
func ExampleNew() {
	type Order struct {
		ID  string `json:"id"`
		Qty int    `json:"qty"`
	}
	type Shipment struct {
		ID    string `json:"id"`
		Boxes int    `json:"boxes"`
	}
	schemas := typed.MustCompile(map[string]string{
		"order.json":    `{"type": "object", "required": ["id", "qty"], "properties": {"id": {"type": "string"}, "qty": {"type": "integer", "minimum": 1}}}`,
		"shipment.json": `{"type": "object", "required": ["id", "boxes"], "properties": {"id": {"type": "string"}, "boxes": {"type": "integer", "minimum": 1}}}`,
	}, map[string]string{"order.placed": "order.json", "order.shipped": "shipment.json"})
	placed := typed.NewTopic[Order](schemas, "order.placed")
	shipped := typed.NewTopic[Shipment](schemas, "order.shipped")

	// The service under test.
	start := func(ctx context.Context, d *distributer.Distributer) error {
		_, err := placed.Subscribe(ctx, d, typed.HandlerFunc[Order](func(ctx context.Context, o Order, _ *distributer.Message) error {
			return shipped.Publish(ctx, d, Shipment{ID: o.ID, Boxes: (o.Qty + 9) / 10})
		}), distributer.Group("shipper"))
		return err
	}

	TestShipping := func(t *testing.T) {
		ctx := context.Background()
		bus := servicetest.New(t, servicetest.Schemas(schemas)) // closed when the test ends
		if err := start(ctx, bus.D); err != nil {               // subscribe before publishing
			t.Fatal(err)
		}
		if err := placed.Publish(ctx, bus.D, Order{ID: "o-1", Qty: 25}); err != nil {
			t.Fatal(err)
		}
		servicetest.ExpectOne(bus, shipped, Shipment{ID: "o-1", Boxes: 3}) // exactly one, equal
		bus.ExpectNoInvalid()                                              // nothing invalid published or dead-lettered
	}
	_ = TestShipping
}
