package distributertest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/distributer/distributer"
)

// The delivery policy (see "Delivery policy" in package distributer): the
// runtime decides, for every driver, what becomes of a delivery; these
// sub-tests check the decisions that the older ones (RedeliveryThenDeadLetter,
// Reject, Panic, DeadLetterLogged, Hostile/CloseIsNotAnAttempt, ...) do
// not.

// A message whose handler fails goes back behind the messages already
// waiting in its queue: a failing message never holds up the others. m1
// (failing for good), m2 and m3 waiting behind it are delivered m1 m2 m3
// m1 m1 ..., attempts 1 1 1 2 3 ..., until m1 is dead-lettered at
// MaxAttempts; on fan-out and group subscriptions.
func testRetryBehindWaiting(t *testing.T, h *Harness) {
	for _, group := range []string{"", "workers"} {
		t.Run("group="+group, func(t *testing.T) {
			e := newEnv(t, h)
			d := e.open()
			gate := make(chan struct{})
			r := newRecorder()
			r.before = func(ctx context.Context, m *distributer.Message) error {
				if m.ID != "m1" {
					return nil
				}
				if m.Attempt == 1 { // fails once m2 and m3 wait behind it
					select {
					case <-gate:
					case <-ctx.Done():
						return ctx.Err()
					}
				}
				return fmt.Errorf("m1 fails at attempt %d", m.Attempt)
			}
			e.subscribe(d, []string{"retry.*"}, r, distributer.Group(group))
			e.publish(d, "retry.a", `{"n":1}`, distributer.WithID("m1"))
			r.waitN(t, h.Timeout, 1)
			e.publish(d, "retry.a", `{"n":2}`, distributer.WithID("m2"))
			e.publish(d, "retry.a", `{"n":3}`, distributer.WithID("m3"))
			close(gate)

			checkDeadLetter(t, e.deadLetter(), "retry.a", `{"n":1}`, "m1", "m1 fails", h.MaxAttempts)
			r.waitN(t, h.Timeout, h.MaxAttempts+2)
			time.Sleep(h.Quiet)
			got := r.all()
			wantIDs, wantAttempts := []string{"m1", "m2", "m3"}, []int{1, 1, 1}
			for a := 2; a <= h.MaxAttempts; a++ {
				wantIDs, wantAttempts = append(wantIDs, "m1"), append(wantAttempts, a)
			}
			if ids := ids(got); !slices.Equal(ids, wantIDs) || !slices.Equal(attempts(got), wantAttempts) {
				t.Errorf("deliveries %v attempts %v, want %v attempts %v: a retry goes behind the messages waiting",
					ids, attempts(got), wantIDs, wantAttempts)
			}
			e.noDeadLetter()
		})
	}
}

func ids(msgs []distributer.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.ID
	}
	return out
}

// A handler that rejects its message while its subscription closes
// dead-letters it: a rejection is the message's fault whenever it comes;
// only other failures are the close's.
func testRejectWhileClosing(t *testing.T, h *Harness) {
	e := newEnv(t, h)
	d := e.open()
	started := make(chan struct{}, 10)
	s := e.subscribe(d, []string{"rc.*"}, distributer.HandlerFunc(func(ctx context.Context, m *distributer.Message) error {
		started <- struct{}{}
		<-ctx.Done()
		return distributer.Reject(fmt.Errorf("refused while closing: %w", ctx.Err()))
	}), distributer.Group("workers"))
	e.publish(d, "rc.x", `{"rc":1}`, distributer.WithID("rc-1"))
	waitSignal(t, h.Timeout, started, "handler called")
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	checkDeadLetter(t, e.deadLetter(), "rc.x", `{"rc":1}`, "rc-1", "refused while closing", 1)
	e.noDeadLetter()
	if n := len(started); n != 0 {
		t.Errorf("the handler was called %d more times", n)
	}
}

// Closing is never an attempt, not even the last one: a message whose
// handler failed MaxAttempts-1 times, and whose last attempt is cut short
// by a close, is given back, not dead-lettered; the group's next member
// gets it at attempt MaxAttempts, and its failure then dead-letters it.
func testCloseAtLastAttempt(t *testing.T, h *Harness) {
	e := newEnv(t, h)
	d := e.open()
	last := make(chan struct{}, 10)
	s := e.subscribe(d, []string{"la.*"}, distributer.HandlerFunc(func(ctx context.Context, m *distributer.Message) error {
		if m.Attempt < h.MaxAttempts {
			return fmt.Errorf("not yet, attempt %d", m.Attempt)
		}
		last <- struct{}{}
		<-ctx.Done()
		return ctx.Err()
	}), distributer.Group("workers"))
	e.publish(d, "la.x", `{"la":1}`, distributer.WithID("la-1"))
	waitSignal(t, h.Timeout, last, fmt.Sprintf("attempt %d reached", h.MaxAttempts))
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	e.noDeadLetter()
	r := newRecorder()
	r.before = func(context.Context, *distributer.Message) error { return errors.New("fails for good") }
	e.subscribe(d, []string{"la.*"}, r, distributer.Group("workers"))
	checkDeadLetter(t, e.deadLetter(), "la.x", `{"la":1}`, "la-1", "fails for good", h.MaxAttempts)
	if got := r.all(); len(got) != 1 || got[0].Attempt != h.MaxAttempts {
		t.Errorf("the next member got %s, want the message once, at attempt %d", summary(got), h.MaxAttempts)
	}
}

// A body that is not JSON, from a publisher that does not check (another
// client of the broker), is dead-lettered at once, before any handler sees
// it, logged once at Warn; the valid messages around it, foreign or not,
// are delivered.
func testNotJSON(t *testing.T, h *Harness) {
	for _, group := range []string{"", "workers"} {
		t.Run("group="+group, func(t *testing.T) {
			e, d, r, logs := subscribeLogged(t, h, "fj.*", group)
			pub := h.Capabilities.PublishForeign
			pub(t, e.url, ForeignMessage{Topic: "fj.bad", ID: "not-json", Body: []byte("{nope")})
			pub(t, e.url, ForeignMessage{Topic: "fj.foreign", ID: "foreign-ok", Body: []byte(`{"foreign":true}`)})
			e.publish(d, "fj.ok", `{}`)
			got := r.waitTopic(t, h.Timeout, "fj.ok")
			if ts := topics(got); !slices.Equal(ts, []string{"fj.foreign", "fj.ok"}) {
				t.Errorf("handled %s, want fj.foreign then fj.ok: a body that is not JSON must not reach the handler", summary(got))
			}
			if got[0].ID != "foreign-ok" || got[0].Attempt != 1 || string(got[0].Body) != `{"foreign":true}` {
				t.Errorf("foreign message delivered as %s id %q", summary(got[:1]), got[0].ID)
			}
			checkDeadLetter(t, e.deadLetter(), "fj.bad", "{nope", "not-json", "not valid JSON", 1)
			if rec := logs.wait(t, h.Timeout, "not-json"); rec.level != slog.LevelWarn {
				t.Errorf("logged at %v, want WARN", rec.level)
			}
			e.noDeadLetter()
			checkLoggedOnce(t, logs, "not-json")
		})
	}
}

// A delivery the driver cannot read is dead-lettered at once, with a reason
// that starts "undecodable ", without reaching the handler, and logged once
// at Error; the messages behind it are delivered.
func testUndecodable(t *testing.T, h *Harness) {
	for _, group := range []string{"", "workers"} {
		t.Run("group="+group, func(t *testing.T) {
			e, d, r, logs := subscribeLogged(t, h, "ud.*", group)
			h.Capabilities.PublishUndecodable(t, e.url, "ud.bad", "undecodable-1")
			e.publish(d, "ud.ok", `{}`)
			got := r.waitTopic(t, h.Timeout, "ud.ok")
			if ts := topics(got); !slices.Equal(ts, []string{"ud.ok"}) {
				t.Errorf("handled %s, want only ud.ok", summary(got))
			}
			dl := e.deadLetter()
			if dl.ID != "undecodable-1" || dl.Topic != "ud.bad" || (dl.Reason != "" && !strings.HasPrefix(dl.Reason, "undecodable ")) ||
				(dl.Attempt != 0 && dl.Attempt != 1) {
				t.Errorf("dead letter id %q topic %q reason %q attempt %d, want undecodable-1 on ud.bad, reason \"undecodable ...\", attempt 1",
					dl.ID, dl.Topic, dl.Reason, dl.Attempt)
			}
			rec := logs.wait(t, h.Timeout, "undecodable-1")
			if rec.level != slog.LevelError || !strings.HasPrefix(rec.attrs["reason"], "undecodable ") {
				t.Errorf("logged at %v with reason %q, want ERROR, \"undecodable ...\"", rec.level, rec.attrs["reason"])
			}
			e.noDeadLetter()
			checkLoggedOnce(t, logs, "undecodable-1")
		})
	}
}

// subscribeLogged opens a Distributer that logs to a capture, in a fresh
// namespace, and subscribes a recorder to pattern in group.
func subscribeLogged(t *testing.T, h *Harness, pattern, group string) (*env, *distributer.Distributer, *recorder, *logCapture) {
	t.Helper()
	e := newEnv(t, h)
	logs := newLogCapture()
	d := e.openWith(distributer.WithLogger(slog.New(logs)))
	r := newRecorder()
	e.subscribe(d, []string{pattern}, r, distributer.Group(group))
	return e, d, r, logs
}

// checkLoggedOnce checks that the message id has exactly one dead-letter
// record.
func checkLoggedOnce(t *testing.T, logs *logCapture, id string) {
	t.Helper()
	n := 0
	for _, rec := range logs.all() {
		if rec.msg == deadLetterLog && rec.attrs["id"] == id {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%s: %d dead-letter records, want 1", id, n)
	}
}
