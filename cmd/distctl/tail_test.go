package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/distributer/distributer"
)

// tail -validate -format json prints every matching message as a record
// (topic, id, attempt, headers, body) with its validity and errors, takes
// nothing from the groups, and ends after -n.
func TestTailJSON(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	raw := namespace(t, "workers")
	d, err := distributer.Open(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	got := make(chan string, 10)
	if _, err := d.Subscribe(ctx, []string{"orders.#"}, distributer.HandlerFunc(func(_ context.Context, m *distributer.Message) error {
		got <- m.ID
		return nil
	}), distributer.Group("workers")); err != nil {
		t.Fatal(err)
	}
	c := newCLI(t, envURL, raw, envSchemas, schemaDir)
	_, stderr, wait := c.start(ctx, "tail", "-validate", "-format", "json", "-n", "3", "orders.*")
	waitFor(t, ctx, "tail ready", func() bool { return strings.Contains(stderr.String(), "ready") })
	for _, m := range []struct{ topic, id, body string }{
		{"orders.placed", "m1", `{"id":"o-1","qty":2}`},
		{"other.placed", "m0", `{}`}, // not matched
		{"orders.placed", "m2", `{"id":"x","qty":0}`},
		{"orders.cancelled", "m3", `{"id":"o-1","reason":"customer"}`},
		{"orders.placed", "m4", `{"id":"o-4","qty":1}`}, // after -n
	} {
		if err := d.Publish(ctx, m.topic, []byte(m.body), distributer.WithID(m.id), distributer.WithHeaders(map[string]string{"tenant": "t1"})); err != nil {
			t.Fatal(err)
		}
	}
	r := wait().must(t, exitOK, "tail")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 3 records:\n%s", r.stdout)
	}
	var recs []tailRecord
	for _, l := range lines {
		var rec tailRecord
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		recs = append(recs, rec)
	}
	if recs[0].ID != "m1" || recs[0].Topic != "orders.placed" || recs[0].Attempt != 1 || recs[0].Headers["tenant"] != "t1" ||
		string(recs[0].Body) != `{"id":"o-1","qty":2}` || recs[0].Valid == nil || !*recs[0].Valid || len(recs[0].Errors) != 0 {
		t.Errorf("record 1: %s", lines[0])
	}
	if recs[1].ID != "m2" || *recs[1].Valid || len(recs[1].Errors) != 2 || recs[1].Errors[0].Pointer != "/id" || recs[1].Errors[1].Pointer != "/qty" || recs[1].Errors[1].Keyword != "minimum" {
		t.Errorf("record 2: %s", lines[1])
	}
	if recs[2].ID != "m3" || recs[2].Topic != "orders.cancelled" || !*recs[2].Valid {
		t.Errorf("record 3: %s", lines[2])
	}
	if _, err := time.Parse(time.RFC3339, recs[0].Time); err != nil {
		t.Errorf("time: %v", err)
	}
	// The group got every message: tail took nothing from it.
	seen := map[string]bool{}
	for len(seen) < 4 {
		select {
		case id := <-got:
			seen[id] = true
		case <-ctx.Done():
			t.Fatalf("the group got %v", seen)
		}
	}
}

// tail's text output, on memory:// within the process (the bus is shared
// with the test's Distributer by its name), ended by an interrupt: exit 0.
func TestTailTextMemory(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	d, err := distributer.Open(ctx, "memory://tailtest")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	tctx, stop := context.WithCancel(ctx)
	c := newCLI(t)
	stdout, stderr, wait := c.start(tctx, "tail", "-url", "memory://tailtest", "-validate", "-schemas", schemaDir, "#")
	waitFor(t, ctx, "tail ready", func() bool { return strings.Contains(stderr.String(), "ready") })
	if err := d.Publish(ctx, "orders.placed", []byte(`{"id":"o-7","qty":0}`), distributer.WithID("m7"), distributer.WithHeaders(map[string]string{"b": "2", "a": "x\ny"})); err != nil {
		t.Fatal(err)
	}
	if err := d.Publish(ctx, "misc.thing", []byte(`[1]`), distributer.WithID("m8")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "two messages", func() bool { return strings.Contains(stdout.String(), "m8") })
	stop()
	r := wait().must(t, exitOK, "tail interrupted")
	for _, want := range []string{
		" orders.placed id=m7 attempt=1\n  header a=\"x\\ny\"\n  header b=2\n  body {\n    \"id\": \"o-7\",\n    \"qty\": 0\n  }\n  INVALID at /qty: must be >= 1 but found 0 (minimum)\n",
		" misc.thing id=m8 attempt=1\n  body [\n    1\n  ]\n  INVALID at (root): no schema for topic \"misc.thing\" (topics: orders.cancelled, orders.placed)\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
}
