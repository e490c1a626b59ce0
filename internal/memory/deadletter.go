package memory

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/distributer/distributer/driver"
)

// A bus keeps at most MaxDeadLetters dead letters, whose bodies total at
// most MaxDeadLetterBytes (the newest is always kept). When more arrive the
// oldest are discarded; DeadLetter.Seq numbers have gaps then.
const (
	MaxDeadLetters     = 1000
	MaxDeadLetterBytes = 64 << 20
)

// DeadLetter is a message that was dead-lettered. Its fields are those of
// drivers/memory.DeadLetter, which documents them and converts from it.
type DeadLetter struct {
	// Seq numbers the dead letters of a bus from 1, in the order they were
	// dead-lettered.
	Seq uint64
	// Message is the message as last delivered: Attempt is the number of
	// delivery attempts made.
	Message driver.Message
	// Group is the subscriber group whose handler failed, "" for none.
	Group string
	// Reason says why, in the runtime's words ("failed 3 attempts, last
	// error: ...", "rejected: ...").
	Reason string
	// Err is the error behind Reason (the handler's last error, or what
	// the runtime found wrong).
	Err error
	// Time is when the message was dead-lettered.
	Time time.Time
}

// deadLetters is a bus's bounded log of dead letters.
type deadLetters struct {
	mu      sync.Mutex
	log     []DeadLetter // oldest first, at most MaxDeadLetters
	bytes   int          // total body size in log
	seq     uint64
	changed chan struct{} // closed and replaced on every add
}

func (d *deadLetters) add(m *driver.Message, group, reason string, err error) {
	if err == nil {
		err = errors.New(reason)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.seq++
	drop := 0
	for n := len(m.Body); drop < len(d.log) && (len(d.log)-drop >= MaxDeadLetters || d.bytes+n > MaxDeadLetterBytes); drop++ {
		d.bytes -= len(d.log[drop].Message.Body)
	}
	if drop > 0 {
		k := copy(d.log, d.log[drop:])
		clear(d.log[k:])
		d.log = d.log[:k]
	}
	d.bytes += len(m.Body)
	d.log = append(d.log, DeadLetter{Seq: d.seq, Message: *m, Group: group, Reason: reason, Err: err, Time: time.Now()})
	close(d.changed)
	d.changed = make(chan struct{})
}

// since returns the dead letters with Seq > after, and a channel closed at
// the next add.
func (d *deadLetters) since(after uint64) ([]DeadLetter, <-chan struct{}) {
	d.mu.Lock()
	defer d.mu.Unlock()
	i, _ := slices.BinarySearchFunc(d.log, after+1, func(dl DeadLetter, s uint64) int {
		switch {
		case dl.Seq < s:
			return -1
		case dl.Seq > s:
			return 1
		}
		return 0
	})
	return slices.Clone(d.log[i:]), d.changed
}

// DeadLetters returns the dead letters kept by the bus named name, oldest
// first; nil when the bus does not exist.
func DeadLetters(name string) []DeadLetter {
	b := lookupBus(name)
	if b == nil {
		return nil
	}
	dls, _ := b.dead.since(0)
	return dls
}

// WaitDeadLetters waits until the bus named name has kept a dead letter with
// Seq greater than after and returns them, or ctx's error. It keeps the bus
// alive while it waits.
func WaitDeadLetters(ctx context.Context, name string, after uint64) ([]DeadLetter, error) {
	b := acquire(name)
	defer b.release()
	for {
		dls, changed := b.dead.since(after)
		if len(dls) > 0 {
			return dls, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
