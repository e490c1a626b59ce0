package memory

import (
	"context"
	"time"

	"github.com/distributer/distributer/driver"
	"github.com/distributer/distributer/internal/memory"
)

// Defaults and limits of the URL's query parameters.
const (
	// DefaultBuffer is the default buffer: how many messages a queue holds
	// (queued plus being handled) before Publish waits.
	DefaultBuffer = memory.DefaultBuffer
	// MaxBuffer is the largest buffer accepted.
	MaxBuffer = memory.MaxBuffer
)

// A bus keeps at most MaxDeadLetters dead letters, whose bodies total at
// most MaxDeadLetterBytes (the newest is always kept). When more arrive the
// oldest are discarded; DeadLetter.Seq numbers have gaps then, so a reader
// can tell.
const (
	MaxDeadLetters     = memory.MaxDeadLetters
	MaxDeadLetterBytes = memory.MaxDeadLetterBytes
)

// DeadLetter is a message that was dead-lettered: its handler failed on
// every allowed attempt (the runtime's max_attempts), rejected it, or it
// was invalid (see "Delivery policy" in package distributer).
type DeadLetter struct {
	// Seq numbers the dead letters of a bus from 1, in the order they were
	// dead-lettered.
	Seq uint64
	// Message is the message as last delivered: Attempt is the number of
	// delivery attempts made.
	Message driver.Message
	// Group is the subscriber group whose handler failed, "" for none.
	Group string
	// Reason says why, in the runtime's words: "failed 3 attempts, last
	// error: <the handler's error>", "rejected: <error>", ...
	Reason string
	// Err is the error behind Reason: the handler's last error, or what
	// the runtime found wrong.
	Err error
	// Time is when the message was dead-lettered.
	Time time.Time
}

// DeadLetters returns the dead letters kept by the bus named name ("" is the
// default bus of memory://), oldest first. A bus and its dead letters exist
// while a connection to it is open; DeadLetters of a bus that does not exist
// is nil.
func DeadLetters(name string) []DeadLetter { return convert(memory.DeadLetters(name)) }

// WaitDeadLetters waits until the bus named name has kept a dead letter with
// Seq greater than after, and returns all such dead letters, oldest first.
// It returns ctx's error if ctx ends first. While it waits it keeps the bus
// alive, so it may be called before the bus is opened. To follow a bus's
// dead letters, call it in a loop with after set to the last Seq seen.
func WaitDeadLetters(ctx context.Context, name string, after uint64) ([]DeadLetter, error) {
	dls, err := memory.WaitDeadLetters(ctx, name, after)
	return convert(dls), err
}

func convert(dls []memory.DeadLetter) []DeadLetter {
	if dls == nil {
		return nil
	}
	out := make([]DeadLetter, len(dls))
	for i, dl := range dls {
		out[i] = DeadLetter(dl)
	}
	return out
}
