package amqp_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strings"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/drivers/amqp"
)

// Share the Python services' broker layout: their non-durable exchange
// "one", with a work-sharing group named "saver". Three nodes are listed: the
// driver connects to one and fails over to the others.
func Example() {
	ctx := context.Background()
	d, err := distributer.Open(ctx, "rabbitmq://guest:guest@h1:5672,h2:5672,h3:5672/?exchange=one&durable=false")
	switch {
	case errors.Is(err, amqp.ErrCredentials):
		log.Fatal("wrong user or password: ", err)
	case errors.Is(err, amqp.ErrMismatch):
		log.Fatal(err) // names the URL option that fixes it
	case err != nil:
		log.Fatal(err) // e.g. *amqp.DialError: every node tried, and why
	}
	defer d.Close()

	_, err = d.Subscribe(ctx, []string{"user", "parsed.*"}, distributer.HandlerFunc(
		func(ctx context.Context, m *distributer.Message) error {
			fmt.Printf("%s (attempt %d, id %s): %s\n", m.Topic, m.Attempt, m.ID, m.Body)
			return nil // ack; an error redelivers, distributer.Reject dead-letters
		}), distributer.Group("saver"))
	if err != nil {
		log.Fatal(err)
	}
	// Returns once the broker confirmed the message.
	if err := d.Publish(ctx, "parsed.pose", []byte(`{"metadata":{"user_id":42},"data":{}}`)); err != nil {
		log.Fatal(err)
	}
}

// Open checks the URL before it connects: a misspelt option is refused with
// distributer.ErrInvalidURL, the message names the parameter (and lists the
// known ones), and the password is never shown.
func Example_invalidURL() {
	_, err := distributer.Open(context.Background(), "amqp://app:s3cret@127.0.0.1:5672/?queue_typ=quorum")
	fmt.Println(errors.Is(err, distributer.ErrInvalidURL))
	fmt.Println(strings.Contains(err.Error(), `unknown query parameter "queue_typ"`))
	fmt.Println(strings.Contains(err.Error(), "s3cret"))
	// Output:
	// true
	// true
	// false
}
