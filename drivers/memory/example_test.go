package memory_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/drivers/memory"
)

// A test can read the dead letters of a named bus.
func ExampleWaitDeadLetters() {
	ctx := context.Background()
	d, err := distributer.Open(ctx, "memory://example-dead-letters?max_attempts=2",
		distributer.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()

	_, err = d.Subscribe(ctx, []string{"orders.*"}, distributer.HandlerFunc(func(ctx context.Context, m *distributer.Message) error {
		return errors.New("warehouse offline")
	}), distributer.Group("fulfilment"))
	if err != nil {
		log.Fatal(err)
	}
	if err := d.Publish(ctx, "orders.new", []byte(`{"id":7}`)); err != nil {
		log.Fatal(err)
	}

	dls, err := memory.WaitDeadLetters(ctx, "example-dead-letters", 0)
	if err != nil {
		log.Fatal(err)
	}
	dl := dls[0]
	fmt.Printf("%s %s: group %q: %s\n", dl.Message.Topic, dl.Message.Body, dl.Group, dl.Reason)
	// Output: orders.new {"id":7}: group "fulfilment": failed 2 attempts, last error: warehouse offline
}
