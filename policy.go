package distributer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"

	"github.com/distributer/distributer/driver"
)

// This file is the delivery policy: what becomes of every delivery, decided
// here once for every driver (see "Delivery policy" in the package
// documentation). Drivers count attempts and offer the primitives
// (driver.Settler); they decide nothing.

// receive is the driver.Handler of a subscription: it checks the delivery,
// runs the application's handler and settles the delivery with one of the
// driver's primitives.
func (s *Subscription) receive(ctx context.Context, dv *driver.Delivery) {
	m := dv.Message
	if dv.Undecodable != "" {
		s.deadLetter(dv, "undecodable "+dv.Undecodable, nil, true)
		return
	}
	if s.closing.Load() {
		// Handed over while closing (a networked driver's prefetched
		// deliveries): not an attempt, for another member.
		_ = dv.Settle.GiveBack()
		return
	}
	d := s.d
	if err := d.checkSize(m, true); err != nil { // before anything reads the body
		s.refuse(ctx, dv, err)
		return
	}
	if !dv.BodyChecked && !validJSON(m.Body) {
		s.deadLetter(dv, "body is not valid JSON", ErrInvalidJSON, false)
		return
	}
	if d.validateRecv {
		if err := d.validateReceived(m); err != nil {
			s.refuse(ctx, dv, err)
			return
		}
	}
	err := s.call(ctx, m)
	switch {
	case err == nil:
		_ = dv.Settle.Ack()
	case errors.Is(err, ErrInvalidMessage):
		s.refuse(ctx, dv, err)
	case errors.Is(err, ErrRejected):
		s.deadLetter(dv, "rejected: "+err.Error(), err, false)
	case s.closing.Load():
		// Close stopped the subscription and cancelled the handler (or
		// gave up on it at the drain timeout): the failure is the close's,
		// not the message's.
		_ = dv.Settle.GiveBack()
	case m.Attempt >= d.maxAttempts:
		s.deadLetter(dv, fmt.Sprintf("failed %d attempts, last error: %v", m.Attempt, err), err, false)
	default:
		if rerr := dv.Settle.Redeliver(err); errors.Is(rerr, driver.ErrCannotRedeliver) {
			s.deadLetter(dv, fmt.Sprintf("%v; last error: %v", rerr, err), err, false)
		}
	}
}

// refuse dead-letters an invalid delivery (too large, failing validation,
// or declared invalid by the handler) after reporting it to OnInvalid.
func (s *Subscription) refuse(ctx context.Context, dv *driver.Delivery, err error) {
	if f := s.d.opts.onInvalid; f != nil {
		f(ctx, dv.Message, err)
	}
	if !errors.Is(err, ErrRejected) {
		err = Reject(err)
	}
	s.deadLetter(dv, "rejected: "+err.Error(), err, false)
}

// call runs the application's handler on m, on a runner goroutine when
// Close is bounded by a drain timeout (see drain).
func (s *Subscription) call(ctx context.Context, m *Message) error {
	if s.drain != nil {
		return s.drain.handle(ctx, m)
	}
	return s.run(ctx, m)
}

// run calls the application's handler, turning a panic into a *PanicError.
func (s *Subscription) run(ctx context.Context, m *Message) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Value: r, Stack: debug.Stack()}
			s.d.opts.logger.Error("distributer: handler panicked", "topic", m.Topic, "id", m.ID, "attempt", m.Attempt, "panic", r)
		}
	}()
	return s.h.Handle(ctx, m)
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

// maxLoggedReason bounds the reason of a logged dead letter, in bytes.
const maxLoggedReason = 1024

// deadLetter dead-letters a delivery and, once the driver has it in its
// dead-letter store, logs it: the one place where dead letters are logged,
// whatever the driver, at Warn (at Error when the driver could not read
// the delivery). The record names the message (topic, id, attempt), where
// it was (group, and the driver's queue when it names one) and why; never
// its body or headers.
func (s *Subscription) deadLetter(dv *driver.Delivery, reason string, cause error, undecodable bool) {
	if dv.Settle.DeadLetter(reason, cause) != nil {
		return // still in its queue: it comes back
	}
	m := dv.Message
	if len(reason) > maxLoggedReason {
		reason = strings.ToValidUTF8(reason[:maxLoggedReason], "") + "..."
	}
	attrs := make([]slog.Attr, 0, 6)
	attrs = append(attrs, slog.String("topic", m.Topic), slog.String("group", s.group))
	if dv.Queue != "" {
		attrs = append(attrs, slog.String("queue", dv.Queue))
	}
	attrs = append(attrs, slog.String("id", m.ID), slog.Int("attempt", m.Attempt), slog.String("reason", reason))
	level := slog.LevelWarn
	if undecodable {
		level = slog.LevelError
	}
	s.d.opts.logger.LogAttrs(context.Background(), level, "distributer: message dead-lettered", attrs...)
}
