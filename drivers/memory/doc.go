// Package memory is the embedded, in-process driver, registered for the URL
// scheme "memory". It is always available, without importing this package:
//
//	d, err := distributer.Open(ctx, "memory://")            // the default bus
//	d, err := distributer.Open(ctx, "memory://orders?max_attempts=3&buffer=256")
//
// A URL's host names a bus: Distributers opened with the same name in one
// process share its subscriptions and groups, and different names are
// separate. "memory://" is the default bus. A bus, with its group queues and
// dead letters, exists while a connection to it is open.
//
// Query parameters (any other is refused, except the runtime's
// max_attempts, max_message_bytes and open_wait, see package distributer):
//
//   - buffer: how many messages a queue holds, counting those being handled,
//     before Publish waits (default 1024, 1 to 1048576). It applies to the
//     queues the connection creates: each subscription's own queue, and a
//     group's queue when its first member subscribes.
//
// Semantics are those of a topic exchange with one queue per subscription
// (no group) or per group. A subscription without a group has its own
// queue, deleted with its messages when the subscription is closed. A
// group's queue is shared by its members, bound with the union of their
// patterns, and outlives them: messages published while the group has no
// member wait, up to buffer, for the next member. Each queue's consumers
// handle one message at a time, so one publisher's messages reach one
// subscriber in order.
//
// Memory is bounded: a full queue makes Publish wait (until the queue has
// room, the context ends, or the connection closes), so a slow subscriber
// slows its publishers down; nothing is dropped, except the messages still
// queued for a subscription or bus when it is closed. (A handler that
// publishes to its own full queue therefore waits until its context ends:
// give such a subscription a larger buffer, or publish from elsewhere.) Routing uses a trie
// of the bound patterns and a cache of routes for literal topics, so its
// cost does not grow with the number of subscriptions.
//
// What becomes of a delivery is the runtime's decision (see "Delivery
// policy" in package distributer); the driver carries it out. It counts
// attempts itself (a bus is fed by the runtime only, so nothing can be
// forged). A retried message goes back to the tail of its queue with its
// attempt count; a message given back by a closing subscription goes to
// the tail of its group's queue with its count unchanged (or is dropped
// with a fan-out subscription's queue). A dead-lettered message is kept,
// with the runtime's reason, in the bus's dead-letter log (the last
// MaxDeadLetters, with MaxDeadLetterBytes of bodies at most), which
// DeadLetters and WaitDeadLetters read. Bodies are not checked for JSON
// again on delivery: the runtime checked them when they were published.
//
// Bodies are not copied: a publisher must not modify a body after
// publishing it, and handlers must not modify the body they are given (other
// subscribers share it). Headers are copied for each delivery.
//
// # Where the driver lives
//
// The implementation is in the module's internal/memory package, which
// package distributer registers itself. The runtime must offer memory://
// (the default URL) without an import, and must not import a driver
// package: drivers sit above the runtime (they import package driver, and
// their tests import package distributer), so a runtime that imported one
// would tie its import graph to a driver's and let driver code in every
// program. An internal package can be imported by both the runtime and
// this package, and by nothing outside the module. This package is the
// driver's public face: its documentation, the dead-letter API for tests
// and tools (DeadLetters, WaitDeadLetters), its examples and its
// conformance test. Importing it is needed only for that API.
package memory
