package distributertest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/distributer/distributer/distributer"
)

// Closing a subscription cancels its handlers; a handler written the usual
// way then returns ctx.Err(). That failure is the close's, not the
// message's: over many closes, a group's messages come back to the next
// member with Attempt 1 every time, those handled as well as those waiting
// (a networked driver's prefetched deliveries), and nothing (group or
// fan-out) is ever dead-lettered.
func testCloseIsNotAnAttempt(t *testing.T, h *Harness) {
	groupBodies := []string{`{"n":"g1"}`, `{"n":"g2"}`, `{"n":"g3"}`}
	e := newEnv(t, h)
	d := e.open()
	started := make(chan distributer.Message, 2)
	handler := distributer.HandlerFunc(func(ctx context.Context, m *distributer.Message) error {
		started <- *m
		<-ctx.Done()
		return ctx.Err()
	})
	next := func(what string, i int) distributer.Message {
		t.Helper()
		select {
		case m := <-started:
			return m
		case <-time.After(h.Timeout):
			t.Fatalf("close %d: %s: no delivery within %v", i, what, h.Timeout)
			return distributer.Message{}
		}
	}
	ctx := e.ctx()
	for i := range h.CloseLoops {
		g, err := d.Subscribe(ctx, []string{"closing.group"}, handler, distributer.Group("g"))
		if err != nil {
			t.Fatalf("close %d: Subscribe: %v", i, err)
		}
		f, err := d.Subscribe(ctx, []string{"closing.fan"}, handler)
		if err != nil {
			t.Fatalf("close %d: Subscribe: %v", i, err)
		}
		if i == 0 { // one handled per close, the others wait (queued or prefetched)
			for _, b := range groupBodies {
				e.publish(d, "closing.group", b)
			}
		}
		e.publish(d, "closing.fan", fmt.Sprintf(`{"n":%d}`, i))
		for range 2 {
			if m := next("group member and fan-out subscriber", i); m.Attempt != 1 {
				t.Fatalf("close %d: %s %s delivered with Attempt %d, want 1: closing its subscriptions counted as attempts", i, m.Topic, m.Body, m.Attempt)
			}
		}
		if err := g.Close(); err != nil {
			t.Fatalf("close %d: group member's Close: %v", i, err)
		}
		if err := f.Close(); err != nil {
			t.Fatalf("close %d: fan-out Close: %v", i, err)
		}
		select {
		case dl := <-e.dl:
			t.Fatalf("close %d: %s %s dead-lettered (%q): closing must not dead-letter", i, dl.Topic, dl.Body, dl.Reason)
		default:
		}
	}
	// The group's messages are still there, for a member that handles them.
	r := newRecorder()
	e.subscribe(d, []string{"closing.group"}, r, distributer.Group("g"))
	got := r.waitN(t, h.Timeout, len(groupBodies))
	for _, m := range got {
		if m.Attempt != 1 {
			t.Errorf("after %d closes the group's message %s came with Attempt %d, want 1", h.CloseLoops, m.Body, m.Attempt)
		}
	}
	if b := bodies(got); !slices.Equal(slices.Sorted(slices.Values(b)), groupBodies) {
		t.Errorf("after %d closes the group's messages are %v, want %v", h.CloseLoops, b, groupBodies)
	}
	e.noDeadLetter()
}
