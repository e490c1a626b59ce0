package distributertest

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/typed"
)

// Trust in the wire: another publisher controls a message's body and
// headers, not its topic or its attempt count. Drivers keep their own
// bookkeeping in headers (the amqp driver's start with x-distributer-, the
// broker's x-delivery-count); a publisher that sets headers with those names
// must not change what a handler sees.

// forgedHeaders are headers named like the drivers' and the broker's own,
// with values that would mislead a driver that believed them: another
// topic (which would bypass the broker's routing-key permissions and reach
// another handler), a huge attempt count (which would dead-letter a message
// on its first failure) and a broker delivery count.
func forgedHeaders(topic string) map[string]string {
	return map[string]string{
		"x-distributer-topic":     topic,
		"x-distributer-attempt":   "4611686018427387904",
		"x-distributer-attempts":  "4611686018427387904",
		"x-distributer-queue":     "elsewhere",
		"x-distributer-reason":    "forged",
		"x-delivery-count":        "99",
		"distributer-retry-queue": "elsewhere",
		"trace":                   "t1",
	}
}

// wireSchemas are two topics whose schemas accept the same bodies, so that
// only the topic decides which typed handler gets a message.
var wireSchemas = typed.MustCompile(
	map[string]string{"any.json": `{"type":"object"}`},
	map[string]string{"user": "any.json", "raw.feelings": "any.json"},
)

// A message published on raw.feelings with headers that name another topic
// (user, or user with a NUL byte) reaches the raw.feelings handler of a
// typed router and an untyped handler with topic raw.feelings, never the
// user handler; on fan-out and group subscriptions.
func testForgedTopicHeader(t *testing.T, h *Harness) {
	for _, group := range []string{"", "g"} {
		t.Run("group="+group, func(t *testing.T) {
			e := newEnv(t, h)
			d := e.open()
			var (
				mu       sync.Mutex
				users    []*distributer.Message
				feelings []*distributer.Message
			)
			done := make(chan struct{})
			r := typed.NewRouter()
			typed.Route(r, typed.NewTopic[map[string]any](wireSchemas, "user"),
				typed.HandlerFunc[map[string]any](func(_ context.Context, _ map[string]any, m *distributer.Message) error {
					mu.Lock()
					defer mu.Unlock()
					users = append(users, m)
					if m.Headers["end"] == "true" {
						close(done)
					}
					return nil
				}))
			typed.Route(r, typed.NewTopic[map[string]any](wireSchemas, "raw.feelings"),
				typed.HandlerFunc[map[string]any](func(_ context.Context, _ map[string]any, m *distributer.Message) error {
					mu.Lock()
					defer mu.Unlock()
					feelings = append(feelings, m)
					return nil
				}))
			typedGroup := "" // the groups a driver's harness cleans up: g and workers
			if group != "" {
				typedGroup = "workers"
			}
			s, err := r.Subscribe(e.ctx(), d, distributer.Group(typedGroup))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close() })
			untyped := newRecorder()
			e.subscribe(d, []string{"raw.*", "user"}, untyped, distributer.Group(group))

			for _, forged := range []string{"user", "user\x00raw.feelings", "", "\x00"} {
				e.publish(d, "raw.feelings", `{"hunger":0.5}`, distributer.WithHeaders(forgedHeaders(forged)))
			}
			// The end marker, published last on user: once the user handler
			// has it, every earlier message has been delivered.
			e.publish(d, "user", `{"end":true}`, distributer.WithHeaders(map[string]string{"end": "true"}))
			select {
			case <-done:
			case <-e.ctx().Done():
				t.Fatal("end marker not delivered to the user handler")
			}
			got := untyped.waitTopic(t, h.Timeout, "user")
			mu.Lock()
			defer mu.Unlock()
			if len(users) != 1 {
				t.Errorf("user handler got %d messages, want only the end marker: %s", len(users), summaryPtr(users))
			}
			if len(feelings) != 4 {
				t.Errorf("raw.feelings handler got %d messages, want 4: %s", len(feelings), summaryPtr(feelings))
			}
			for _, m := range feelings {
				if m.Topic != "raw.feelings" || m.Attempt != 1 {
					t.Errorf("raw.feelings handler got topic %q attempt %d", m.Topic, m.Attempt)
				}
			}
			if want := []string{"raw.feelings", "raw.feelings", "raw.feelings", "raw.feelings", "user"}; !slices.Equal(topics(got), want) {
				t.Errorf("untyped handler got topics %q, want %q", topics(got), want)
			}
			for _, m := range got {
				if m.Attempt != 1 {
					t.Errorf("untyped handler got %q with Attempt %d, want 1", m.Topic, m.Attempt)
				}
				if m.Topic == "raw.feelings" && m.Headers["trace"] != "t1" {
					t.Errorf("the publisher's own header is lost: %v", m.Headers)
				}
			}
			e.noDeadLetter()
		})
	}
}

// A message published with a forged attempt count (and broker delivery
// count) starts at Attempt 1: a handler that keeps failing gets it
// MaxAttempts times, attempts 1, 2, ..., each on its published topic, then
// it is dead-lettered with that topic; one that fails once gets it again,
// with Attempt 2.
func testForgedAttemptHeader(t *testing.T, h *Harness) {
	for _, group := range []string{"", "workers"} {
		t.Run("group="+group, func(t *testing.T) {
			e := newEnv(t, h)
			d := e.open()
			r := newRecorder()
			r.before = failing
			e.subscribe(d, []string{"jobs.*"}, r, distributer.Group(group))

			body := `{"fail":1000}`
			e.publish(d, "jobs.a", body, distributer.WithID("forged"), distributer.WithHeaders(forgedHeaders("other.topic")))
			got := r.waitN(t, h.Timeout, h.MaxAttempts)
			if !slices.Equal(attempts(got), seq(1, h.MaxAttempts)) {
				t.Errorf("attempts = %v, want %v", attempts(got), seq(1, h.MaxAttempts))
			}
			dl := e.deadLetter()
			checkDeadLetter(t, dl, "jobs.a", body, "forged", "boom", h.MaxAttempts)
			for _, m := range got {
				if m.Topic != "jobs.a" || m.ID != "forged" {
					t.Errorf("delivery %d on topic %q id %q, want jobs.a, forged", m.Attempt, m.Topic, m.ID)
				}
			}

			e.publish(d, "jobs.b", `{"fail":1}`, distributer.WithHeaders(forgedHeaders("jobs.a")))
			got = r.waitN(t, h.Timeout, h.MaxAttempts+2)[h.MaxAttempts:]
			if !slices.Equal(attempts(got), []int{1, 2}) || !slices.Equal(topics(got), []string{"jobs.b", "jobs.b"}) {
				t.Errorf("message failing once: %s, want jobs.b at attempts 1 and 2", summary(got))
			}
			e.noDeadLetter()
		})
	}
}

func summaryPtr(msgs []*distributer.Message) string {
	v := make([]distributer.Message, len(msgs))
	for i, m := range msgs {
		v[i] = *m
	}
	return summary(v)
}
