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
// member's patterns. Messages are persistent JSON with publisher confirms.
// What becomes of a delivery (ack, retry, dead letter, give back) is the
// runtime's decision ("Delivery policy" in package distributer); the driver
// counts attempts and carries the decision out: acks after success, retries
// at the tail of the queue, dead letters published to the dead-letter

// member's patterns. Messages are persistent JSON with publisher confirms
// (the Conn is a driver.Sender: distributer.PublishAsync writes in the
// caller's goroutine and waits for the confirm in the background; Publish
// is Send then Wait); deliveries are acked after the handler returns nil. Failed messages are
// redelivered up to max_attempts times, then published to the dead-letter
// exchange with the reason in their headers (see "Retries and trust in the
// wire" below). The driver reconnects by itself
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
//	dead_letter_exchange=<exchange>.dlx
//	retry_exchange=<exchange>.retry  headers exchange of retry copies and close give-backs
//	prefetch=64                  unacknowledged deliveries per subscription
//	concurrency=1                handler goroutines per subscription
//	heartbeat=10s                connect_timeout=10s   topology_timeout=10s
//	reconnect_min=200ms          reconnect_max=5s
//	cacertfile, certfile, keyfile, server_name_indication, verify=verify_peer (amqps only)
//	max_attempts=5  max_message_bytes=1048576  open_wait=60s (the runtime's, see package
//	                             distributer; quorum group queues get x-delivery-limit =
//	                             max_attempts - 1)
//
// A host is required, and an IPv6 address needs brackets ([::1]:5672).
// Dial errors that waiting may cure (connection refused or reset, EOF in the
// handshake, timeouts, CONNECTION_FORCED, temporary DNS failures) wrap
// driver.ErrUnavailable, so distributer.Open retries them up to open_wait.
//
// # Retries and trust in the wire
//
// Other clients of the broker (the Python services share exchanges and group
// queues by name) see what the driver sends, and any client with publish
// rights can send the driver headers named like its own. So the driver
// believes the broker, not headers:
//
//   - The topic a handler sees is always the routing key the broker
//     delivered. No header changes it (x-distributer-topic is written on
//     dead letters only, for their readers, and never read).
//   - A failed message keeps its routing key when it is retried, for every
//     consumer of the queue.
//   - On a quorum group queue it is returned to the queue (basic.reject
//     with requeue, which the broker counts in x-delivery-count; RabbitMQ 4
//     no longer counts a basic.nack), and RabbitMQ puts it at the tail,
//     behind the messages waiting (measured on 3.10; the conformance suite
//     checks it); its attempt is 1 (or the x-distributer-attempt of a copy
//     that a closing member gave back through the retry exchange, see
//     below) + the broker's x-delivery-count, believed only when the
//     broker's redelivered flag is set (a publisher's x-delivery-count
//     survives until the first return).
//   - Classic and fan-out queues have no delivery count: the driver
//     publishes a copy, with the same routing key and properties, to the
//     retry exchange (type headers, durable like the queues), which routes it
//     to the queue whose name is in its distributer-retry-queue header (each
//     queue is bound on its own name), at the tail; the copy carries
//     x-distributer-attempt, believed only on deliveries whose exchange is
//     the retry exchange; +1 when the broker's redelivered flag is set (a
//     consumer died holding it). The copy is published mandatory and
//     confirmed before the original is acked; a copy the broker returns as
//     unroutable (the queue's binding was removed) puts the original back
//     and the binding is restored: no loss.
//   - Closing is not an attempt: a closing group member gives back (the
//     runtime's GiveBack) the delivery its handler failed while closing,
//     and hands the runtime those it had prefetched, which it gives back
//     too; each goes through the retry exchange with its attempt unchanged
//     (classic and quorum queues; a requeue would count), then is acked.
//   - Every attempt number is clamped to [1, max_attempts]. Deliveries on
//     the main exchange, the default exchange (a publish straight to a
//     queue) or anywhere else count from 1, whatever their headers.
//
// Why two mechanisms: on quorum queues the broker's count is unforgeable
// and the message never leaves the queue (and goes to the tail, as the
// runtime's policy wants); classic queues count nothing, and
// a copy through the default exchange (the old way) would carry the queue's
// name as routing key, which is what other consumers dispatch on.
//
// What a publisher can still influence: a client with write permission on
// the retry exchange can inject a message into any queue
// with any routing key, bypassing topic-exchange bindings, and choose its
// attempt (at most max_attempts, so it can have a message dead-lettered on
// its first failure). Deny write on the retry exchange to every user but the
// driver's (RabbitMQ permissions: a write regex without <exchange>.retry).
// A client with write permission on the default exchange can likewise put a
// message into any queue by its name; its topic is then the queue's name.
// Headers starting with x-distributer-, x-death and x-delivery-count are
// hidden from handlers and never copied from a delivery onto a retry copy or
// dead letter, so a publisher cannot make them say anything either.
//
// # Messages the client cannot decode
//
// amqp091-go closes the whole connection on a delivery whose header table
// it cannot decode (more than 8192 names in a table or elements in an array,
// nesting deeper than 32, an unknown field type, an impossible length) or
// whose content header is larger than frame_max, which would stall the
// queue. The driver reads every connection through a
// frame filter (it dials, and does the TLS handshake of amqps, itself) that
// replaces such a table with one marker header, named with a random token a
// publisher cannot guess. The driver hands such a delivery to the runtime
// as undecodable (driver.Delivery.Undecodable), which dead-letters it at
// once, without reaching the handler, with the reason ("undecodable AMQP
// properties: header table: 10000 entries, the client decodes at most
// 8192") and one ERROR log naming the queue; everything around it flows
// on. The dead letter has the body and the other properties, not the
// header table.
//
// The driver's own copies (retry copies and dead letters) add its headers
// to the publisher's; a copy that would not fit in frame_max is never
// published (the broker would close the connection): Redeliver reports
// driver.ErrCannotRedeliver and the runtime dead-letters the message
// ("cannot retry: ..."), and a dead letter goes without the publisher's
// headers (HeaderHeadersDropped counts them).
//
// Upgrading: retry copies that an older driver version left in a classic
// queue came through the default exchange; they are now delivered with the
// queue's name as topic (a typed router dead-letters them as misrouted).
//
// # Operating the queues
//
// Admin (NewAdmin, from distributer.(*Distributer).DriverConn) inspects
// and manages the queues the driver names: the counts of a group's queue
// and its dead-letter queue, the dead letters themselves (read without
// consuming them), their replay with their original topic (each removed
// only once its copy is confirmed), purge and delete. cmd/distctl is built
// on it (docs/operating.md).
//
// docs/amqp.md and docs/operations.md describe each option, the
// failover behaviour and the delivery guarantees.
package amqp

import (
	"context"
	"net/url"

	"github.com/distributer/distributer/driver"
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
