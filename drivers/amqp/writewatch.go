package amqp

import (
	"sync"
	"sync/atomic"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"
)

// writeGrace is how long a write into the socket may go on after the
// publisher's context ended. A write blocks when the broker stops reading
// (a connection blocked by a resource alarm that began after the wait in
// Publish, or a hung node) and the socket's buffers are full; amqp091-go's
// writes take no context, so the session's socket is then closed to end it
// (the supervisor reconnects).
const writeGrace = 200 * time.Millisecond

// watchTick is how often the watchdog of a publisher channel looks at its
// writes: a write is cut at most writeGrace + 2*watchTick after its
// context ended.
const watchTick = writeGrace / 4

// watchIdle is how many ticks without a write the watchdog waits before it
// parks until the next write.
const watchIdle = 20

// writeWatch is the watchdog of a publisher channel's writes: a goroutine
// (watch) that closes the session when a write goes on writeGrace after its
// context ended. Writes register with add and remove, which take a mutex of
// the channel and allocate nothing: the writes' own contexts, which
// concurrent publishers often share, are not touched.
type writeWatch struct {
	mu     sync.Mutex
	writes watchedWrite  // sentinel of a circular list
	parked atomic.Bool   // the goroutine waits for kick
	kick   chan struct{} // capacity 1
}

// watchedWrite is a write in progress, as the watchdog sees it. It lives in
// the writer's sending.
type watchedWrite struct {
	done       <-chan struct{} // the writer's ctx.Done()
	ended      time.Time       // when the watchdog first saw done closed
	prev, next *watchedWrite
}

func (ww *writeWatch) init() {
	ww.writes.prev, ww.writes.next = &ww.writes, &ww.writes
	ww.kick = make(chan struct{}, 1)
}

// add registers w, a write bounded by done, and wakes the watchdog if it
// parked.
func (ww *writeWatch) add(w *watchedWrite, done <-chan struct{}) {
	w.done, w.ended = done, time.Time{}
	ww.mu.Lock()
	w.prev, w.next = &ww.writes, ww.writes.next
	w.next.prev, ww.writes.next = w, w
	ww.mu.Unlock()
	if ww.parked.Load() && ww.parked.CompareAndSwap(true, false) {
		select {
		case ww.kick <- struct{}{}:
		default:
		}
	}
}

// remove unregisters w, whose write is over.
func (ww *writeWatch) remove(w *watchedWrite) {
	ww.mu.Lock()
	w.prev.next, w.next.prev = w.next, w.prev
	w.prev, w.next = nil, nil
	ww.mu.Unlock()
}

// check reports whether writes are in progress, and whether one has gone
// on writeGrace after its context ended.
func (ww *writeWatch) check(now time.Time) (busy, stuck bool) {
	ww.mu.Lock()
	defer ww.mu.Unlock()
	for w := ww.writes.next; w != &ww.writes; w = w.next {
		busy = true
		select {
		case <-w.done:
		default:
			continue
		}
		if w.ended.IsZero() {
			w.ended = now
		} else if now.Sub(w.ended) >= writeGrace {
			stuck = true
		}
	}
	return busy, stuck
}

// watch is the watchdog goroutine of publisher channel ch of session s. It
// returns when ch is closed (with the connection, or replaced).
func (ww *writeWatch) watch(s *session, closed <-chan *amqp091.Error) {
	defer s.c.wg.Done()
	t := time.NewTicker(watchTick)
	defer t.Stop()
	idle := 0
	for {
		select {
		case <-closed:
			return
		case now := <-t.C:
			busy, stuck := ww.check(now)
			if stuck {
				s.c.log.Warn("amqp: publish still writing after its context ended, closing the connection", "node", s.addr)
				s.shutdown()
			}
			if busy {
				idle = 0
				continue
			}
			if idle++; idle < watchIdle {
				continue
			}
			// Nothing written for a while: park until the next write. A
			// write that registered before parked was set is seen here.
			ww.parked.Store(true)
			if busy, _ := ww.check(now); busy {
				ww.parked.Store(false)
				idle = 0
				continue
			}
			t.Stop()
			select {
			case <-closed:
				return
			case <-ww.kick:
			}
			t.Reset(watchTick)
			idle = 0
		}
	}
}
