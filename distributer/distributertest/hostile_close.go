package distributertest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/distributer/distributer/distributer"
)

// Closing a subscription cancels its handlers; a handler written the usual
// way then returns ctx.Err(). That failure is the close's, not the
// message's: over many closes, a group's message comes back to the next
// member with Attempt 1 every time, and nothing (group or fan-out) is ever
// dead-lettered.
func testCloseIsNotAnAttempt(t *testing.T, h *Harness) {
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
		if i == 0 {
			e.publish(d, "closing.group", `{"n":"group"}`)
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
	// The group's message is still there, for a member that handles it.
	r := newRecorder()
	e.subscribe(d, []string{"closing.group"}, r, distributer.Group("g"))
	if got := r.waitN(t, h.Timeout, 1); got[0].Attempt != 1 {
		t.Errorf("after %d closes the group's message came with Attempt %d, want 1", h.CloseLoops, got[0].Attempt)
	}
	e.noDeadLetter()
}
