package distributer_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/drivers/memory"
)

// stuckHandler ignores its context: it runs until release is closed. It
// reports each call on started and returns ret.
func stuckHandler(started chan<- *distributer.Message, release <-chan struct{}, returned chan<- struct{}, ret error) distributer.HandlerFunc {
	return func(ctx context.Context, m *distributer.Message) error {
		started <- m
		<-release
		returned <- struct{}{}
		return ret
	}
}

func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(wait):
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}

// Distributer.Close with handlers that ignore their context returns after
// the drain timeout (one for all subscriptions, which close at once) with a
// *DrainError naming every stuck subscription and no other; the group's
// message goes to another member, uncounted; the late handlers' results
// are ignored (nothing dead-lettered, nothing acknowledged twice); their
// goroutines end when they return.
func TestDistributerCloseDrainTimeout(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	u, bus := newURL("?max_attempts=2")
	const timeout = 300 * time.Millisecond
	ctx := context.Background()
	d, err := distributer.Open(ctx, u, distributer.WithDrainTimeout(timeout), distributer.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	other, err := distributer.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	started := make(chan *distributer.Message, 4)
	returned := make(chan struct{}, 4)
	release := make(chan struct{})
	if _, err := d.Subscribe(ctx, []string{"stuck.g"}, stuckHandler(started, release, returned, errors.New("late failure")), distributer.Group("g")); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Subscribe(ctx, []string{"stuck.f", "x.#"}, stuckHandler(started, release, returned, nil)); err != nil {
		t.Fatal(err)
	}
	polite := distributer.HandlerFunc(func(ctx context.Context, m *distributer.Message) error { <-ctx.Done(); return ctx.Err() })
	if _, err := d.Subscribe(ctx, []string{"polite"}, polite); err != nil {
		t.Fatal(err)
	}
	for _, topic := range []string{"stuck.g", "stuck.f", "polite"} {
		if err := d.Publish(ctx, topic, []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	recv(t, started, "first stuck handler")
	recv(t, started, "second stuck handler")

	t0 := time.Now()
	err = d.Close()
	if el := time.Since(t0); el < timeout || el > timeout+2*time.Second {
		t.Errorf("Close took %v, want the drain timeout %v (plus a little)", el, timeout)
	}
	var de *distributer.DrainError
	if !errors.Is(err, distributer.ErrDrainTimeout) || !errors.As(err, &de) {
		t.Fatalf("Close = %v, want a *DrainError", err)
	}
	if de.Timeout != timeout || len(de.Subscriptions) != 2 {
		t.Fatalf("DrainError = %+v, want timeout %v and the two stuck subscriptions", de, timeout)
	}
	for _, want := range []string{"stuck.g", `group "g"`, "stuck.f,x.#", "300ms"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if strings.Contains(err.Error(), "polite") {
		t.Errorf("error %q names a subscription whose handler returned", err)
	}
	if err := d.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}

	// The group's message was handed back uncounted: another member gets it.
	got := make(chan *distributer.Message, 1)
	if _, err := other.Subscribe(ctx, []string{"stuck.g"}, distributer.HandlerFunc(func(ctx context.Context, m *distributer.Message) error {
		got <- m
		return nil
	}), distributer.Group("g")); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, got, "the group's message at another member"); m.Attempt != 1 || m.Topic != "stuck.g" {
		t.Errorf("redelivered %s attempt %d, want stuck.g attempt 1", m.Topic, m.Attempt)
	}

	close(release)
	recv(t, returned, "first handler to return")
	recv(t, returned, "second handler to return")
	time.Sleep(50 * time.Millisecond)
	if dls := memory.DeadLetters(bus); len(dls) != 0 {
		t.Errorf("dead letters after the late handlers returned: %+v", dls)
	}
	select {
	case m := <-got:
		t.Errorf("delivered again: %s attempt %d", m.Topic, m.Attempt)
	default:
	}
}

// Subscription.Close is bounded the same way and returns the same error on
// later calls; a drain timeout of 0 waits for the handler however long.
func TestSubscriptionCloseDrainTimeout(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx := context.Background()
	for _, timeout := range []time.Duration{100 * time.Millisecond, 0} {
		u, _ := newURL("")
		d, err := distributer.Open(ctx, u, distributer.WithDrainTimeout(timeout))
		if err != nil {
			t.Fatal(err)
		}
		started := make(chan *distributer.Message, 1)
		returned := make(chan struct{}, 1)
		release := make(chan struct{})
		s, err := d.Subscribe(ctx, []string{"a.b"}, stuckHandler(started, release, returned, nil))
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Publish(ctx, "a.b", []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
		recv(t, started, "handler")
		closed := make(chan error, 1)
		go func() { closed <- s.Close() }()
		if timeout == 0 {
			select {
			case err := <-closed:
				t.Fatalf("with no drain timeout, Close returned %v before the handler", err)
			case <-time.After(300 * time.Millisecond):
			}
			close(release)
			if err := recv(t, closed, "Close"); err != nil {
				t.Errorf("Close = %v", err)
			}
		} else {
			err := recv(t, closed, "Close")
			var de *distributer.DrainError
			if !errors.As(err, &de) || len(de.Subscriptions) != 1 || de.Subscriptions[0].Handlers != 1 || de.Subscriptions[0].Patterns[0] != "a.b" {
				t.Fatalf("Close = %v, want a *DrainError naming a.b", err)
			}
			if again := s.Close(); again != err {
				t.Errorf("second Close = %v, want the first's error", again)
			}
			close(release)
		}
		recv(t, returned, "handler to return")
		if err := d.Close(); err != nil {
			t.Errorf("Distributer.Close = %v", err)
		}
	}
}
