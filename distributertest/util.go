package distributertest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/distributer/distributer"
)

// env is one sub-test's namespace.
type env struct {
	t   *testing.T
	h   *Harness
	url string
	dl  <-chan DeadLetter
}

func newEnv(t *testing.T, h *Harness) *env {
	t.Helper()
	url := h.NewURL(t)
	return &env{t: t, h: h, url: url, dl: h.DeadLetters(t, url)}
}

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// open opens a Distributer on the env's URL, closed at the end of the test.
func (e *env) open() *distributer.Distributer {
	e.t.Helper()
	opts := append([]distributer.Option{distributer.WithLogger(discard)}, e.h.Options...)
	ctx, cancel := context.WithTimeout(context.Background(), e.h.Timeout)
	defer cancel()
	d, err := distributer.Open(ctx, e.url, opts...)
	if err != nil {
		e.t.Fatalf("Open(%q): %v", e.url, err)
	}
	e.t.Cleanup(func() { _ = d.Close() })
	return d
}

func (e *env) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), e.h.Timeout)
	e.t.Cleanup(cancel)
	return ctx
}

func (e *env) subscribe(d *distributer.Distributer, patterns []string, h distributer.Handler, opts ...distributer.SubscribeOption) *distributer.Subscription {
	e.t.Helper()
	s, err := d.Subscribe(e.ctx(), patterns, h, opts...)
	if err != nil {
		e.t.Fatalf("Subscribe(%q): %v", patterns, err)
	}
	e.t.Cleanup(func() { _ = s.Close() })
	return s
}

func (e *env) publish(d *distributer.Distributer, topic string, body string, opts ...distributer.PublishOption) {
	e.t.Helper()
	if err := d.Publish(e.ctx(), topic, []byte(body), opts...); err != nil {
		e.t.Fatalf("Publish(%q, %s): %v", topic, body, err)
	}
}

// deadLetter waits for the next dead letter.
func (e *env) deadLetter() DeadLetter {
	e.t.Helper()
	select {
	case dl := <-e.dl:
		return dl
	case <-time.After(e.h.Timeout):
		e.t.Fatalf("no dead letter within %v", e.h.Timeout)
		return DeadLetter{}
	}
}

// noDeadLetter checks that no dead letter arrives within Quiet.
func (e *env) noDeadLetter() {
	e.t.Helper()
	select {
	case dl := <-e.dl:
		e.t.Errorf("unexpected dead letter: topic %q body %s reason %q", dl.Topic, dl.Body, dl.Reason)
	case <-time.After(e.h.Quiet):
	}
}

// recorder is a Handler that keeps a copy of every delivery.
type recorder struct {
	mu      sync.Mutex
	msgs    []distributer.Message
	changed chan struct{}
	// before, when set, is called after the delivery is recorded; Handle
	// returns its error (or panics with it).
	before func(ctx context.Context, m *distributer.Message) error
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{})} }

func (r *recorder) Handle(ctx context.Context, m *distributer.Message) error {
	c := *m
	c.Body = slices.Clone(m.Body)
	r.mu.Lock()
	r.msgs = append(r.msgs, c)
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
	if r.before != nil {
		return r.before(ctx, m)
	}
	return nil
}

// all returns the deliveries so far.
func (r *recorder) all() []distributer.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.msgs)
}

// waitFor waits until cond holds for the deliveries so far, and returns
// them. what describes the condition for the failure message.
func (r *recorder) waitFor(t *testing.T, timeout time.Duration, what string, cond func([]distributer.Message) bool) []distributer.Message {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		msgs, ch := r.msgs, r.changed
		ok := cond(msgs)
		r.mu.Unlock()
		if ok {
			return slices.Clone(msgs)
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("timed out after %v waiting for %s; got %d deliveries: %s", timeout, what, len(msgs), summary(msgs))
			return nil
		}
	}
}

// waitN waits until at least n deliveries were recorded.
func (r *recorder) waitN(t *testing.T, timeout time.Duration, n int) []distributer.Message {
	t.Helper()
	return r.waitFor(t, timeout, fmt.Sprintf("%d deliveries", n), func(m []distributer.Message) bool { return len(m) >= n })
}

// waitTopic waits until a message with topic was recorded.
func (r *recorder) waitTopic(t *testing.T, timeout time.Duration, topic string) []distributer.Message {
	t.Helper()
	return r.waitFor(t, timeout, fmt.Sprintf("a message on %q", topic), func(ms []distributer.Message) bool {
		return slices.ContainsFunc(ms, func(m distributer.Message) bool { return m.Topic == topic })
	})
}

func summary(msgs []distributer.Message) string {
	const max = 10
	s := ""
	for i, m := range msgs {
		if i == max {
			s += fmt.Sprintf(" ... (%d more)", len(msgs)-max)
			break
		}
		body := string(m.Body)
		if len(body) > 40 {
			body = body[:40] + "..."
		}
		s += fmt.Sprintf("[%s %s attempt %d] ", m.Topic, body, m.Attempt)
	}
	return s
}

func topics(msgs []distributer.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.Topic
	}
	return out
}

func bodies(msgs []distributer.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = string(m.Body)
	}
	return out
}

// waitDone waits for s to end.
func waitDone(t *testing.T, timeout time.Duration, s *distributer.Subscription, what string) {
	t.Helper()
	select {
	case <-s.Done():
	case <-time.After(timeout):
		t.Fatalf("%s: subscription not done within %v", what, timeout)
	}
}

// waitSignal waits for a value on ch, failing the test after timeout.
func waitSignal[T any](t *testing.T, timeout time.Duration, ch <-chan T, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(timeout):
		t.Fatalf("%s: not within %v", what, timeout)
	}
}
