// Package amqp is the RabbitMQ driver of Distributer, built on
// github.com/rabbitmq/amqp091-go. Importing it registers the URL schemes
// amqp, amqps (TLS) and rabbitmq (an alias of amqp):
//
//	import _ "github.com/distributer/distributer/drivers/amqp"
//
//	d, err := distributer.Open(ctx, "amqp://guest:guest@127.0.0.1:5672/?exchange=one&durable=false")
//
// Topology: one topic exchange (routing key = topic). A subscriber without a
// group gets an exclusive, auto-delete, broker-named queue; the members of a
// named group share a durable queue named after the group, bound with each
// member's patterns. Messages are persistent JSON with publisher confirms;
// deliveries are acked after the handler returns nil. Failed messages are
// redelivered up to max_attempts times, then published to the dead-letter
// exchange with the reason in their headers. The driver reconnects by itself
// (failing over along the URL's host list), re-declares its topology and
// resumes every subscription.
//
// The URL is amqp://user:password@host:port[,host:port...]/vhost?options
// (user and password default to guest, the port to 5672, 5671 for amqps).
// Options, with their defaults; unknown, repeated and invalid ones are
// refused with an error wrapping distributer.ErrInvalidURL:
//
//	exchange=distributer         the topic exchange
//	durable=true                 durability of the group queues (and their dead-letter queues)
//	exchange_durable=<durable>   durability of the exchange and the dead-letter exchange
//	queue_type=classic           group queues: classic or quorum
//	queue_prefix=                group queue name = queue_prefix + group
//	max_attempts=5               deliveries before a failing message is dead-lettered
//	dead_letter_exchange=<exchange>.dlx
//	prefetch=64                  unacknowledged deliveries per subscription
//	concurrency=1                handler goroutines per subscription
//	heartbeat=10s                connect_timeout=10s   topology_timeout=10s
//	reconnect_min=200ms          reconnect_max=5s
//	cacertfile, certfile, keyfile, server_name_indication, verify=verify_peer (amqps only)
//
// docs/amqp.md and docs/operations.md describe each option, the
// failover behaviour and the delivery guarantees.
package amqp

import (
	"context"
	"net/url"

	"github.com/distributer/distributer/distributer/driver"
)

func init() {
	driver.Register("amqp", Driver{})
	driver.Register("amqps", Driver{})
	driver.Register("rabbitmq", Driver{})
}

// Driver opens RabbitMQ connections. It is registered for the amqp, amqps
// and rabbitmq schemes.
type Driver struct{}

// Open parses u (see the package documentation for the options) and
// connects to the first node of its host list that answers.
func (Driver) Open(ctx context.Context, u *url.URL) (driver.Conn, error) {
	cfg, err := parseURL(u)
	if err != nil {
		return nil, err
	}
	return open(ctx, cfg)
}
