package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/internal/rabbitnode"
)

// On a private node, the only kind this test may stop, with the management
// plugin (the shared broker on 5672 does not have it):
//   - without GROUP arguments, groups list and dead-letters list find the
//     driver's queues through the management API, with their bindings, and
//     not the broker-named queue of a subscriber without a group;
//   - a replay whose broker stops half-way ends with exit 3 and loses
//     nothing: after the restart every message was handled or is still a
//     dead letter.
func TestPrivateNode(t *testing.T) {
	node := rabbitnode.NewNode(t, rabbitnode.Options{Management: true})
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	raw := node.URL() + "?exchange=pn&queue_prefix=svc."
	mgmt := node.ManagementURL()
	waitFor(t, ctx, "the management API", func() bool {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, mgmt+"/api/overview", nil)
		req.SetBasicAuth("guest", "guest")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			time.Sleep(200 * time.Millisecond)
			return false
		}
		resp.Body.Close()
		http.DefaultClient.CloseIdleConnections()
		return resp.StatusCode == http.StatusOK
	})

	w := newWorkers(t, ctx, raw)
	const n = 3000
	msgs := make([][3]string, n)
	for i := range msgs {
		msgs[i] = [3]string{"orders.placed", fmt.Sprintf("m%04d", i), fmt.Sprintf(`{"id": "o-%d", "qty": 1}`, i)}
	}
	w.deadLetter(t, ctx, n, msgs...)
	gone, err := w.d.Subscribe(ctx, []string{"shipping.sent", "shipping.lost"}, distributer.HandlerFunc(func(context.Context, *distributer.Message) error { return nil }), distributer.Group("gone"))
	if err != nil {
		t.Fatal(err)
	}
	if err := gone.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.a.DeleteQueue(ctx, w.a.DeadLetterQueue("gone"), true); err != nil {
		t.Fatal(err)
	}
	if _, err := w.d.Subscribe(ctx, []string{"#"}, distributer.HandlerFunc(func(context.Context, *distributer.Message) error { return nil })); err != nil {
		t.Fatal(err)
	}
	c := newCLI(t, envURL, raw, envManagement, mgmt, envSchemas, schemaDir)

	r := c.run(ctx, "groups", "list").must(t, exitOK, "groups list")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 3 || strings.Join(strings.Fields(lines[1]), " ") != "gone svc.gone 0 0 0 shipping.lost shipping.sent" ||
		strings.Join(strings.Fields(lines[2]), " ") != fmt.Sprintf("workers svc.workers 0 1 %d orders.#", n) {
		t.Errorf("groups list:\n%s", r.stdout)
	}
	r = c.run(ctx, "groups", "list", "-format", "json", "workers").must(t, exitOK, "groups list GROUP")
	var row groupRow
	if err := json.Unmarshal([]byte(r.stdout), &row); err != nil || strings.Join(row.Bindings, " ") != "orders.#" || row.DeadLetters != n {
		t.Errorf("groups list json: %s", r.stdout)
	}
	r = c.run(ctx, "dead-letters", "list").must(t, exitOK, "dead-letters list")
	lines = strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 2 || strings.Join(strings.Fields(lines[1])[:3], " ") != fmt.Sprintf("workers pn.dlx.svc.workers %d", n) {
		t.Errorf("dead-letters list:\n%s", r.stdout)
	}
	// A group whose queue is gone keeps its dead letters, and list finds
	// them.
	if _, err := w.a.DeleteQueue(ctx, "svc.gone", true); err != nil {
		t.Fatal(err)
	}
	r = c.run(ctx, "groups", "list").must(t, exitOK, "groups list without gone")
	if strings.Contains(r.stdout, "gone") {
		t.Errorf("a deleted group is listed:\n%s", r.stdout)
	}
	bad := newCLI(t, envURL, raw, envManagement, strings.Replace(mgmt, "http://", "http://guest:wrong-pw-77@", 1))
	r = bad.run(ctx, "dead-letters", "list").must(t, exitBroker, "wrong management credentials")
	if !strings.Contains(r.stderr, "401") || strings.Contains(r.stderr, "wrong-pw-77") {
		t.Errorf("wrong credentials: %s", r.stderr)
	}

	// The broker stops while a replay runs.
	w.broken.Store(false)
	_, stderr, wait := c.start(ctx, "dead-letters", "replay", "-all", "workers")
	waitFor(t, ctx, "a part replayed", func() bool { return w.distinct() >= 200 })
	if err := node.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	r = wait()
	t.Logf("replay with the broker stopping: exit %d\n%s%s", r.code, r.stdout, stderr.String())
	if r.code != exitBroker || !strings.HasPrefix(r.stdout, "replayed ") {
		t.Errorf("replay when the broker stops: exit %d, want %d and a summary", r.code, exitBroker)
	}
	if err := node.Start(ctx); err != nil {
		t.Fatal(err)
	}
	dlq := w.a.DeadLetterQueue("workers")
	waitFor(t, ctx, "every message handled or still a dead letter", func() bool {
		st, err := w.a.Stat(ctx, dlq)
		return err == nil && st.Messages+w.distinct() >= n
	})
	c.run(ctx, "dead-letters", "replay", "-all", "workers").must(t, exitOK, "replay after the restart")
	waitFor(t, ctx, "every message handled", func() bool { return w.distinct() == n })
}
