package fulfilment_test

import (
	"context"
	"testing"
	"time"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/servicetest"
	"github.com/distributer/distributer/typed"

	"example.com/shipping/fulfilment"
	"example.com/shipping/orders"
)

var clock = time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)

func order(email *string, priority *orders.OrderPriority) orders.Order {
	return orders.Order{
		ID:       "ord-1042",
		Customer: orders.OrderCustomer{ID: 7, Name: "Ada Lovelace", Email: email},
		Lines: []orders.OrderLinesItem{
			{SKU: "TEA-001", Qty: 2, UnitPrice: 450, WeightGrams: 250},
			{SKU: "CUP-0042", Qty: 1, UnitPrice: 1299, WeightGrams: 400},
		},
		ShipTo:   orders.Address{Name: "Ada Lovelace", Street: "12 St James's Square", City: "London", Postcode: "SW1Y 4JH", Country: "GB"},
		Carrier:  orders.CarrierUps,
		Currency: orders.CurrencyGBP,
		Priority: priority,
	}
}

// start runs the service on the test's bus; it subscribes before the test
// publishes anything.
func start(t *testing.T, bus *servicetest.Bus) *orders.Conn {
	t.Helper()
	conn := orders.New(bus.D)
	svc := &fulfilment.Service{Conn: conn, TaxRate: 0.2, Now: func() time.Time { return clock }}
	if _, err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return conn
}

func placed(o orders.Order) orders.Event[orders.Order] {
	return orders.Event[orders.Order]{Meta: orders.Meta{OrderID: o.ID, At: clock.Add(-time.Minute), Kind: orders.MetaKindOrder}, Data: o}
}

func TestDispatchFansOutEveryPart(t *testing.T) {
	bus := servicetest.New(t, servicetest.Schemas(orders.Schemas))
	conn := start(t, bus)
	o := order(typed.Ptr("ada@example.com"), typed.Ptr(orders.OrderPriority2))
	if err := conn.OrderPlaced.Publish(context.Background(), placed(o)); err != nil {
		t.Fatal(err)
	}
	meta := func(kind orders.MetaKind) orders.Meta {
		return orders.Meta{OrderID: "ord-1042", At: clock, Kind: kind}
	}
	servicetest.ExpectOne(bus, orders.Topics.DispatchLabel, orders.Event[orders.DispatchLabel]{
		Meta: meta(orders.MetaKindLabel),
		Data: orders.DispatchLabel{Carrier: orders.CarrierUps, Tracking: "UPS0000001042", WeightGrams: 900, ShipTo: o.ShipTo, Service: orders.DispatchLabelServiceSameDay},
	})
	servicetest.ExpectOne(bus, orders.Topics.DispatchInvoice, orders.Event[orders.DispatchInvoice]{
		Meta: meta(orders.MetaKindInvoice),
		Data: orders.DispatchInvoice{Number: "INV-1042", Total: 2199, Currency: orders.CurrencyGBP, TaxRate: 0.2},
	})
	servicetest.ExpectOne(bus, orders.Topics.DispatchNotice, orders.Event[orders.DispatchNotice]{
		Meta: meta(orders.MetaKindNotice),
		Data: orders.DispatchNotice{Email: "ada@example.com", Subject: "Your order ord-1042 is on its way", Text: "UPS tracking number UPS0000001042 (same_day)."},
	})
	// The parts go out in the declared order: label, invoice, notice.
	var topics []string
	for _, m := range bus.Messages("dispatch.*") {
		topics = append(topics, m.Topic)
	}
	if want := []string{"dispatch.label", "dispatch.invoice", "dispatch.notice"}; len(topics) != 3 || topics[0] != want[0] || topics[1] != want[1] || topics[2] != want[2] {
		t.Errorf("dispatch order %v, want %v", topics, want)
	}
	bus.ExpectNoInvalid()
	bus.ExpectNoDeadLetters()
}

func TestNoNoticeWithoutEmail(t *testing.T) {
	bus := servicetest.New(t, servicetest.Schemas(orders.Schemas))
	conn := start(t, bus)
	if err := conn.OrderPlaced.Publish(context.Background(), placed(order(nil, nil))); err != nil {
		t.Fatal(err)
	}
	labels := servicetest.ExpectCount(bus, orders.Topics.DispatchLabel, 1)
	if len(labels) == 1 && labels[0].Data.Service != orders.DispatchLabelServiceStandard {
		t.Errorf("service %q, want standard", labels[0].Data.Service)
	}
	servicetest.ExpectCount(bus, orders.Topics.DispatchInvoice, 1)
	bus.ExpectNone("dispatch.notice")
	bus.ExpectNoInvalid()
}

func TestInvalidOrderIsDeadLettered(t *testing.T) {
	bus := servicetest.New(t, servicetest.Schemas(orders.Schemas))
	start(t, bus)
	// A producer that does not use the generated package (no validator)
	// sends an order with an unknown carrier and no lines.
	raw, err := distributer.Open(context.Background(), bus.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	body := `{"meta": {"order_id": "ord-2000", "at": "2026-11-25T09:00:00Z", "kind": "order"},
	  "data": {"id": "ord-2000", "customer": {"id": 1, "name": "Bob"}, "lines": [],
	  "ship_to": {"name": "Bob", "street": "1 Main St", "city": "Springfield", "postcode": "12345", "country": "US"},
	  "carrier": "pigeon", "currency": "USD"}}`
	if err := raw.Publish(context.Background(), orders.TopicOrderPlaced, []byte(body)); err != nil {
		t.Fatal(err)
	}
	dls := bus.ExpectDeadLettered(orders.TopicOrderPlaced, 1)
	if len(dls) == 1 && dls[0].Group != fulfilment.Group {
		t.Errorf("dead-lettered by group %q, want %q", dls[0].Group, fulfilment.Group)
	}
	bus.ExpectNone("dispatch.*")
}

func TestPlan(t *testing.T) {
	d := fulfilment.Plan(order(nil, typed.Ptr(orders.OrderPriority1)), 0.25)
	if d.Label == nil || d.Invoice == nil || d.Notice != nil {
		t.Fatalf("parts: %+v", d)
	}
	if d.Label.WeightGrams != 900 || d.Label.Service != orders.DispatchLabelServiceExpress || d.Invoice.Total != 2199 || d.Invoice.TaxRate != 0.25 {
		t.Errorf("plan %+v %+v", *d.Label, *d.Invoice)
	}
}
