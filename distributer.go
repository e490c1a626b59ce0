// Package distributer publishes JSON messages to topics and subscribes
// handlers to topics and patterns, through a driver chosen by URL scheme.
//
// Open a Distributer with a URL whose scheme names a registered driver:
//
//	d, err := distributer.Open(ctx, "memory://")           // in-process, the default
//	d, err := distributer.Open(ctx, "amqp://guest:guest@127.0.0.1:5672/") // RabbitMQ
//
// The memory driver (documented in package drivers/memory) is always
// registered: the runtime registers it itself, from an internal package,
// without importing any driver package. Other drivers register their
// schemes when their package is imported:
//
//	import _ "github.com/distributer/distributer/drivers/amqp"
//
// Publish sends a JSON body to a literal topic such as "raw.pose". Subscribe
// delivers the messages whose topic matches any of its patterns ("raw.*",
// "#") to a Handler. Without a Group every subscriber receives every matching
// message; the members of a named Group share the work, each message going
// to one of them.
//
// # Delivery policy
//
// What becomes of a delivered message is decided here, once, for every
// driver (drivers count attempts and carry the decision out, see
// driver.Delivery):
//
//   - The handler returns nil: the message is acknowledged.
//   - The handler returns an error or panics (a *PanicError): the message
//     is delivered again, with Attempt one higher and the same ID, behind
//     the messages already waiting in its queue (at the tail, on every
//     driver: a failing message never holds up the others, and loses its
//     place in publish order), up to max_attempts deliveries (a URL option
//     of every driver, default DefaultMaxAttempts, 5); the failure of the
//     last attempt dead-letters it.
//   - Dead-lettered at once, without redelivery: an error made with
//     Reject; an invalid message (validation fails, or the handler returns
//     an error wrapping ErrInvalidMessage; OnInvalid is called); a body
//     larger than max_message_bytes (OnInvalid too); a body that is not
//     JSON (sent by another client of the broker); a delivery the driver
//     could not read (logged at Error). The last three never reach the
//     handler.
//   - A handler that fails while its subscription closes (Close cancels
//     its context, or gives up on it at the drain timeout) has not had an
//     attempt: its message goes back to its group's queue with Attempt
//     unchanged, for another member, even at the last attempt; without a
//     group it goes with the subscription's queue. A rejection still
//     dead-letters. A delivery handed over while the subscription closes is
//     given back without running the handler.
//
// Every dead letter is logged once, at Warn, by the runtime whatever the
// driver (see WithLogger), and kept in the driver's dead-letter store.
//
// # Asynchronous publishing
//
// PublishAsync publishes without waiting for the broker's confirm, so that
// one goroutine keeps many messages in flight; it returns a *PublishResult
// (Done, Get) that resolves once the broker has confirmed the message, or
// with the error Publish would have returned. Invalid messages fail before
// it returns. Flush waits for the results of earlier calls. The messages
// waiting for confirms are bounded (AsyncSettings: 1000 messages, 64 MiB by
// default); when the bound is reached PublishAsync waits for room, bounded
// by its context, and never drops a message. Close waits for outstanding
// results, at most the drain timeout, and fails the rest with ErrClosed.
//
// A message whose handler fails max_attempts times (a driver option), or
// rejects it (Reject), is dead-lettered, and logged once, at Warn, by the
// runtime whatever the driver (see WithLogger).
//
// Closing is bounded. Subscription.Close and Distributer.Close stop
// deliveries, cancel the context of running handlers and wait for them at
// most the drain timeout (WithDrainTimeout, default DefaultDrainTimeout,
// 30s). A handler that ignores its context past it is given up on: its
// message is left to the driver as not processed, without counting an
// attempt (a group's message goes back to the group's queue, for another
// member; a subscription without a group drops it with its queue), and
// Close returns a *DrainError (ErrDrainTimeout) naming the subscriptions
// concerned. The only goroutines left are those running such handlers; each
// ends when its handler returns, whose result is then ignored.
//
// Every URL, whatever its driver, also takes the runtime's own options,
// which Open reads and removes before the driver sees the URL:
//
//	max_attempts=5             deliveries of a message whose handler fails before
//	                           it is dead-lettered (1 to 1000)
//	max_message_bytes=1048576  largest body Publish sends and a handler is given;
//	                           larger: *TooLargeError on publish, dead-lettered
//	                           on receive before decoding or validation (0: no limit)
//	open_wait=60s              how long Open waits, retrying, for a broker that is
//	                           down or starting (bounded by ctx too; 0: no waiting)
//
// URLs are checked before any connection: a missing "//", a control
// character, an invalid %-escape, a fragment, a query Go's parser would read
// only in part (a ';') are refused with a *URLError whose hint says how to
// write the URL. Passwords are printed only through RedactURL, which does
// not need the URL to be valid.
//
// For typed, schema-checked topics, generate a package with distgen and use
// its typed wrappers, which call this package.
package distributer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/distributer/distributer/driver"
	"github.com/distributer/distributer/internal/memory"
	"github.com/distributer/distributer/topic"
)

// The embedded default driver is the runtime's own (internal/memory), so
// that no runtime package imports a driver package; drivers/memory is its
// public face (dead-letter API, documentation).
func init() { driver.Register(memory.Scheme, memory.Driver{}) }

// DefaultURL is the URL of the embedded in-process driver.
const DefaultURL = "memory://"

// Distributer is a connection to a message broker through a driver. It is
// safe for concurrent use. Close it when done.
type Distributer struct {
	conn   driver.Conn
	sender driver.Sender // conn, when it confirms asynchronously; else nil
	url    string        // redacted
	opts   options
	// maxBytes is max_message_bytes, 0 for no limit.
	maxBytes     int
	maxAttempts  int  // max_attempts
	validateRecv bool // deliveries are validated before handlers see them
	closed       atomic.Bool

	// life is cancelled by Close: it cuts Subscribe calls in progress short.
	life    context.Context
	endLife context.CancelFunc

	mu      sync.Mutex
	subs    map[*Subscription]struct{} // the open subscriptions: the only list of them
	pending sync.WaitGroup             // Subscribe calls in progress; Close waits for them
	groups  groupUses                  // the groups subscribed to, and how
	async   *asyncPub                  // PublishAsync's confirmer, started on first use
}

// Open connects to the broker named by rawURL, with the driver registered for
// its scheme. An empty rawURL means DefaultURL. The URL's password never
// appears in errors, logs or URL().
//
// Besides its driver's options, every URL accepts the runtime's own:
//
//	max_attempts=5             deliveries of a failing message before it is dead-lettered
//	max_message_bytes=1048576  largest body published or handled (0: no limit)
//	open_wait=60s              how long Open waits for an unavailable broker (0: not at all)
//
// A URL that is malformed, or that Go's URL parser would read only in part
// (a ';' in the query, a fragment, an IPv6 host without brackets), is
// refused with a *URLError that says how to write it.
//
// While the broker is unavailable (the driver's error wraps ErrUnavailable:
// connection refused or reset, no answer, node starting), Open retries with
// backoff (100ms doubling to 2s) until it connects, open_wait has passed or
// ctx ends; it then returns the last error, wrapped. Other errors (bad
// credentials, TLS, URL) are returned at once.
func Open(ctx context.Context, rawURL string, opts ...Option) (*Distributer, error) {
	if rawURL == "" {
		rawURL = DefaultURL
	}
	o := options{logger: slog.Default()}
	for _, opt := range opts {
		opt(&o)
	}
	safeURL := driver.RedactURL(rawURL)
	drv, u, ro, err := parseURL(rawURL)
	if err != nil {
		var se *UnknownSchemeError
		if errors.As(err, &se) {
			return nil, err
		}
		return nil, fmt.Errorf("distributer: open: %w", err)
	}
	conn, err := openConn(driver.WithLogger(ctx, o.logger), o.logger, drv, u, ro.openWait, safeURL)
	if err != nil {
		var qe *driver.QueryError
		if errors.As(err, &qe) && qe.Err == nil && qe.Known != nil { // unknown parameter: list ours too
			qe.Known = slices.Sorted(slices.Values(append(slices.Clip(qe.Known), runtimeParams...)))
		}
		return nil, fmt.Errorf("distributer: open %s: %w", safeURL, err)
	}
	sender, _ := conn.(driver.Sender)
	d := &Distributer{conn: conn, sender: sender, url: safeURL, opts: o, maxBytes: ro.maxMessageBytes, maxAttempts: ro.maxAttempts,
		validateRecv: o.validator != nil && !o.noReceiveValidation,
		subs:         map[*Subscription]struct{}{}, groups: groupUses{}}
	d.life, d.endLife = context.WithCancel(context.Background())
	return d, nil
}

// openConn calls drv.Open until it succeeds or fails for a reason other
// than ErrUnavailable, for at most wait (0: once) and while ctx lasts.
func openConn(ctx context.Context, log *slog.Logger, drv driver.Driver, u *url.URL, wait time.Duration, safeURL string) (driver.Conn, error) {
	if wait <= 0 {
		return drv.Open(ctx, u)
	}
	start := time.Now()
	actx, cancel := context.WithDeadline(ctx, start.Add(wait))
	defer cancel()
	backoff := openBackoffMin
	var last error
	giveUp := func(attempts int) error {
		why := ctx.Err()
		if why == nil {
			why = fmt.Errorf("open_wait=%v passed", wait)
		}
		return fmt.Errorf("broker unavailable for %v (%d attempts), gave up: %w; last error: %w",
			time.Since(start).Round(time.Millisecond), attempts, why, last)
	}
	for attempt := 1; ; attempt++ {
		conn, err := drv.Open(actx, u)
		if err == nil {
			return conn, nil
		}
		unavailable := errors.Is(err, driver.ErrUnavailable)
		switch {
		case actx.Err() != nil && last != nil: // cut short: keep the previous attempt's error
			return nil, giveUp(attempt)
		case !unavailable:
			return nil, err
		}
		last = err
		pause := backoff/2 + rand.N(backoff/2+1)
		if actx.Err() != nil || time.Until(start.Add(wait)) < pause {
			return nil, giveUp(attempt)
		}
		log.Info("distributer: broker unavailable, retrying", "url", safeURL, "attempt", attempt, "retry_in", pause, "error", err)
		t := time.NewTimer(pause)
		select {
		case <-actx.Done():
		case <-t.C:
		}
		t.Stop()
		if actx.Err() != nil {
			return nil, giveUp(attempt)
		}
		backoff = min(backoff*2, openBackoffMax)
	}
}

// URL returns the URL the Distributer was opened with, password redacted.
func (d *Distributer) URL() string { return d.url }

// one holds a message and the one-element slice that passes it to the
// driver, so that a Publish costs a single allocation for both.
type one struct {
	m   Message
	arr [1]*Message
}

// Publish sends data, which must be valid JSON, to the literal topic t. It
// returns nil once the broker has accepted the message (for brokers with
// publisher confirms: confirmed). An invalid topic or body is refused before
// anything is sent, with an error that wraps ErrInvalidTopic or
// ErrInvalidJSON.
func (d *Distributer) Publish(ctx context.Context, t string, data []byte, opts ...PublishOption) error {
	p := &one{m: Message{Topic: t, Body: data}}
	for _, o := range opts {
		o(&p.m)
	}
	if err := d.prepare(&p.m); err != nil {
		return err
	}
	p.arr[0] = &p.m
	return d.send(ctx, p.arr[:])
}

// PublishBatch sends several messages and waits until every one of them is
// accepted, so that one goroutine can keep many messages in flight. Each
// message needs Topic and Body; ID is generated when empty. If any message is
// invalid nothing is sent. If some messages fail, the error is a
// *BatchError that says which.
func (d *Distributer) PublishBatch(ctx context.Context, msgs []*Message) error {
	for i, m := range msgs {
		if err := d.prepare(m); err != nil {
			return fmt.Errorf("distributer: batch message %d (nothing was published): %w", i, err)
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return d.send(ctx, msgs)
}

// BatchError reports which messages of a PublishBatch failed: Errs[i] is the
// error of msgs[i], nil when it was published.
type BatchError = driver.BatchError

func (d *Distributer) prepare(m *Message) error {
	if err := topic.ValidateTopic(m.Topic); err != nil {
		return fmt.Errorf("distributer: publish: %w", err)
	}
	if err := d.checkSize(m, false); err != nil {
		return err
	}
	if !validJSON(m.Body) {
		return &jsonError{topic: m.Topic}
	}
	if v := d.opts.validator; v != nil {
		if err := v.Validate(m.Topic, m.Body); err != nil {
			return fmt.Errorf("distributer: publish to %q: %w", m.Topic, err)
		}
	}
	if m.ID == "" {
		m.ID = NewID()
	}
	m.Attempt = 0
	return nil
}

func (d *Distributer) send(ctx context.Context, msgs []*Message) error {
	if d.closed.Load() {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := d.conn.Publish(ctx, msgs); err != nil {
		if len(msgs) == 1 {
			return fmt.Errorf("distributer: publish to %q: %w", msgs[0].Topic, err)
		}
		return err
	}
	return nil
}

// Subscribe delivers every message whose topic matches one of patterns to h,
// until the Subscription or d is closed. A message that matches several
// patterns of one subscription is delivered once. ctx bounds the set-up only.
//
// A subscription that accepts only its own patterns (OnlyOwnPatterns, set
// by every typed subscription) in a Group already subscribed by d to
// patterns it does not cover, or that would add such patterns to the group
// of one, is refused with a *GroupSharedError (ErrGroupShared): the group's
// one queue would hand it messages it dead-letters.
func (d *Distributer) Subscribe(ctx context.Context, patterns []string, h Handler, opts ...SubscribeOption) (*Subscription, error) {
	var so subOptions
	for _, o := range opts {
		o(&so)
	}
	if len(patterns) == 0 {
		return nil, fmt.Errorf("distributer: subscribe: no topics given: %w", ErrInvalidTopic)
	}
	for _, p := range patterns {
		if err := topic.ValidatePattern(p); err != nil {
			return nil, fmt.Errorf("distributer: subscribe: %w", err)
		}
	}
	if h == nil {
		return nil, fmt.Errorf("distributer: subscribe to %v: nil handler", patterns)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	d.mu.Lock()
	if d.closed.Load() {
		d.mu.Unlock()
		return nil, ErrClosed
	}
	d.pending.Add(1) // before Close's Wait: Close sets closed under d.mu
	d.mu.Unlock()
	defer d.pending.Done()
	unreserve := func() {}
	if so.group != "" {
		d.mu.Lock()
		key, err := d.groups.reserve(so.group, patterns, so.ownOnly)
		d.mu.Unlock()
		if err != nil {
			return nil, err
		}
		unreserve = func() {
			d.mu.Lock()
			d.groups.release(so.group, key)
			d.mu.Unlock()
		}
	}
	req := driver.SubscribeRequest{Patterns: append([]string(nil), patterns...), Group: so.group, MaxAttempts: d.maxAttempts}
	s := &Subscription{d: d, h: h, patterns: req.Patterns, group: so.group}
	if d.opts.drain() > 0 {
		s.drain = &drain{s: s, abandon: make(chan struct{})}
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(d.life, cancel) // Close does not wait for a slow set-up
	defer stop()
	ds, err := d.conn.Subscribe(sctx, req, s.receive)
	if err != nil {
		unreserve()
		if d.closed.Load() && ctx.Err() == nil {
			return nil, ErrClosed
		}
		return nil, fmt.Errorf("distributer: subscribe to %v (group %q): %w", patterns, so.group, err)
	}
	s.sub = ds
	d.mu.Lock()
	d.subs[s] = struct{}{}
	closed := d.closed.Load()
	d.mu.Unlock()
	if closed { // Close ran while we subscribed
		_ = s.Close()
		return nil, ErrClosed
	}
	return s, nil
}

// checkSize refuses a body larger than max_message_bytes.
func (d *Distributer) checkSize(m *Message, received bool) error {
	if d.maxBytes > 0 && len(m.Body) > d.maxBytes {
		return &TooLargeError{Topic: m.Topic, Size: len(m.Body), Limit: d.maxBytes, Received: received}
	}
	return nil
}

// ValidatesReceive reports whether delivered messages are validated before
// handlers see them (true unless opened WithoutReceiveValidation). Typed
// topics of generated packages consult it.
func (d *Distributer) ValidatesReceive() bool { return !d.opts.noReceiveValidation }

// Subscription is a running subscription made by Subscribe.
type Subscription struct {
	d        *Distributer
	h        Handler
	sub      driver.Subscription
	patterns []string
	group    string
	drain    *drain      // nil when Close waits without bound
	closing  atomic.Bool // set before the driver's Close: handler failures are the close's

	once     sync.Once
	err      error              // what Close returns
	closeErr error              // the driver's Close error
	stuck    *StuckSubscription // handlers abandoned by Close
}

// Patterns returns the topics and patterns subscribed to.
func (s *Subscription) Patterns() []string { return append([]string(nil), s.patterns...) }

// Group returns the subscriber group, "" for none.
func (s *Subscription) Group() string { return s.group }

// Done is closed when the subscription has ended, by Close or by a terminal
// failure.
func (s *Subscription) Done() <-chan struct{} { return s.sub.Done() }

// Err reports why the subscription ended: nil while it runs and after a
// normal Close, the terminal error otherwise.
func (s *Subscription) Err() error { return s.sub.Err() }
