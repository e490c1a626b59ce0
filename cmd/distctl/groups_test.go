package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/distributer/distributer"
)

// groups list shows waiting messages, consumers and dead letters; delete
// refuses while the group has consumers (unless -force), asks first, and
// keeps the dead letters unless -dead-letters.
func TestGroups(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	raw := namespace(t, "workers", "gone", "other")
	w := newWorkers(t, ctx, raw)
	w.deadLetter(t, ctx, 2,
		[3]string{"orders.placed", "m1", `{"id": "o-1", "qty": 1}`},
		[3]string{"orders.placed", "m2", `{"id": "o-2", "qty": 2}`},
	)
	// "gone": a group whose service stopped; messages pile up.
	gone, err := w.d.Subscribe(ctx, []string{"shipping.sent", "shipping.lost"}, distributer.HandlerFunc(func(context.Context, *distributer.Message) error { return nil }), distributer.Group("gone"))
	if err != nil {
		t.Fatal(err)
	}
	if err := gone.Close(); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := w.d.Publish(ctx, "shipping.sent", []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	waitMessages(t, ctx, w.a, w.a.GroupQueue("gone"), 3)
	waitMessages(t, ctx, w.a, w.a.DeadLetterQueue("workers"), 2)
	c := newCLI(t, envURL, raw)

	r := c.run(ctx, "groups", "list", "workers", "gone", "nosuch").must(t, exitFailure, "list")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 4 || strings.Join(strings.Fields(lines[1]), " ") != "workers "+w.a.GroupQueue("workers")+" 0 1 2 ?" ||
		strings.Join(strings.Fields(lines[2]), " ") != "gone "+w.a.GroupQueue("gone")+" 3 0 0 ?" || !strings.Contains(lines[3], "give -management URL") {
		t.Errorf("list:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, `unknown group "nosuch": no queue "`+w.a.GroupQueue("nosuch")+`"`) {
		t.Errorf("unknown group: %s", r.stderr)
	}
	r = c.run(ctx, "groups", "list", "-format", "json", "gone").must(t, exitOK, "list json")
	var row groupRow
	if err := json.Unmarshal([]byte(r.stdout), &row); err != nil || row.Messages != 3 || row.Consumers != 0 || row.Bindings != nil {
		t.Errorf("list json: %s", r.stdout)
	}

	// delete: refused with consumers; asks; keeps or deletes dead letters.
	r = c.run(ctx, "groups", "delete", "-yes", "workers").must(t, exitFailure, "delete with a consumer")
	if !strings.Contains(r.stderr, `group "workers" has 1 consumer(s)`) || !strings.Contains(r.stderr, "-force") {
		t.Errorf("refusal: %s", r.stderr)
	}
	c.stdin = "no\n"
	r = c.run(ctx, "groups", "delete", "gone").must(t, exitFailure, "delete answered no")
	if !strings.Contains(r.stderr, `Delete the queue `+w.a.GroupQueue("gone")+` of group "gone" with 3 message(s) (0 consumer(s))? [y/N]`) {
		t.Errorf("prompt: %s", r.stderr)
	}
	c.stdin = "y\n"
	r = c.run(ctx, "groups", "delete", "gone").must(t, exitOK, "delete")
	if !strings.HasPrefix(r.stdout, "deleted "+w.a.GroupQueue("gone")+` (group "gone") with 3 message(s)`) {
		t.Errorf("delete: %q", r.stdout)
	}
	c.stdin = ""
	c.run(ctx, "groups", "delete", "-yes", "gone").must(t, exitFailure, "delete of a deleted group")

	r = c.run(ctx, "groups", "delete", "-force", "-yes", "workers").must(t, exitOK, "delete -force")
	if !strings.Contains(r.stdout, "kept its dead-letter queue "+w.a.DeadLetterQueue("workers")+" with 2 dead letter(s)") {
		t.Errorf("delete -force: %q", r.stdout)
	}
	if err := w.sub.Close(); err != nil { // the member would declare its queue again
		t.Fatal(err)
	}
	if _, err := w.d.Subscribe(ctx, []string{"x"}, distributer.HandlerFunc(func(context.Context, *distributer.Message) error { return nil }), distributer.Group("other")); err != nil {
		t.Fatal(err)
	}
	if _, err := w.a.Stat(ctx, w.a.GroupQueue("workers")); err == nil {
		c.run(ctx, "groups", "delete", "-force", "-yes", "workers").must(t, exitOK, "delete again")
	}
	// Without its group queue the dead letters can still be listed.
	r = c.run(ctx, "dead-letters", "list", "workers").must(t, exitOK, "dead letters of a deleted group")
	if !strings.Contains(r.stdout, w.a.DeadLetterQueue("workers")+"  2") {
		t.Errorf("list: %s", r.stdout)
	}
	c.run(ctx, "groups", "delete", "-dead-letters", "-yes", "other").must(t, exitFailure, "delete of a group with a consumer")
	r = c.run(ctx, "groups", "delete", "-dead-letters", "-force", "-yes", "other").must(t, exitOK, "delete with dead letters")
	if !strings.Contains(r.stdout, "deleted "+w.a.DeadLetterQueue("other")+" with 0 dead letter(s)") {
		t.Errorf("-dead-letters: %q", r.stdout)
	}
}
