package memory

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/distributer/distributer/driver"
)

// Defaults for the URL's query parameters.
const (
	// DefaultBuffer is the default buffer: how many messages a queue holds
	// (queued plus being handled) before Publish waits.
	DefaultBuffer = 1024
	// MaxBuffer is the largest buffer accepted.
	MaxBuffer = 1 << 20
)

// Scheme is the URL scheme the runtime registers Driver under.
const Scheme = "memory"

// Driver is the memory driver. Package distributer registers it for Scheme;
// nothing else should.
type Driver struct{}

// Open opens a connection to the bus named by u's host ("" for the default
// bus), creating the bus if needed.
func (Driver) Open(ctx context.Context, u *url.URL) (driver.Conn, error) {
	if err := driver.CheckQuery(u, "buffer"); err != nil {
		return nil, err
	}
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.Opaque != "" || u.Fragment != "" || u.Port() != "" {
		return nil, driver.NewURLError(u.String(), "a memory URL has no user, port, path or fragment", "want memory://[name][?options]")
	}
	c := &conn{done: make(chan struct{})}
	var err error
	if c.buffer, err = intParam(u.Query(), "buffer", DefaultBuffer, 1, MaxBuffer); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.bus = acquire(u.Host)
	return c, nil
}

func intParam(q url.Values, name string, def, lo, hi int) (int, error) {
	s := q.Get(name)
	if s == "" && !q.Has(name) {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err == nil && (n < lo || n > hi) {
		err = fmt.Errorf("want %d to %d", lo, hi)
	}
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok {
			err = ne.Err
		}
		return 0, &driver.QueryError{Scheme: Scheme, Param: name, Value: s, Known: []string{"buffer"}, Err: err}
	}
	return n, nil
}

// conn is a connection to a bus. The runtime closes its subscriptions
// before it closes it.
type conn struct {
	bus    *bus
	buffer int
	done   chan struct{}         // closed by Close: blocked publishes return
	last   atomic.Pointer[route] // the route of the last publish
	once   sync.Once
}

// Publish routes each message to the queues bound to matching patterns,
// waiting while a queue is full.
func (c *conn) Publish(ctx context.Context, msgs []*driver.Message) error {
	var errs []error
	for i, m := range msgs {
		err := c.publish(ctx, m)
		if err == nil {
			continue
		}
		if len(msgs) == 1 {
			return err
		}
		if errs == nil {
			errs = make([]error, len(msgs))
		}
		errs[i] = err
		if ctx.Err() != nil || isClosed(c.done) {
			for j := i + 1; j < len(msgs); j++ {
				errs[j] = err
			}
			break
		}
	}
	if errs != nil {
		return &driver.BatchError{Errs: errs}
	}
	return nil
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func (c *conn) publish(ctx context.Context, m *driver.Message) error {
	if isClosed(c.done) {
		return driver.ErrClosed
	}
	last := c.last.Load()
	r := c.bus.route(m.Topic, last)
	if r != last {
		c.last.Store(r)
	}
	qs := r.queues
	if len(qs) == 0 {
		return nil
	}
	if m.Headers != nil {
		// The caller may reuse its map; queues share this copy, and each
		// delivery gets its own.
		cp := *m
		cp.Headers = maps.Clone(m.Headers)
		m = &cp
	}
	for _, q := range qs {
		if err := q.push(ctx, m, c.done); err != nil {
			return err
		}
	}
	return nil
}

// Subscribe binds a queue (the subscription's own, or its group's) and starts
// a consumer on it.
func (c *conn) Subscribe(ctx context.Context, req driver.SubscribeRequest, h driver.Handler) (driver.Subscription, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if isClosed(c.done) {
		return nil, driver.ErrClosed
	}
	b := c.bus
	var q *queue
	if req.Group == "" {
		q = newQueue("", c.buffer)
	} else {
		q = b.groupQueue(req.Group, c.buffer)
	}
	b.bind(q, req.Patterns)
	hctx, cancel := context.WithCancel(context.Background())
	s := &subscription{conn: c, q: q, done: make(chan struct{}), cancel: cancel}
	s.cons = &consumer{
		q: q, h: h, ctx: hctx, dead: &b.dead,
		wake: make(chan struct{}, 1), stop: make(chan struct{}), exited: make(chan struct{}),
	}
	go s.cons.run()
	return s, nil
}

// Close releases the bus; blocked publishes return ErrClosed.
func (c *conn) Close() error {
	c.once.Do(func() {
		close(c.done)
		c.bus.release()
	})
	return nil
}

// subscription is one Subscribe call's consumer.
type subscription struct {
	conn   *conn
	q      *queue
	cons   *consumer
	cancel context.CancelFunc
	once   sync.Once
	done   chan struct{}
}

// Close stops the consumer, then cancels its handler's context, and waits
// for it (the runtime gives back a delivery whose handler fails then). A
// subscription's own queue is deleted with its messages; a group's queue
// stays for the group's other and future members.
func (s *subscription) Close() error {
	s.once.Do(func() {
		close(s.cons.stop)
		s.cancel()
		<-s.cons.exited
		q, b := s.q, s.conn.bus
		if q.group == "" {
			b.unbind(q)
		}
		q.mu.Lock()
		q.leave(s.cons)
		if q.group == "" {
			q.close()
		}
		q.mu.Unlock()
		close(s.done)
	})
	return nil
}

func (s *subscription) Done() <-chan struct{} { return s.done }

// Err is always nil: a memory subscription only ends by Close.
func (s *subscription) Err() error { return nil }

// consumer delivers a queue's messages to a handler, one at a time.
type consumer struct {
	q      *queue
	h      driver.Handler
	ctx    context.Context // cancelled by Close
	dead   *deadLetters
	wake   chan struct{} // a message may be waiting (capacity 1)
	stop   chan struct{} // closed by Close
	exited chan struct{} // closed when run returns

	// The delivery being handled, and how the runtime settled it.
	dv      driver.Delivery
	m       driver.Message // as queued: Attempt = deliveries made
	requeue bool           // Redeliver or GiveBack: back to the queue
}

func (c *consumer) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *consumer) run() {
	defer close(c.exited)
	c.dv = driver.Delivery{BodyChecked: true, Settle: c} // only the runtime's Publish feeds a bus
	q := c.q
	q.mu.Lock() // held at the top of each iteration
	for {
		for q.n == 0 || q.closed {
			if q.closed || isClosed(c.stop) {
				q.leave(c)
				q.mu.Unlock()
				return
			}
			q.idle = append(q.idle, c)
			q.mu.Unlock()
			select {
			case <-c.wake:
			case <-c.stop:
			}
			q.mu.Lock()
			q.removeIdle(c)
		}
		if isClosed(c.stop) {
			q.leave(c)
			q.mu.Unlock()
			return
		}
		c.m = q.pop()
		q.mu.Unlock()

		c.m.Attempt++
		c.requeue = true // unless the runtime settles it otherwise
		dm := new(driver.Message)
		*dm = c.m
		if dm.Headers != nil {
			dm.Headers = maps.Clone(dm.Headers) // each delivery has its own
		}
		c.dv.Message = dm
		c.h(c.ctx, &c.dv)
		c.dv.Message = nil
		q.mu.Lock()
		q.done(&c.m, c.requeue)
		c.m = driver.Message{}
	}
}

// The consumer is the driver.Settler of its current delivery.

// Ack drops the message.
func (c *consumer) Ack() error { c.requeue = false; return nil }

// Redeliver puts the message back at the tail of its queue; its next
// delivery counts one more attempt.
func (c *consumer) Redeliver(error) error { c.requeue = true; return nil }

// GiveBack puts the message back at the tail of its queue without counting
// the delivery.
func (c *consumer) GiveBack() error {
	c.m.Attempt--
	c.requeue = true
	return nil
}

// DeadLetter keeps the message in the bus's dead-letter log.
func (c *consumer) DeadLetter(reason string, cause error) error {
	c.dead.add(&c.m, c.q.group, reason, cause)
	c.requeue = false
	return nil
}
