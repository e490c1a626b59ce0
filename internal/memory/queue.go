package memory

import (
	"context"
	"sync"

	"github.com/distributer/distributer/driver"
)

// queue is a bounded FIFO of messages with its consumers: one per fan-out
// subscription, or one per (bus, group) shared by the group's members.
//
// Capacity counts queued and in-flight messages (taken by a consumer, not
// yet acknowledged), so a failed message can always be put back.
type queue struct {
	group string // "" for a subscription's own queue
	cap   int

	mu       sync.Mutex
	buf      []driver.Message // ring; Attempt = deliveries made so far
	head, n  int
	inflight int
	idle     []*consumer   // consumers waiting for a message
	space    chan struct{} // closed when space frees up; nil when nobody waits
	closed   bool          // deleted: pushes are dropped, consumers leave

	patterns []string // bound patterns (group queues: the union of members')
}

func newQueue(group string, capacity int) *queue {
	return &queue{group: group, cap: capacity}
}

// push appends a copy of m, waiting while the queue is full until ctx is
// done or stop is closed. A closed queue drops the message: its
// subscription is gone, as if it had never matched.
func (q *queue) push(ctx context.Context, m *driver.Message, stop <-chan struct{}) error {
	q.mu.Lock()
	for q.n+q.inflight >= q.cap && !q.closed {
		if q.space == nil {
			q.space = make(chan struct{})
		}
		ch := q.space
		q.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-stop:
			return driver.ErrClosed
		}
		q.mu.Lock()
	}
	if q.closed {
		q.mu.Unlock()
		return nil
	}
	q.append(m)
	q.buf[q.tail()].Attempt = 0
	q.mu.Unlock()
	return nil
}

// append puts a copy of m at the tail and wakes a waiting consumer; the
// caller has checked that the queue has room. q.mu held.
func (q *queue) append(m *driver.Message) {
	if q.n == len(q.buf) {
		q.grow()
	}
	q.n++
	q.buf[q.tail()] = *m
	if c := q.takeIdle(); c != nil {
		c.signal()
	}
}

// tail is the index of the last message. q.mu held, q.n > 0.
func (q *queue) tail() int {
	i := q.head + q.n - 1
	if i >= len(q.buf) {
		i -= len(q.buf)
	}
	return i
}

// takeIdle removes and returns a waiting consumer, nil if none. q.mu held.
func (q *queue) takeIdle() *consumer {
	k := len(q.idle)
	if k == 0 {
		return nil
	}
	c := q.idle[k-1]
	q.idle[k-1] = nil
	q.idle = q.idle[:k-1]
	return c
}

// grow enlarges the ring (never beyond cap). q.mu held.
func (q *queue) grow() {
	size := min(max(16, 2*len(q.buf)), q.cap)
	buf := make([]driver.Message, size)
	k := copy(buf, q.buf[q.head:])
	copy(buf[k:], q.buf[:q.head])
	q.buf, q.head = buf, 0
}

// pop takes the first message and counts it in flight. q.mu held, q.n > 0.
func (q *queue) pop() driver.Message {
	m := q.buf[q.head]
	q.buf[q.head] = driver.Message{}
	q.head++
	if q.head == len(q.buf) {
		q.head = 0
	}
	q.n--
	q.inflight++
	return m
}

// done ends an in-flight delivery. If requeue, m goes back to the tail of
// the queue, behind the messages waiting (the runtime's policy for a retry
// and a give-back alike). q.mu held.
func (q *queue) done(m *driver.Message, requeue bool) {
	q.inflight--
	if requeue && !q.closed {
		q.append(m)
	}
	if q.space != nil && q.n+q.inflight < q.cap {
		close(q.space)
		q.space = nil
	}
}

// removeIdle removes c from the waiting consumers. q.mu held.
func (q *queue) removeIdle(c *consumer) {
	for i, x := range q.idle {
		if x == c {
			q.idle = append(q.idle[:i], q.idle[i+1:]...)
			return
		}
	}
}

// leave removes c from the waiting consumers for good. A signal that was
// meant for c may be lost with it, so if messages are waiting another
// waiting consumer is woken. q.mu held.
func (q *queue) leave(c *consumer) {
	q.removeIdle(c)
	if q.n > 0 {
		if o := q.takeIdle(); o != nil {
			o.signal()
		}
	}
}

// close deletes the queue: queued messages are dropped, blocked pushes
// return. q.mu held.
func (q *queue) close() {
	q.closed = true
	clear(q.buf)
	q.buf, q.head, q.n = nil, 0, 0
	if q.space != nil {
		close(q.space)
		q.space = nil
	}
	for _, c := range q.idle {
		c.signal()
	}
	q.idle = nil
}

func (q *queue) hasPattern(p string) bool {
	for _, x := range q.patterns {
		if x == p {
			return true
		}
	}
	return false
}
