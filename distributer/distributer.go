// Package distributer publishes JSON messages to topics and subscribes
// handlers to topics and patterns, through a driver chosen by URL scheme.
//
// Open a Distributer with a URL whose scheme names a registered driver:
//
//	d, err := distributer.Open(ctx, "memory://")           // in-process, the default
//	d, err := distributer.Open(ctx, "amqp://guest:guest@127.0.0.1:5672/") // RabbitMQ
//
// The memory driver is always registered. Other drivers register their
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
// For typed, schema-checked topics, generate a package with distgen and use
// its typed wrappers, which call this package.
package distributer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/distributer/distributer/distributer/driver"
	"github.com/distributer/distributer/distributer/topic"
	_ "github.com/distributer/distributer/drivers/memory" // the embedded default driver
)

// DefaultURL is the URL of the embedded in-process driver.
const DefaultURL = "memory://"

// Distributer is a connection to a message broker through a driver. It is
// safe for concurrent use. Close it when done.
type Distributer struct {
	conn   driver.Conn
	url    string // redacted
	opts   options
	closed atomic.Bool

	mu   sync.Mutex
	subs map[*Subscription]struct{}
}

// Open connects to the broker named by rawURL, with the driver registered for
// its scheme. An empty rawURL means DefaultURL. The URL's password never
// appears in errors or logs.
func Open(ctx context.Context, rawURL string, opts ...Option) (*Distributer, error) {
	if rawURL == "" {
		rawURL = DefaultURL
	}
	o := options{logger: slog.Default()}
	for _, opt := range opts {
		opt(&o)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("distributer: malformed URL %q: %w", redactRaw(rawURL), ErrInvalidURL)
	}
	if u.Scheme == "" {
		return nil, fmt.Errorf("distributer: URL %q has no scheme (want one of %v): %w", u.Redacted(), driver.Schemes(), ErrInvalidURL)
	}
	drv, ok := driver.Lookup(u.Scheme)
	if !ok {
		return nil, &UnknownSchemeError{Scheme: u.Scheme, Registered: driver.Schemes()}
	}
	if u.Opaque != "" { // "scheme:user:pass@host": Redacted would not hide it
		return nil, fmt.Errorf("distributer: URL %q is not of the form %s://...: %w", redactRaw(rawURL), u.Scheme, ErrInvalidURL)
	}
	safeURL := redacted(u)
	conn, err := drv.Open(driver.WithLogger(ctx, o.logger), u)
	if err != nil {
		return nil, fmt.Errorf("distributer: open %s: %w", safeURL, err)
	}
	return &Distributer{conn: conn, url: safeURL, opts: o, subs: map[*Subscription]struct{}{}}, nil
}

// userinfo matches the scheme and user:password@ part of a URL that
// url.Parse refused or that has no "//". The password runs to the last '@':
// a malformed URL may have '/' or '@' in it (redacting too much is
// harmless).
var userinfo = regexp.MustCompile(`(^[^:/?#]+:(?://)?|//)([^:/@]*):.*@`)

// redacted is u.Redacted, keeping the "//" of a URL with an empty host
// ("memory://" rather than "memory:").
func redacted(u *url.URL) string {
	r := u.Redacted()
	if u.Host == "" && u.User == nil && !strings.HasPrefix(r, u.Scheme+"://") {
		r = u.Scheme + "://" + strings.TrimPrefix(r, u.Scheme+":")
	}
	return r
}

func redactRaw(s string) string { return userinfo.ReplaceAllString(s, "${1}${2}:xxxxx@") }

// URL returns the URL the Distributer was opened with, password redacted.
func (d *Distributer) URL() string { return d.url }

// Close closes every subscription made through d, then the connection. It is
// idempotent: later calls return nil.
func (d *Distributer) Close() error {
	if !d.closed.CompareAndSwap(false, true) {
		return nil
	}
	d.mu.Lock()
	subs := make([]*Subscription, 0, len(d.subs))
	for s := range d.subs {
		subs = append(subs, s)
	}
	d.mu.Unlock()
	for _, s := range subs {
		_ = s.Close()
	}
	if err := d.conn.Close(); err != nil {
		return fmt.Errorf("distributer: close %s: %w", d.url, err)
	}
	return nil
}

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
	if d.closed.Load() {
		return nil, ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	req := driver.SubscribeRequest{Patterns: append([]string(nil), patterns...), Group: so.group}
	ds, err := d.conn.Subscribe(ctx, req, d.wrap(h))
	if err != nil {
		return nil, fmt.Errorf("distributer: subscribe to %v (group %q): %w", patterns, so.group, err)
	}
	s := &Subscription{d: d, sub: ds, patterns: req.Patterns, group: so.group}
	d.mu.Lock()
	d.subs[s] = struct{}{}
	d.mu.Unlock()
	if d.closed.Load() { // Close ran while we subscribed
		_ = s.Close()
		return nil, ErrClosed
	}
	return s, nil
}

// wrap turns h into a driver handler that validates (when configured) and
// recovers panics.
func (d *Distributer) wrap(h Handler) driver.Handler {
	validate := d.opts.validator != nil && !d.opts.noReceiveValidation
	return func(ctx context.Context, m *driver.Message) (err error) {
		if validate {
			if verr := d.validateReceived(m); verr != nil {
				d.invalid(ctx, m, verr)
				return Reject(verr)
			}
		}
		defer func() {
			if r := recover(); r != nil {
				err = &PanicError{Value: r, Stack: debug.Stack()}
				d.opts.logger.Error("distributer: handler panicked", "topic", m.Topic, "id", m.ID, "attempt", m.Attempt, "panic", r)
			}
		}()
		err = h.Handle(ctx, m)
		if err != nil && errors.Is(err, ErrInvalidMessage) {
			d.invalid(ctx, m, err)
			if !errors.Is(err, ErrRejected) {
				err = Reject(err)
			}
		}
		return err
	}
}

// validateReceived validates a delivered message. A panic of the validator
// is recovered and becomes the reason the message is dead-lettered: no
// message can crash its consumers.
func (d *Distributer) validateReceived(m *Message) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: validator panicked: %v", ErrInvalidMessage, r)
			d.opts.logger.Error("distributer: validator panicked", "topic", m.Topic, "id", m.ID, "panic", r)
		}
	}()
	return d.opts.validator.Validate(m.Topic, m.Body)
}

// ValidatesReceive reports whether delivered messages are validated before
// handlers see them (true unless opened WithoutReceiveValidation). Typed
// topics of generated packages consult it.
func (d *Distributer) ValidatesReceive() bool { return !d.opts.noReceiveValidation }

func (d *Distributer) invalid(ctx context.Context, m *Message, err error) {
	d.opts.logger.Warn("distributer: invalid message dead-lettered", "topic", m.Topic, "id", m.ID, "error", err)
	if f := d.opts.onInvalid; f != nil {
		f(ctx, m, err)
	}
}

// Subscription is a running subscription made by Subscribe.
type Subscription struct {
	d        *Distributer
	sub      driver.Subscription
	patterns []string
	group    string
	once     sync.Once
	err      error
}

// Patterns returns the topics and patterns subscribed to.
func (s *Subscription) Patterns() []string { return append([]string(nil), s.patterns...) }

// Group returns the subscriber group, "" for none.
func (s *Subscription) Group() string { return s.group }

// Close stops deliveries and waits for running handlers to return. It is
// idempotent. Because it waits for handlers, a handler must not call Close
// on its own subscription (it would wait for itself): signal another
// goroutine to close it instead.
func (s *Subscription) Close() error {
	s.once.Do(func() {
		s.err = s.sub.Close()
		s.d.mu.Lock()
		delete(s.d.subs, s)
		s.d.mu.Unlock()
	})
	return s.err
}

// Done is closed when the subscription has ended, by Close or by a terminal
// failure.
func (s *Subscription) Done() <-chan struct{} { return s.sub.Done() }

// Err reports why the subscription ended: nil while it runs and after a
// normal Close, the terminal error otherwise.
func (s *Subscription) Err() error { return s.sub.Err() }
