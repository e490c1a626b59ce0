// Package fulfilment is the example's service: it takes the orders placed
// on order.placed (in group "fulfilment", so instances share the work) and
// publishes, for each, a Dispatch fanned out by the generated package to
// dispatch.label, dispatch.invoice and, when the customer gave an e-mail
// address, dispatch.notice.
package fulfilment

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/distributer/distributer"

	"example.com/shipping/orders"
)

// Group is the subscriber group of the service.
const Group = "fulfilment"

// Service turns placed orders into dispatches.
type Service struct {
	Conn    *orders.Conn
	TaxRate float64          // VAT rate written on invoices, in [0, 1)
	Now     func() time.Time // the clock; time.Now when nil
}

// Start subscribes to order.placed; orders are handled until the returned
// subscription is closed. Orders published before Start returns reach the
// service only if another member of the group was already subscribed.
func (s *Service) Start(ctx context.Context) (*distributer.Subscription, error) {
	sub, err := s.Conn.OrderPlaced.Subscribe(ctx, orders.OrderPlacedHandlerFunc(s.handle), distributer.Group(Group))
	if err != nil {
		return nil, fmt.Errorf("fulfilment: %w", err)
	}
	return sub, nil
}

// Run is Start, then waits until ctx ends (or the subscription fails) and
// closes the subscription.
func (s *Service) Run(ctx context.Context) error {
	sub, err := s.Start(ctx)
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case <-sub.Done():
	}
	if err := sub.Close(); err != nil {
		return err
	}
	return sub.Err()
}

func (s *Service) handle(ctx context.Context, ev orders.Event[orders.Order], _ *distributer.Message) error {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	out := orders.Event[orders.Dispatch]{
		Meta: orders.Meta{OrderID: ev.Meta.OrderID, At: now().UTC(), Kind: orders.MetaKindOrder},
		Data: Plan(ev.Data, s.TaxRate),
	}
	// The generated fan-out sets meta.kind to each part's name, validates
	// every part and publishes them as one batch.
	return s.Conn.PublishDispatch(ctx, out)
}

// Plan computes the dispatch of an order: a label (weight of all lines,
// service from the priority, a tracking number derived from the order id),
// an invoice (total of all lines), and a notice when the customer has an
// e-mail address.
func Plan(o orders.Order, taxRate float64) orders.Dispatch {
	var weight, total uint64
	for _, l := range o.Lines {
		weight += l.Qty * l.WeightGrams
		total += l.Qty * uint64(l.UnitPrice)
	}
	digits := strings.TrimPrefix(string(o.ID), "ord-")
	service := orders.DispatchLabelServiceStandard
	if o.Priority != nil {
		switch *o.Priority {
		case orders.OrderPriority1:
			service = orders.DispatchLabelServiceExpress
		case orders.OrderPriority2:
			service = orders.DispatchLabelServiceSameDay
		}
	}
	tracking := strings.ToUpper(string(o.Carrier)) + fmt.Sprintf("%010s", digits)
	d := orders.Dispatch{
		Label: &orders.DispatchLabel{
			Carrier:     o.Carrier,
			Tracking:    tracking,
			WeightGrams: weight,
			ShipTo:      o.ShipTo,
			Service:     service,
		},
		Invoice: &orders.DispatchInvoice{
			Number:   "INV-" + digits,
			Total:    orders.Cents(total),
			Currency: o.Currency,
			TaxRate:  taxRate,
		},
	}
	if o.Customer.Email != nil {
		d.Notice = &orders.DispatchNotice{
			Email:   *o.Customer.Email,
			Subject: fmt.Sprintf("Your order %s is on its way", o.ID),
			Text:    fmt.Sprintf("%s tracking number %s (%s).", strings.ToUpper(string(o.Carrier)), tracking, service),
		}
	}
	return d
}
