// Package servicetest runs a service against a private in-process bus
// (memory://) in a test and asserts, typed, on what it published and what
// was dead-lettered.
//
//	bus := servicetest.New(t, servicetest.Schemas(orders.Schemas))
//	svc := &fulfilment.Service{Conn: orders.New(bus.D)}
//	svc.Start(ctx) // subscribe before publishing: a group's queue exists once a member subscribed
//	orders.Topics.OrderPlaced.Publish(ctx, bus.D, order)
//	servicetest.ExpectOne(bus, orders.Topics.DispatchLabel, wantLabel)
//	bus.ExpectNoInvalid()
//
// A service whose entry point blocks (Run(ctx) error) can be started with
// Go; make sure it has subscribed before the test publishes (its
// subscriptions exist once Settle returns only if it subscribes promptly,
// so prefer an entry point that subscribes synchronously).
//
// The bus records every message published on it (a subscription to "#"
// without a group, so the service's own groups are not disturbed) and reads
// its dead letters from the memory driver. Assertions wait for the service:
// ExpectOne and ExpectCount wait until enough messages arrived, then until
// the bus is quiet (no new message or dead letter for Quiet), and fail with
// a listing of what was published and a go-cmp diff.
package servicetest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/drivers/memory"
	"github.com/distributer/distributer/topic"
	"github.com/distributer/distributer/typed"
)

// Defaults of the waits.
const (
	DefaultTimeout = 10 * time.Second
	DefaultQuiet   = 50 * time.Millisecond
)

// Bus is a private memory:// bus for one test, with a Distributer open on
// it, recording what is published and dead-lettered.
type Bus struct {
	// D is a Distributer on the bus, opened with the options given to New.
	// Give it to the service under test.
	D *distributer.Distributer
	// URL is the bus's URL; open more Distributers on it to run several
	// services or instances ("memory://servicetest-3").
	URL string
	// Timeout bounds every wait (default DefaultTimeout).
	Timeout time.Duration
	// Quiet is how long the bus must stay idle to be settled (default
	// DefaultQuiet).
	Quiet time.Duration

	t       testing.TB
	name    string
	schemas *typed.Schemas

	mu       sync.Mutex
	msgs     []*distributer.Message
	activity chan struct{} // closed and replaced on every recorded message

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// An Option configures New.
type Option func(*config)

type config struct {
	opts    []distributer.Option
	schemas *typed.Schemas
	url     string
}

// Schemas makes the bus open D with distributer.WithValidator(s), so the
// service's untyped publishes and deliveries are validated too, and lets
// ExpectNoInvalid check every recorded message against s.
func Schemas(s *typed.Schemas) Option {
	return func(c *config) {
		c.schemas = s
		c.opts = append(c.opts, distributer.WithValidator(s))
	}
}

// With passes options to distributer.Open for D.
func With(opts ...distributer.Option) Option {
	return func(c *config) { c.opts = append(c.opts, opts...) }
}

// Query sets the memory URL's query, for example "max_attempts=2".
func Query(q string) Option { return func(c *config) { c.url = "?" + q } }

var seq atomic.Uint64

// New opens a private bus for t. It is closed when the test ends, after the
// services started with Go have returned.
func New(t testing.TB, opts ...Option) *Bus {
	t.Helper()
	var c config
	for _, o := range opts {
		o(&c)
	}
	name := fmt.Sprintf("servicetest-%d", seq.Add(1))
	b := &Bus{URL: "memory://" + name + c.url, Timeout: DefaultTimeout, Quiet: DefaultQuiet, t: t, name: name,
		schemas: c.schemas, activity: make(chan struct{})}
	b.ctx, b.cancel = context.WithCancel(context.Background())
	dopts := append([]distributer.Option{distributer.WithLogger(slog.New(slog.DiscardHandler))}, c.opts...)
	d, err := distributer.Open(b.ctx, b.URL, dopts...)
	if err != nil {
		t.Fatalf("servicetest: open %s: %v", b.URL, err)
	}
	b.D = d
	// The recorder sees every message, valid or not: it uses its own
	// Distributer without a validator.
	rec, err := distributer.Open(b.ctx, b.URL, distributer.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatalf("servicetest: open %s: %v", b.URL, err)
	}
	if _, err := rec.Subscribe(b.ctx, []string{"#"}, distributer.HandlerFunc(b.record)); err != nil {
		t.Fatalf("servicetest: subscribe recorder: %v", err)
	}
	t.Cleanup(func() {
		b.cancel()
		b.wg.Wait()
		_ = d.Close()
		_ = rec.Close()
	})
	return b
}

func (b *Bus) record(_ context.Context, m *distributer.Message) error {
	c := *m
	c.Body = append([]byte(nil), m.Body...)
	b.mu.Lock()
	b.msgs = append(b.msgs, &c)
	close(b.activity)
	b.activity = make(chan struct{})
	b.mu.Unlock()
	return nil
}

// Go runs service in a goroutine with a context that is cancelled when the
// test ends; the test then waits for it to return. An error other than
// the context's is reported as a test failure.
func (b *Bus) Go(service func(ctx context.Context) error) {
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		if err := service(b.ctx); err != nil && !errors.Is(err, context.Canceled) {
			b.t.Errorf("servicetest: service returned: %v", err)
		}
	}()
}

// Messages returns the messages published so far whose topic matches
// pattern ("#" for all), in the order they were published.
func (b *Bus) Messages(pattern string) []*distributer.Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []*distributer.Message
	for _, m := range b.msgs {
		if topic.Match(pattern, m.Topic) {
			out = append(out, m)
		}
	}
	return out
}

// DeadLetters returns the bus's dead letters so far, oldest first.
func (b *Bus) DeadLetters() []memory.DeadLetter { return memory.DeadLetters(b.name) }

// Settle waits until the bus has been idle (no message published, none
// dead-lettered) for Quiet, and fails the test after Timeout.
func (b *Bus) Settle() {
	b.t.Helper()
	deadline := time.Now().Add(b.Timeout)
	for {
		if time.Now().After(deadline) {
			b.t.Fatalf("servicetest: the bus did not settle within %v:\n%s", b.Timeout, b.describe("#"))
		}
		b.mu.Lock()
		n, ch := len(b.msgs), b.activity
		b.mu.Unlock()
		dead := len(b.DeadLetters())
		select {
		case <-ch:
			continue
		case <-time.After(b.Quiet):
		}
		if len(b.DeadLetters()) == dead {
			b.mu.Lock()
			same := len(b.msgs) == n
			b.mu.Unlock()
			if same {
				return
			}
		}
	}
}

// waitFor waits until at least n messages matching pattern were recorded,
// then settles.
func (b *Bus) waitFor(pattern string, n int) {
	b.t.Helper()
	deadline := time.After(b.Timeout)
	for {
		b.mu.Lock()
		ch := b.activity
		b.mu.Unlock()
		if len(b.Messages(pattern)) >= n {
			break
		}
		select {
		case <-ch:
		case <-deadline:
			b.t.Errorf("servicetest: waited %v for %d message(s) on %q, got %d", b.Timeout, n, pattern, len(b.Messages(pattern)))
			b.Settle()
			return
		}
	}
	b.Settle()
}

// describe lists what was published and dead-lettered, for failures.
func (b *Bus) describe(pattern string) string {
	var sb strings.Builder
	msgs := b.Messages("#")
	fmt.Fprintf(&sb, "published on the bus (%d message(s)):\n", len(msgs))
	for i, m := range msgs {
		mark := " "
		if topic.Match(pattern, m.Topic) {
			mark = "*"
		}
		fmt.Fprintf(&sb, "  %s%3d %-24s %s\n", mark, i+1, m.Topic, shorten(m.Body))
	}
	dls := b.DeadLetters()
	if len(dls) > 0 {
		fmt.Fprintf(&sb, "dead-lettered (%d):\n", len(dls))
		for _, dl := range dls {
			fmt.Fprintf(&sb, "  %-24s group %q: %s\n      %s\n", dl.Message.Topic, dl.Group, dl.Reason, shorten(dl.Message.Body))
		}
	}
	return sb.String()
}

func shorten(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

// Published settles the bus and returns the messages published on topic,
// decoded into T. A message that is invalid for the topic's schema or does
// not decode fails the test.
func Published[T any](b *Bus, t typed.Topic[T]) []T {
	b.t.Helper()
	b.Settle()
	return decodeAll(b, t)
}

func decodeAll[T any](b *Bus, t typed.Topic[T]) []T {
	b.t.Helper()
	var out []T
	for i, m := range b.Messages(t.Name()) {
		v, err := t.Decode(m.Body)
		if err != nil {
			b.t.Errorf("servicetest: message %d on %s is invalid: %v\nbody: %s", i+1, t.Name(), err, shorten(m.Body))
			continue
		}
		out = append(out, v)
	}
	return out
}

// ExpectCount waits until n messages were published on topic and the bus is
// quiet, fails the test unless there are exactly n, and returns them
// decoded.
func ExpectCount[T any](b *Bus, t typed.Topic[T], n int) []T {
	b.t.Helper()
	b.waitFor(t.Name(), n)
	got := decodeAll(b, t)
	if len(b.Messages(t.Name())) != n {
		b.t.Errorf("servicetest: want %d message(s) on %s, got %d\n%s", n, t.Name(), len(b.Messages(t.Name())), b.describe(t.Name()))
	}
	return got
}

// ExpectOne waits for a message on topic, fails the test unless exactly one
// was published and it equals want (compared with go-cmp, opts as for
// cmp.Diff; the failure shows the diff), and returns it.
func ExpectOne[T any](b *Bus, t typed.Topic[T], want T, opts ...cmp.Option) T {
	b.t.Helper()
	got := ExpectCount(b, t, 1)
	if len(got) == 0 {
		var zero T
		return zero
	}
	if d := cmp.Diff(want, got[0], opts...); d != "" {
		b.t.Errorf("servicetest: the message on %s differs (-want +got):\n%s", t.Name(), d)
	}
	return got[0]
}

// ExpectOneBy is ExpectOne comparing only part of the message, view(message),
// with want: "exactly one parsed.pose whose data equals X" is
//
//	servicetest.ExpectOneBy(bus, cortex.Topics.ParsedPose,
//		func(m cortex.Envelope[cortex.Pose]) cortex.Pose { return m.Data }, wantPose)
//
// It returns the whole message.
func ExpectOneBy[T, V any](b *Bus, t typed.Topic[T], view func(T) V, want V, opts ...cmp.Option) T {
	b.t.Helper()
	got := ExpectCount(b, t, 1)
	if len(got) == 0 {
		var zero T
		return zero
	}
	if d := cmp.Diff(want, view(got[0]), opts...); d != "" {
		b.t.Errorf("servicetest: the message on %s differs (-want +got):\n%s", t.Name(), d)
	}
	return got[0]
}

// ExpectNone settles the bus and fails the test if anything was published
// on a topic matching pattern.
func (b *Bus) ExpectNone(pattern string) {
	b.t.Helper()
	b.Settle()
	if n := len(b.Messages(pattern)); n > 0 {
		b.t.Errorf("servicetest: want no message on %q, got %d\n%s", pattern, n, b.describe(pattern))
	}
}

// ExpectNoInvalid settles the bus and fails the test if a message was
// dead-lettered as invalid (its handler error wraps
// distributer.ErrInvalidMessage) or, when the bus has Schemas, if a
// published message is invalid for its topic's schema.
func (b *Bus) ExpectNoInvalid() {
	b.t.Helper()
	b.Settle()
	for _, dl := range b.DeadLetters() {
		if errors.Is(dl.Err, distributer.ErrInvalidMessage) {
			b.t.Errorf("servicetest: invalid message dead-lettered on %s (group %q): %s\nbody: %s", dl.Message.Topic, dl.Group, dl.Reason, shorten(dl.Message.Body))
		}
	}
	if b.schemas == nil {
		return
	}
	for i, m := range b.Messages("#") {
		if err := b.schemas.Validate(m.Topic, m.Body); err != nil {
			b.t.Errorf("servicetest: message %d published on %s is invalid: %v\nbody: %s", i+1, m.Topic, err, shorten(m.Body))
		}
	}
}

// ExpectNoDeadLetters settles the bus and fails the test if anything was
// dead-lettered.
func (b *Bus) ExpectNoDeadLetters() {
	b.t.Helper()
	b.Settle()
	if len(b.DeadLetters()) > 0 {
		b.t.Errorf("servicetest: want no dead letters\n%s", b.describe("#"))
	}
}

// ExpectDeadLettered waits until n messages on topics matching pattern were
// dead-lettered and the bus is quiet, fails the test unless there are
// exactly n, and returns them.
func (b *Bus) ExpectDeadLettered(pattern string, n int) []memory.DeadLetter {
	b.t.Helper()
	deadline := time.Now().Add(b.Timeout)
	match := func() []memory.DeadLetter {
		var out []memory.DeadLetter
		for _, dl := range b.DeadLetters() {
			if topic.Match(pattern, dl.Message.Topic) {
				out = append(out, dl)
			}
		}
		return out
	}
	for len(match()) < n && time.Now().Before(deadline) {
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		var last uint64
		if dls := b.DeadLetters(); len(dls) > 0 {
			last = dls[len(dls)-1].Seq
		}
		_, _ = memory.WaitDeadLetters(ctx, b.name, last)
		cancel()
	}
	b.Settle()
	got := match()
	if len(got) != n {
		b.t.Errorf("servicetest: want %d dead letter(s) on %q, got %d\n%s", n, pattern, len(got), b.describe(pattern))
	}
	return got
}
