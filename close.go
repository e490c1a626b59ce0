package distributer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultDrainTimeout is how long Close waits for running handlers unless
// WithDrainTimeout says otherwise.
const DefaultDrainTimeout = 30 * time.Second

// ErrDrainTimeout is wrapped by the error Close returns when handlers were
// still running at the end of the drain timeout. The error is a
// *DrainError, which names their subscriptions.
var ErrDrainTimeout = errors.New("drain timeout: handlers still running")

// WithDrainTimeout bounds how long Subscription.Close and Distributer.Close
// wait for running handlers after cancelling their contexts (default
// DefaultDrainTimeout, 30s). When it expires, Close stops waiting: the
// messages of the handlers still running are handed back to the driver as
// not processed (a group's message returns to the group's queue with its
// attempt count unchanged, for another member or a later one; a
// subscription without a group drops it with its queue), and Close returns
// a *DrainError. What stays behind is one goroutine per such handler,
// running the handler's own code; it ends when the handler returns, and
// what the handler returns then is ignored (nothing is acknowledged twice).
//
// A timeout of zero or less means no bound: Close waits for handlers
// however long they take. Handlers then run on the driver's goroutines
// directly, which saves a hand-off per message; with a bound, each call
// is handed to a runner goroutine that Close can stop waiting for.
func WithDrainTimeout(t time.Duration) Option {
	return func(o *options) { o.drainTimeout, o.drainTimeoutSet = t, true }
}

// drain returns the drain timeout in effect.
func (o *options) drain() time.Duration {
	if !o.drainTimeoutSet {
		return DefaultDrainTimeout
	}
	return o.drainTimeout
}

// DrainError is returned by Close when handlers were still running when
// the drain timeout expired. It wraps ErrDrainTimeout.
type DrainError struct {
	// Timeout is the drain timeout that expired.
	Timeout time.Duration
	// Subscriptions are the subscriptions whose handlers were abandoned.
	Subscriptions []StuckSubscription
}

// StuckSubscription is a subscription with handlers still running at the
// end of the drain timeout.
type StuckSubscription struct {
	Patterns []string // the subscription's patterns
	Group    string   // its group, "" for none
	Handlers int      // how many of its handler calls were still running
}

func (s StuckSubscription) String() string {
	str := fmt.Sprintf("%d in the subscription to %s", s.Handlers, strings.Join(s.Patterns, ","))
	if s.Group != "" {
		str += fmt.Sprintf(" (group %q)", s.Group)
	}
	return str
}

// Error names the subscriptions and says what happened to their messages.
func (e *DrainError) Error() string {
	parts := make([]string, len(e.Subscriptions))
	for i, s := range e.Subscriptions {
		parts[i] = s.String()
	}
	return fmt.Sprintf("distributer: close: handlers still running after the drain timeout of %v, which ignored their cancelled context: %s; "+
		"their messages were left to the driver for redelivery, their goroutines end when they return "+
		"(make handlers return when ctx is done, or raise WithDrainTimeout)", e.Timeout, strings.Join(parts, "; "))
}

// Unwrap returns ErrDrainTimeout.
func (e *DrainError) Unwrap() error { return ErrDrainTimeout }

// errAbandoned is the result of a handler call that was still running when
// the drain timeout expired. The subscription is closing then, so the
// delivery is given back, not counted (see receive).
var errAbandoned = fmt.Errorf("distributer: handler abandoned at close: %w", ErrDrainTimeout)

// drain runs a subscription's handler calls on runner goroutines, so that
// Close can stop waiting for one that ignores its context.
type drain struct {
	s       *Subscription
	abandon chan struct{} // closed when the drain timeout expires

	mu        sync.Mutex
	idle      []*runner // runners waiting for a call
	stopped   bool      // Close is done: runners are not kept
	abandoned int       // calls given up on
}

// runner is a goroutine that runs handler calls, one at a time.
type runner struct {
	calls  chan call  // closed to end the goroutine
	res    chan error // capacity 1: an abandoned call's result is dropped there
	gaveUp atomic.Bool
}

type call struct {
	ctx context.Context
	m   *Message
}

func (r *runner) run(g *drain) {
	for c := range r.calls {
		err := g.s.run(c.ctx, c.m)
		if r.gaveUp.Load() {
			g.s.d.opts.logger.Info("distributer: a handler given up on at close has returned; its result is ignored",
				"patterns", g.s.patterns, "group", g.s.group, "topic", c.m.Topic, "id", c.m.ID, "error", err)
		}
		r.res <- err
	}
}

// handle runs the application's handler on a runner and waits for the
// result, or, once the drain timeout has expired and the driver has
// cancelled ctx (drivers stop deliveries before they cancel), gives up on
// it.
func (g *drain) handle(ctx context.Context, m *Message) error {
	r := g.get()
	r.calls <- call{ctx, m}
	select {
	case err := <-r.res:
		g.put(r)
		return err
	case <-g.abandon:
	}
	select {
	case err := <-r.res:
		g.put(r)
		return err
	case <-ctx.Done():
	}
	r.gaveUp.Store(true)
	close(r.calls) // the runner ends when the handler returns
	g.s.d.opts.logger.Error("distributer: handler still running at the end of the drain timeout, given up on; its message is left for redelivery",
		"patterns", g.s.patterns, "group", g.s.group, "topic", m.Topic, "id", m.ID, "attempt", m.Attempt, "drain_timeout", g.s.d.opts.drain())
	g.mu.Lock()
	g.abandoned++
	g.mu.Unlock()
	return errAbandoned
}

func (g *drain) get() *runner {
	g.mu.Lock()
	if n := len(g.idle); n > 0 {
		r := g.idle[n-1]
		g.idle[n-1] = nil
		g.idle = g.idle[:n-1]
		g.mu.Unlock()
		return r
	}
	g.mu.Unlock()
	r := &runner{calls: make(chan call), res: make(chan error, 1)}
	go r.run(g)
	return r
}

func (g *drain) put(r *runner) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopped {
		close(r.calls)
		return
	}
	g.idle = append(g.idle, r)
}

// expire gives up on running calls (the drain timeout expired).
func (g *drain) expire() { close(g.abandon) }

// stop ends the idle runners, once the driver's Close has returned (no call
// is in progress then), and returns how many calls were abandoned.
func (g *drain) stop() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.stopped = true
	for _, r := range g.idle {
		close(r.calls)
	}
	g.idle = nil
	return g.abandoned
}

// Close stops deliveries, cancels the context of running handlers and waits
// for them to return, at most the drain timeout (WithDrainTimeout, default
// 30s). If handlers are still running then, Close gives up on them and
// returns a *DrainError (errors.Is(err, ErrDrainTimeout)): their messages
// are left to the driver for redelivery, as with any handler that did not
// finish, and their goroutines end when they return. Close is idempotent:
// later calls return the same error. Because it waits for handlers, a
// handler must not call Close on its own subscription (it would wait for
// itself until the drain timeout): signal another goroutine to close it
// instead.
func (s *Subscription) Close() error {
	return s.closeBy(time.Now().Add(s.d.opts.drain()))
}

// closeBy closes s, giving up on running handlers at deadline.
func (s *Subscription) closeBy(deadline time.Time) error {
	s.once.Do(func() {
		s.closing.Store(true) // before the driver's Close cancels handlers
		var t *time.Timer
		if s.drain != nil {
			t = time.AfterFunc(time.Until(deadline), s.drain.expire)
		}
		if err := s.sub.Close(); err != nil {
			s.closeErr = fmt.Errorf("distributer: close the subscription to %v (group %q): %w", s.patterns, s.group, err)
		}
		if t != nil {
			t.Stop()
			if n := s.drain.stop(); n > 0 {
				s.stuck = &StuckSubscription{Patterns: s.Patterns(), Group: s.group, Handlers: n}
			}
		}
		s.err = s.closeErr
		if s.stuck != nil {
			s.err = joinErrors(s.closeErr, &DrainError{Timeout: s.d.opts.drain(), Subscriptions: []StuckSubscription{*s.stuck}})
		}
		s.d.mu.Lock()
		delete(s.d.subs, s)
		s.d.mu.Unlock()
	})
	return s.err
}

// Close first waits, at most the drain timeout, for the results of
// PublishAsync still outstanding (refusing new ones with ErrClosed). It
// then closes every subscription made through d, all at once and each as
// Subscription.Close does, with one drain timeout for all, then the
// connection, which fails the PublishAsync results still outstanding with
// ErrClosed: when Close returns, every result is resolved. If handlers
// were still running at the end of the drain timeout, the error is a
// *DrainError that names all their subscriptions. Close is idempotent:
// later calls return nil.
func (d *Distributer) Close() error {
	d.mu.Lock()
	if d.closed.Load() {
		d.mu.Unlock()
		return nil
	}
	d.closed.Store(true)
	d.mu.Unlock()
	// Subscribe calls in progress end (their set-up cut short) and are
	// either in d.subs or closed by themselves; then the list is complete.
	d.endLife()
	d.pending.Wait()
	d.mu.Lock()
	async := d.async
	d.mu.Unlock()
	if async != nil {
		async.close(d.opts.drain())
	}
	d.mu.Lock()
	subs := make([]*Subscription, 0, len(d.subs))
	for s := range d.subs {
		subs = append(subs, s)
	}
	d.mu.Unlock()
	deadline := time.Now().Add(d.opts.drain())
	var wg sync.WaitGroup
	for _, s := range subs {
		wg.Go(func() { _ = s.closeBy(deadline) })
	}
	wg.Wait()
	var (
		errs []error
		de   *DrainError
	)
	for _, s := range subs {
		if s.closeErr != nil {
			errs = append(errs, s.closeErr)
		}
		if s.stuck != nil {
			if de == nil {
				de = &DrainError{Timeout: d.opts.drain()}
			}
			de.Subscriptions = append(de.Subscriptions, *s.stuck)
		}
	}
	if err := d.conn.Close(); err != nil {
		errs = append(errs, fmt.Errorf("distributer: close %s: %w", d.url, err))
	}
	if async != nil {
		<-async.exited // the driver's Waits end with the connection
	}
	if de != nil {
		slices.SortFunc(de.Subscriptions, func(a, b StuckSubscription) int {
			return cmp.Or(slices.Compare(a.Patterns, b.Patterns), strings.Compare(a.Group, b.Group))
		})
		errs = append([]error{de}, errs...)
	}
	return joinErrors(errs...)
}

// joinErrors is errors.Join, except that a single error is returned as is
// (so that errors.As and type switches see a *DrainError itself).
func joinErrors(errs ...error) error {
	var kept []error
	for _, e := range errs {
		if e != nil {
			kept = append(kept, e)
		}
	}
	if len(kept) == 1 {
		return kept[0]
	}
	return errors.Join(kept...)
}
