// Command fulfilment runs the example's fulfilment service on a bus
// (DISTRIBUTER_URL, memory:// by default), publishes one order and prints
// the dispatch parts it produces.
//
//	go run ./cmd/fulfilment
//	DISTRIBUTER_URL=amqp://guest:guest@127.0.0.1:5672/ go run ./cmd/fulfilment
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/distributer/distributer"
	_ "github.com/distributer/distributer/drivers/amqp" // amqp:// URLs
	"github.com/distributer/distributer/typed"

	"example.com/shipping/fulfilment"
	"example.com/shipping/orders"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "fulfilment:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := orders.Open(ctx, os.Getenv("DISTRIBUTER_URL"))
	if err != nil {
		return err
	}
	defer conn.Close()

	svc := &fulfilment.Service{Conn: conn, TaxRate: 0.2}
	sub, err := svc.Start(ctx)
	if err != nil {
		return err
	}
	defer sub.Close()

	// Print every dispatch part, whatever its topic (dispatch.*).
	got := make(chan string, 3)
	_, err = conn.Dispatch.Subscribe(ctx, "*", orders.DispatchHandlerFunc(func(_ context.Context, p orders.DispatchPart, m *distributer.Message) error {
		got <- fmt.Sprintf("%-17s %s", m.Topic, m.Body)
		return nil
	}))
	if err != nil {
		return err
	}

	order := orders.Event[orders.Order]{
		Meta: orders.Meta{OrderID: "ord-1042", At: time.Now().UTC(), Kind: orders.MetaKindOrder},
		Data: orders.Order{
			ID:       "ord-1042",
			Customer: orders.OrderCustomer{ID: 7, Name: "Ada Lovelace", Email: typed.Ptr("ada@example.com")},
			Lines: []orders.OrderLinesItem{
				{SKU: "TEA-001", Qty: 2, UnitPrice: 450, WeightGrams: 250},
				{SKU: "CUP-0042", Qty: 1, UnitPrice: 1299, WeightGrams: 400},
			},
			ShipTo:   orders.Address{Name: "Ada Lovelace", Street: "12 St James's Square", City: "London", Postcode: "SW1Y 4JH", Country: "GB"},
			Carrier:  orders.CarrierDhl,
			Currency: orders.CurrencyGBP,
			Priority: typed.Ptr(orders.OrderPriority1),
		},
	}
	body, _ := json.Marshal(order)
	fmt.Printf("%-17s %s\n", orders.TopicOrderPlaced, body)
	if err := conn.OrderPlaced.Publish(ctx, order); err != nil {
		return err
	}
	for range 3 {
		select {
		case line := <-got:
			fmt.Println(line)
		case <-ctx.Done():
			return fmt.Errorf("waiting for the dispatch: %w", ctx.Err())
		}
	}
	return nil
}
