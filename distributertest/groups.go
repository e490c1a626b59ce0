package distributertest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/typed"
)

// The group trap: the members of a group share one queue, so a typed
// subscription in a group that another subscription of the same
// Distributer binds to other topics would be handed their messages and
// dead-letter them. Subscribe refuses it (ErrGroupShared), whether the
// other is typed or not, open or closed, and binds nothing; one
// subscription to all of the topics (typed.Router) is the way, and members
// with the same topics are fine.
func testGroupShared(t *testing.T, h *Harness) {
	e := newEnv(t, h)
	s, err := typed.Compile(map[string]string{"any.json": `{"type": "object"}`},
		map[string]string{"inv.created": "any.json", "ord.placed": "any.json"})
	if err != nil {
		t.Fatal(err)
	}
	invoices := typed.NewTopic[map[string]any](s, "inv.created")
	orders := typed.NewTopic[map[string]any](s, "ord.placed")
	got := newRecorder()
	handle := func(_ context.Context, _ map[string]any, m *distributer.Message) error {
		return got.Handle(context.Background(), m)
	}
	d := e.open()
	ctx := e.ctx()

	inv1, err := invoices.Subscribe(ctx, d, typed.HandlerFunc[map[string]any](handle), distributer.Group("g"))
	if err != nil {
		t.Fatal(err)
	}
	inv2, err := invoices.Subscribe(ctx, d, typed.HandlerFunc[map[string]any](handle), distributer.Group("g"))
	if err != nil {
		t.Fatalf("a second member with the same topic: %v", err)
	}
	refused := func(what string, err error) {
		t.Helper()
		var ge *distributer.GroupSharedError
		switch {
		case !errors.Is(err, distributer.ErrGroupShared) || !errors.As(err, &ge):
			t.Errorf("%s: err = %v, want a *GroupSharedError (ErrGroupShared)", what, err)
		case ge.Group != "g" || !slices.Equal(ge.Other, []string{"inv.created"}):
			t.Errorf("%s: %+v, want group g, other [inv.created]", what, ge)
		case !strings.Contains(err.Error(), "typed.Router"):
			t.Errorf("%s: the error does not point to the fix: %v", what, err)
		}
	}
	_, err = orders.Subscribe(ctx, d, typed.HandlerFunc[map[string]any](handle), distributer.Group("g"))
	refused("typed subscription to another topic", err)
	_, err = s.Subscribe(ctx, d, []string{"ord.placed"}, got, distributer.Group("g"))
	refused("Schemas.Subscribe to another topic", err)
	_, err = d.Subscribe(ctx, []string{"ord.#"}, got, distributer.Group("g"))
	refused("untyped subscription to another pattern", err)

	// Nothing of the refused subscriptions was bound: the order goes
	// nowhere, nothing is dead-lettered, invoices are handled.
	e.publish(d, "ord.placed", `{}`)
	e.publish(d, "inv.created", `{}`)
	got.waitTopic(t, h.Timeout, "inv.created")
	e.noDeadLetter()
	if ts := topics(got.all()); !slices.Equal(ts, []string{"inv.created"}) {
		t.Errorf("group g handled %v, want [inv.created]", ts)
	}

	// The group's queue keeps the bindings of members that left.
	inv1.Close()
	inv2.Close()
	_, err = orders.Subscribe(ctx, d, typed.HandlerFunc[map[string]any](handle), distributer.Group("g"))
	refused("typed subscription to another topic after the members left", err)

	// The fix: one subscription to both topics; members with the same
	// topics share the work.
	r := typed.NewRouter()
	typed.Route(r, invoices, typed.HandlerFunc[map[string]any](handle))
	typed.Route(r, orders, typed.HandlerFunc[map[string]any](handle))
	for range 2 {
		sub, err := r.Subscribe(ctx, d, distributer.Group("workers"))
		if err != nil {
			t.Fatalf("Router members: %v", err)
		}
		e.t.Cleanup(func() { _ = sub.Close() })
	}
	e.publish(d, "ord.placed", `{"n":1}`)
	e.publish(d, "inv.created", `{"n":2}`)
	got.waitFor(t, h.Timeout, "both topics through the Router", func(ms []distributer.Message) bool { return len(ms) == 3 })
	e.noDeadLetter()
}
