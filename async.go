package distributer

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/distributer/distributer/driver"
)

// Defaults of AsyncSettings.
const (
	// DefaultMaxOutstandingMessages is the default
	// AsyncSettings.MaxOutstandingMessages.
	DefaultMaxOutstandingMessages = 1000
	// DefaultMaxOutstandingBytes is the default
	// AsyncSettings.MaxOutstandingBytes (64 MiB).
	DefaultMaxOutstandingBytes = 64 << 20
	// DefaultAsyncTimeout is the default AsyncSettings.Timeout.
	DefaultAsyncTimeout = 60 * time.Second
)

// AsyncSettings configures PublishAsync (WithAsyncSettings). A zero field
// means its default.
type AsyncSettings struct {
	// MaxOutstandingMessages bounds the messages published with
	// PublishAsync that wait for the broker's confirm. When it is reached,
	// PublishAsync waits for room, bounded by its context. Default
	// DefaultMaxOutstandingMessages (1000).
	MaxOutstandingMessages int
	// MaxOutstandingBytes bounds the total size of their bodies, the same
	// way. A body larger than the bound is sent once nothing else is
	// outstanding. Default DefaultMaxOutstandingBytes (64 MiB).
	MaxOutstandingBytes int
	// Timeout bounds how long one message is retried (nacked, or its
	// confirm lost with the connection) after it was sent; then its result
	// fails with the error Publish gives when its context ends (the bound is
	// kept to within 10ms: messages sent that close share a timer). Default
	// DefaultAsyncTimeout (60s); negative: no bound.
	Timeout time.Duration
}

// WithAsyncSettings sets the flow control and the retry bound of
// PublishAsync; see AsyncSettings for the defaults.
func WithAsyncSettings(s AsyncSettings) Option { return func(o *options) { o.async = s } }

func (s AsyncSettings) withDefaults() AsyncSettings {
	if s.MaxOutstandingMessages <= 0 {
		s.MaxOutstandingMessages = DefaultMaxOutstandingMessages
	}
	if s.MaxOutstandingBytes <= 0 {
		s.MaxOutstandingBytes = DefaultMaxOutstandingBytes
	}
	if s.Timeout == 0 {
		s.Timeout = DefaultAsyncTimeout
	}
	return s
}

// PublishResult is the outcome, possibly still to come, of a PublishAsync:
// Done is closed when it is known, and Get returns it. A result is resolved
// exactly once, and always: at the latest by Distributer.Close.
type PublishResult struct {
	m   Message
	arr [1]*Message // passes m to the driver

	// state is nil while the result is pending and nobody asked for
	// Done, then the channel Done returned; &closed once resolved.
	state atomic.Pointer[chan struct{}]
	err   error     // set before state becomes &closed
	fly   *inFlight // with a driver.Sender: the confirmer's bookkeeping
}

// inFlight is what the confirmer keeps of a message sent with a
// driver.Sender (not in PublishResult, so that the results of other
// drivers stay small).
type inFlight struct {
	pend driver.Pending // nil until sent; guarded by asyncPub.mu
	sent int64          // when it was sent: ns since epoch, monotonic
}

// epoch is the origin of inFlight.sent.
var epoch = time.Now()

// closed is the channel Done returns for results resolved before it was
// asked for one.
var closed = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// FailedResult returns a result resolved with err, for wrappers that refuse
// a message before it reaches PublishAsync (typed topics: a value that
// fails its schema).
func FailedResult(err error) *PublishResult {
	r := &PublishResult{err: err}
	r.state.Store(&closed)
	return r
}

// Done returns a channel that is closed once the result is known.
func (r *PublishResult) Done() <-chan struct{} {
	for {
		if p := r.state.Load(); p != nil {
			return *p
		}
		c := make(chan struct{})
		if r.state.CompareAndSwap(nil, &c) {
			return c
		}
	}
}

// Get waits until the result is known, or ctx ends, and returns the
// message's id (given WithID or generated; "" if the message was refused
// before it had one) and its error: nil once the broker has confirmed the
// message (memory://: once it is enqueued), else the error Publish would
// have returned. When ctx ends first, Get returns ctx's error and the
// message's fate is not known yet: call Get again, or Flush.
func (r *PublishResult) Get(ctx context.Context) (id string, err error) {
	if r.state.Load() != &closed {
		select {
		case <-r.Done():
		case <-ctx.Done():
			return r.m.ID, ctx.Err()
		}
	}
	return r.m.ID, r.err
}

// resolve sets the result, once; the body is let go.
func (r *PublishResult) resolve(err error) {
	r.err = err
	r.m.Body, r.m.Headers, r.arr[0] = nil, nil, nil
	if p := r.state.Swap(&closed); p != nil {
		close(*p)
	}
}

// PublishAsync publishes data, which must be valid JSON, to the literal
// topic t like Publish, but returns without waiting for the broker's
// confirm: the result resolves when the broker has confirmed the message,
// or with the error Publish would have returned (errors.Is and errors.As
// see the same sentinels and types: ErrInvalidTopic, ErrInvalidJSON,
// *TooLargeError, ErrClosed, the driver's not-confirmed error). So one
// goroutine keeps many messages in flight.
//
// Invalid messages (topic, JSON, size, WithValidator's schema) are refused
// before PublishAsync returns, with an already resolved result, and nothing
// is sent. The messages of one goroutine's successive calls go to the
// broker in that order (a message the broker nacked, or whose confirm was
// lost with the connection, is sent again and may then arrive after later
// ones, as with concurrent Publish calls). ctx bounds the call only: the
// wait for room (see below) and the writing, never the confirm; a message
// sent is retried until confirmed for at most AsyncSettings.Timeout (60s by
// default), then its result fails.
//
// Flow control: at most AsyncSettings.MaxOutstandingMessages messages
// (default 1000), with at most MaxOutstandingBytes of bodies (64 MiB), wait
// for confirms at once. When that is reached, PublishAsync waits for room
// until ctx ends; then the result fails with ctx's error. Nothing is ever
// dropped.
//
// A driver that does not implement driver.Sender (memory:// does not: its
// enqueue is its confirm) publishes within the call, whose result is then
// resolved when it returns: on memory:// the message is enqueued, or
// PublishAsync waited for room in a full queue until ctx ended.
//
// Close first waits for outstanding results (at most the drain timeout,
// WithDrainTimeout), then closes the connection: results still outstanding
// then fail with ErrClosed. No result is left unresolved; PublishAsync
// after Close returns a result that failed with ErrClosed.
func (d *Distributer) PublishAsync(ctx context.Context, t string, data []byte, opts ...PublishOption) *PublishResult {
	r := &PublishResult{m: Message{Topic: t, Body: data}}
	for _, o := range opts {
		o(&r.m)
	}
	if err := d.prepare(&r.m); err != nil {
		r.err = err
		r.state.Store(&closed)
		return r
	}
	r.arr[0] = &r.m
	if d.sender == nil {
		r.err = d.send(ctx, r.arr[:])
		r.m.Body, r.m.Headers, r.arr[0] = nil, nil, nil
		r.state.Store(&closed)
		return r
	}
	if err := d.asyncPublish(ctx, r); err != nil {
		r.resolve(err)
	}
	return r
}

// Flush waits until the results of every PublishAsync call that returned
// before it are resolved (confirmed or failed: see each result), or ctx
// ends; it returns nil, or ctx's error. Publishing may go on meanwhile.
func (d *Distributer) Flush(ctx context.Context) error {
	d.mu.Lock()
	a := d.async
	d.mu.Unlock()
	if a == nil {
		return nil
	}
	return a.flush(ctx)
}

// asyncPublish sends r with the driver's Sender and hands it to the
// confirmer; an error means r was not accepted.
func (d *Distributer) asyncPublish(ctx context.Context, r *PublishResult) error {
	if d.closed.Load() {
		return fmt.Errorf("distributer: publish to %q: %w", r.m.Topic, ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	a, err := d.asyncPublisher()
	if err != nil {
		return fmt.Errorf("distributer: publish to %q: %w", r.m.Topic, err)
	}
	if err := a.reserve(ctx, r); err != nil {
		return err
	}
	a.sent(r, d.sender.Send(ctx, r.arr[:]))
	return nil
}

// asyncPublisher returns d's confirmer, starting it on first use.
func (d *Distributer) asyncPublisher() (*asyncPub, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.async == nil {
		if d.closed.Load() {
			return nil, ErrClosed
		}
		s := d.opts.async.withDefaults()
		d.async = &asyncPub{
			maxMsgs: s.MaxOutstandingMessages, maxBytes: s.MaxOutstandingBytes, timeout: s.Timeout,
			wake: make(chan struct{}, 1), closing: make(chan struct{}), exited: make(chan struct{}),
		}
		go d.async.confirm()
	}
	return d.async, nil
}

// asyncPub is a Distributer's asynchronous publishing: flow control, and
// the confirmer goroutine that waits for the confirms of sent messages, in
// the order they were accepted, and resolves their results.
type asyncPub struct {
	maxMsgs  int
	maxBytes int
	timeout  time.Duration
	wake     chan struct{} // capacity 1: the confirmer may have work
	closing  chan struct{} // closed by Close: no more messages are accepted
	exited   chan struct{} // closed when the confirmer has returned

	mu        sync.Mutex
	isClosing bool
	queue     []*PublishResult // accepted, not resolved yet, in order
	head      int              // queue[head:] is live
	idle      bool             // the confirmer waits for wake
	outMsgs   int              // outstanding messages and bytes (flow control)
	outBytes  int
	waiters   []*waiter // PublishAsync calls waiting for room, in order
	accepted  uint64    // messages accepted so far
	finished  uint64    // of those, resolved (in acceptance order)
	flushers  []*flusher
}

type waiter struct {
	size    int
	ready   chan struct{} // closed when room was made for it
	granted bool
}

type flusher struct {
	target uint64
	done   chan struct{}
}

// fits reports whether a message of size bytes may be outstanding now.
// a.mu held.
func (a *asyncPub) fits(size int) bool {
	return a.outMsgs == 0 || a.outMsgs < a.maxMsgs && a.outBytes+size <= a.maxBytes
}

// reserve waits for room for r (flow control, bounded by ctx) and queues
// it for the confirmer.
func (a *asyncPub) reserve(ctx context.Context, r *PublishResult) error {
	size := len(r.m.Body)
	a.mu.Lock()
	if a.isClosing {
		a.mu.Unlock()
		return fmt.Errorf("distributer: publish to %q: %w", r.m.Topic, ErrClosed)
	}
	if len(a.waiters) > 0 || !a.fits(size) {
		w := &waiter{size: size, ready: make(chan struct{})}
		a.waiters = append(a.waiters, w)
		msgs, bytes := a.outMsgs, a.outBytes
		a.mu.Unlock()
		var why error
		select {
		case <-w.ready:
		case <-ctx.Done():
			why = fmt.Errorf("distributer: publish to %q: no room within AsyncSettings (MaxOutstandingMessages %d, MaxOutstandingBytes %d): %d messages with %d bytes of bodies were waiting for the broker's confirm (the broker is slow or unavailable, or raise the limits): %w",
				r.m.Topic, a.maxMsgs, a.maxBytes, msgs, bytes, ctx.Err())
		case <-a.closing:
			why = fmt.Errorf("distributer: publish to %q: %w", r.m.Topic, ErrClosed)
		}
		a.mu.Lock()
		if why == nil && a.isClosing {
			why = fmt.Errorf("distributer: publish to %q: %w", r.m.Topic, ErrClosed)
		}
		if why != nil {
			if w.granted {
				a.releaseLocked(1, size)
			} else {
				a.removeWaiter(w)
			}
			a.mu.Unlock()
			return why
		}
	} else {
		a.outMsgs++
		a.outBytes += size
	}
	r.fly = &inFlight{}
	a.queue = append(a.queue, r)
	a.accepted++
	a.mu.Unlock()
	return nil
}

// sent records r's Pending and wakes the confirmer if it waits for it.
func (a *asyncPub) sent(r *PublishResult, pend driver.Pending) {
	now := int64(time.Since(epoch))
	a.mu.Lock()
	r.fly.pend, r.fly.sent = pend, now
	wake := a.idle
	a.idle = false
	a.mu.Unlock()
	if wake {
		select {
		case a.wake <- struct{}{}:
		default:
		}
	}
}

// removeWaiter drops w, which gave up, and lets the waiters behind it in
// if there is room for them now. a.mu held.
func (a *asyncPub) removeWaiter(w *waiter) {
	for i, x := range a.waiters {
		if x == w {
			a.waiters = append(a.waiters[:i], a.waiters[i+1:]...)
			break
		}
	}
	a.grant()
}

// releaseLocked frees the room of resolved messages and lets waiters in.
// a.mu held.
func (a *asyncPub) releaseLocked(msgs, bytes int) {
	a.outMsgs -= msgs
	a.outBytes -= bytes
	a.grant()
}

// grant gives room to waiters, in order, while they fit. a.mu held.
func (a *asyncPub) grant() {
	for len(a.waiters) > 0 && a.fits(a.waiters[0].size) {
		w := a.waiters[0]
		a.waiters[0] = nil
		a.waiters = a.waiters[1:]
		a.outMsgs++
		a.outBytes += w.size
		w.granted = true
		close(w.ready)
	}
}

// confirm is the confirmer goroutine: it waits for the confirm of each
// accepted message, in order, and resolves its result. It returns once
// Close has begun and every accepted message is resolved.
func (a *asyncPub) confirm() {
	defer close(a.exited)
	var dl deadline
	defer dl.stop()
	a.mu.Lock()
	for {
		if a.head == len(a.queue) {
			a.queue, a.head = a.queue[:0], 0
			if a.isClosing {
				a.mu.Unlock()
				return
			}
		}
		if a.head == len(a.queue) || a.queue[a.head].fly.pend == nil {
			a.idle = true
			a.mu.Unlock()
			<-a.wake
			a.mu.Lock()
			continue
		}
		r := a.queue[a.head]
		a.queue[a.head] = nil
		a.head++
		if a.head >= 1024 && 2*a.head >= len(a.queue) {
			// The queue seldom runs empty under steady load: move what
			// is left to the front, or it would grow without end.
			n := copy(a.queue, a.queue[a.head:])
			clear(a.queue[n:])
			a.queue, a.head = a.queue[:n], 0
		}
		fly := r.fly
		r.fly = nil
		a.mu.Unlock()

		ctx := context.Background()
		if a.timeout > 0 {
			ctx = dl.context(epoch.Add(time.Duration(fly.sent) + a.timeout))
		}
		err := fly.pend.Wait(ctx)
		if err != nil {
			err = fmt.Errorf("distributer: publish to %q: %w", r.m.Topic, err)
		}
		size := len(r.m.Body)
		r.resolve(err)

		a.mu.Lock()
		a.releaseLocked(1, size)
		a.finished++
		a.flushed()
	}
}

// deadlineSlack is how far the deadline of the context a message's
// confirm is waited for with may be from the exact one (sent + Timeout):
// messages sent within it share one context, and one timer.
const deadlineSlack = 10 * time.Millisecond

// deadline is the confirmer's context for the messages' retry bound.
type deadline struct {
	ctx    context.Context
	at     time.Time
	cancel context.CancelFunc
}

// context returns a context that ends at t, give or take deadlineSlack.
func (d *deadline) context(t time.Time) context.Context {
	if d.ctx != nil && t.Sub(d.at).Abs() <= deadlineSlack {
		return d.ctx
	}
	d.stop()
	d.ctx, d.cancel = context.WithDeadline(context.Background(), t)
	d.at = t
	return d.ctx
}

func (d *deadline) stop() {
	if d.cancel != nil {
		d.cancel()
	}
}

// flushed ends the Flush calls whose messages are all resolved. a.mu held.
func (a *asyncPub) flushed() {
	k := 0
	for _, f := range a.flushers {
		if f.target <= a.finished {
			close(f.done)
			continue
		}
		a.flushers[k] = f
		k++
	}
	clear(a.flushers[k:])
	a.flushers = a.flushers[:k]
}

func (a *asyncPub) flush(ctx context.Context) error {
	a.mu.Lock()
	if a.finished >= a.accepted {
		a.mu.Unlock()
		return nil
	}
	f := &flusher{target: a.accepted, done: make(chan struct{})}
	a.flushers = append(a.flushers, f)
	a.mu.Unlock()
	select {
	case <-f.done:
		return nil
	case <-ctx.Done():
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if i := slices.Index(a.flushers, f); i >= 0 {
		a.flushers = slices.Delete(a.flushers, i, i+1)
	}
	return ctx.Err()
}

// close stops accepting messages (calls waiting for room fail with
// ErrClosed) and waits for the outstanding ones to resolve, at most timeout
// (<= 0: no bound). Those still outstanding then are resolved when Close
// closes the connection (the driver's Wait returns ErrClosed), and Close
// waits for the confirmer to exit.
func (a *asyncPub) close(timeout time.Duration) {
	a.mu.Lock()
	a.isClosing = true
	close(a.closing)
	wake := a.idle
	a.idle = false
	a.mu.Unlock()
	if wake {
		select {
		case a.wake <- struct{}{}:
		default:
		}
	}
	if timeout <= 0 {
		<-a.exited
		return
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-a.exited:
	case <-t.C:
	}
}
