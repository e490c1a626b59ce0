// Package distributertest is the conformance suite that every Distributer
// driver runs. A driver's tests call Run once with a Harness that says how to
// make URLs for fresh, isolated namespaces, how to observe dead letters, and
// how to make the broker refuse a topic's messages for a while (Jam), and
// what the driver offers beyond what every driver must (Capabilities):
//
//	func TestConformance(t *testing.T) {
//		distributertest.Run(t, distributertest.Harness{
//			NewURL:       func(t *testing.T) string { return "memory://" + t.Name() + "?max_attempts=3" },
//			MaxAttempts:  3,
//			DeadLetters:  watchDeadLetters,
//			Jam:          jam,
//			Capabilities: distributertest.Capabilities{DurableGroups: true, Ordering: true},
//		})
//	}
//
// The suite exercises only the public API of package distributer, so it
// checks what applications see: fan-out, work-sharing groups, the pattern
// table, ordering, the delivery policy (redelivery with growing attempts,
// behind the waiting messages, then dead-lettering; Reject, panics, invalid,
// too large, not JSON and undecodable deliveries dead-lettered at once; a
// close never counted as an attempt), validation of published messages,
// closing, context cancellation, concurrency, large messages, headers and
// ids, batches, group queues that outlive their members, groups whose
// members subscribe with different patterns, typed subscriptions refused in
// a group shared with other topics (distributer.ErrGroupShared), dead
// letters logged exactly once by the runtime, hostile input, asynchronous
// publishing (PublishAsync: order, results that resolve only once the
// broker takes the message, failures with Publish's errors, flow control,
// Flush, Close), and goroutine leaks.
//
// Each sub-test that needs a capability says so in Run's table; on a driver
// without it the sub-test is skipped with a message naming the capability,
// so a new driver is tested for what it has.
package distributertest

import (
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/distributer/distributer"
)

// DeadLetter is a dead-lettered message as a Harness reports it.
type DeadLetter struct {
	// Topic is the routing key the message was published with.
	Topic string
	// Body is the message body.
	Body []byte
	// ID is the message id.
	ID string
	// Headers are the message's headers, as the driver keeps them.
	Headers map[string]string
	// Reason says why the message was dead-lettered. When the driver records
	// it, it contains the text of the handler's last error; "" when the
	// driver cannot know it.
	Reason string
	// Attempt is the number of delivery attempts made, 0 when the driver
	// cannot know it.
	Attempt int
}

// Harness tells the suite how to use a driver.
type Harness struct {
	// NewURL returns a URL for a fresh namespace that no other test uses
	// (memory://<unique name>, or an amqp URL with a unique exchange). Two
	// Distributers opened with the same URL must share the namespace: a
	// group's members may be in different Distributers. NewURL may register
	// cleanup with t.Cleanup. It is called once per sub-test.
	NewURL func(t *testing.T) string

	// MaxAttempts is the redelivery limit that NewURL's URLs configure: a
	// message whose handler keeps failing is delivered MaxAttempts times,
	// then dead-lettered. The suite needs it to be at least 2. Keep it small
	// (3 is a good choice) so the suite stays fast.
	MaxAttempts int

	// DeadLetters starts observing the dead letters of url's namespace and
	// returns a channel on which it sends each message dead-lettered from
	// then on. It is called before the suite opens a Distributer with url
	// and before any message is published. Observation must stop at the end
	// of the test (t.Cleanup); the channel need not be closed.
	DeadLetters func(t *testing.T, url string) <-chan DeadLetter

	// Jam makes the broker of url stop taking the messages published to
	// topic, a literal topic that the test uses for nothing else, until
	// release is called: Publish then waits or retries until its context
	// ends, and no such message is confirmed. The suite calls it after it
	// has opened a Distributer on url. memory:// does it with a
	// subscription to topic whose queue holds one message and whose
	// handler blocks; RabbitMQ with a queue bound to topic that nacks
	// every message (x-max-length 0, x-overflow reject-publish). After
	// release the broker takes such messages again; messages published by
	// Jam itself, if any, may reach the test's subscriptions. release may
	// be called more than once; Jam registers its own cleanup (t.Cleanup).
	// The asynchronous publishing tests (flow control, failures, Close)
	// need it.
	Jam func(t *testing.T, url, topic string) (release func())

	// Timeout bounds every wait for an expected event (a delivery, a dead
	// letter, a subscription ending). Default 10s.
	Timeout time.Duration

	// Quiet is how long the suite waits to be sure that something does NOT
	// happen (no extra delivery after the expected ones), when it cannot
	// await a later event instead. Default 100ms; networked drivers may want
	// more.
	Quiet time.Duration

	// CloseLoops is how many subscriptions the hostile close tests open and
	// close in a row. Default 2000; a networked driver wants fewer (20 is
	// enough to see a close counted as an attempt).
	CloseLoops int

	// Options are passed to every distributer.Open, after the suite's own
	// (the suite sets a logger that discards output).
	Options []distributer.Option

	// LeakOptions are passed to goleak.VerifyNone when the suite checks that
	// closing leaves no goroutines, for goroutines a driver's library keeps
	// for the life of the process.
	LeakOptions []goleak.Option

	// Capabilities says what the driver offers beyond what every driver
	// must; the sub-tests that need what it lacks are skipped.
	Capabilities Capabilities
}

// Capabilities declares what a driver offers beyond what every driver must
// (fan-out, groups sharing work, the pattern table, headers and ids,
// attempts counted, dead letters, closing that is not an attempt). The
// zero value offers nothing optional: a sub-test that needs a capability
// is skipped, with a message naming it.
type Capabilities struct {
	// DurableGroups: a group's queue outlives its members. Messages
	// published while the group has no member wait for the next one, a
	// message given back by a closing member waits for the next one, and
	// the patterns of a member that left stay bound.
	DurableGroups bool

	// Ordering: one publisher's messages reach a subscriber that handles
	// one message at a time in the order they were published, and a
	// message that goes back to its queue (a retry, a give-back) goes
	// behind the messages waiting there (the runtime's policy, which needs
	// an ordered queue to be observed).
	Ordering bool

	// MaxBodyBytes is the largest message body the driver carries; 0
	// means at least 1 MiB (distributer.DefaultMaxMessageBytes), which the
	// LargeMessage test then sends.
	MaxBodyBytes int

	// PublishForeign, when not nil, publishes a message to url's namespace
	// the way another client of the broker can: without the runtime and
	// its checks (the body need not be JSON). It must return once the
	// broker has the message. Leave it nil when only the runtime can
	// publish to the driver's queues (then a delivery's body is always
	// JSON, see driver.Delivery.BodyChecked).
	PublishForeign func(t *testing.T, url string, m ForeignMessage)

	// PublishUndecodable, when not nil, publishes to url's namespace a
	// message on topic, with id, that the driver cannot read and reports
	// as undecodable (driver.Delivery.Undecodable). It must return once
	// the broker has the message. Nil when nothing can make the driver
	// fail to read a delivery.
	PublishUndecodable func(t *testing.T, url, topic, id string)
}

// ForeignMessage is a message that Capabilities.PublishForeign publishes.
type ForeignMessage struct {
	Topic string
	ID    string
	Body  []byte
}

// need is a set of capabilities a sub-test needs.
type need uint8

const (
	needDurableGroups need = 1 << iota
	needOrdering
	needForeignPublish
	needUndecodable
)

// missing names the capabilities of n that h lacks, "" when it has them all.
func (h *Harness) missing(n need) string {
	var names []string
	add := func(bit need, has bool, name string) {
		if n&bit != 0 && !has {
			names = append(names, name)
		}
	}
	c := h.Capabilities
	add(needDurableGroups, c.DurableGroups, "DurableGroups")
	add(needOrdering, c.Ordering, "Ordering")
	add(needForeignPublish, c.PublishForeign != nil, "PublishForeign")
	add(needUndecodable, c.PublishUndecodable != nil, "PublishUndecodable")
	return strings.Join(names, ", ")
}

// subtest is one sub-test of the suite and the capabilities it needs.
type subtest struct {
	name  string
	f     func(*testing.T, *Harness)
	needs need
}

// runAll runs tests as sub-tests of t, skipping those that need a
// capability h lacks.
func runAll(t *testing.T, h *Harness, tests []subtest) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if m := h.missing(tc.needs); m != "" {
				t.Skipf("the driver does not offer %s (Harness.Capabilities)", m)
			}
			tc.f(t, h)
		})
	}
}

func (h *Harness) defaults(t *testing.T) {
	t.Helper()
	if h.NewURL == nil {
		t.Fatal("distributertest: Harness.NewURL is nil")
	}
	if h.DeadLetters == nil {
		t.Fatal("distributertest: Harness.DeadLetters is nil")
	}
	if h.MaxAttempts < 2 {
		t.Fatalf("distributertest: Harness.MaxAttempts = %d, want at least 2", h.MaxAttempts)
	}
	if h.Timeout <= 0 {
		h.Timeout = 10 * time.Second
	}
	if h.Quiet <= 0 {
		h.Quiet = 100 * time.Millisecond
	}
	if h.CloseLoops <= 0 {
		h.CloseLoops = 2000
	}
	if h.Capabilities.MaxBodyBytes <= 0 {
		h.Capabilities.MaxBodyBytes = distributer.DefaultMaxMessageBytes
	}
}
