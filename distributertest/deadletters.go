package distributertest

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distributer/distributer"
)

// deadLetterLog is the message of the runtime's record for a dead letter.
const deadLetterLog = "distributer: message dead-lettered"

// Every dead letter is logged exactly once, by the runtime, at Warn, with
// its topic, group, id, attempt and reason, whatever the driver and the
// reason (failed every attempt, rejected, invalid); no record shows a body
// or a header.
func testDeadLetterLogged(t *testing.T, h *Harness) {
	e := newEnv(t, h)
	logs := newLogCapture()
	d := e.openWith(distributer.WithLogger(slog.New(logs)))
	const secret = "s3cr3t-never-logged"
	handle := func(ctx context.Context, m *distributer.Message) error {
		if strings.HasSuffix(m.Topic, ".invalid") {
			return fmt.Errorf("%w: field x is wrong", distributer.ErrInvalidMessage)
		}
		return failing(ctx, m)
	}
	group := newRecorder()
	group.before = handle
	e.subscribe(d, []string{"dl.*"}, group, distributer.Group("workers"))
	fan := newRecorder()
	fan.before = handle
	e.subscribe(d, []string{"fan.*"}, fan)

	cases := []struct {
		topic, body, reason, group string
		attempt                    int
	}{
		{"dl.fail", `{"fail":1000,"s":"` + secret + `"}`, "boom", "workers", h.MaxAttempts},
		{"dl.reject", `{"reject":true,"s":"` + secret + `"}`, "bad input", "workers", 1},
		{"dl.invalid", `{"s":"` + secret + `"}`, "field x is wrong", "workers", 1},
		{"fan.reject", `{"reject":true,"s":"` + secret + `"}`, "bad input", "", 1},
		{"fan.invalid", `{"s":"` + secret + `"}`, "field x is wrong", "", 1},
	}
	for _, c := range cases {
		id := "id-" + c.topic
		e.publish(d, c.topic, c.body, distributer.WithID(id), distributer.WithHeaders(map[string]string{"authorization": secret}))
		if dl := e.deadLetter(); dl.ID != id {
			t.Fatalf("dead letter %q (%s), want %q", dl.ID, dl.Topic, id)
		}
		rec := logs.wait(t, h.Timeout, id)
		if rec.level != slog.LevelWarn {
			t.Errorf("%s: logged at %v, want WARN", c.topic, rec.level)
		}
		want := map[string]string{"topic": c.topic, "group": c.group, "id": id, "attempt": fmt.Sprint(c.attempt)}
		for k, v := range want {
			if got, ok := rec.attrs[k]; !ok || got != v {
				t.Errorf("%s: record %s=%q (present: %v), want %q: %s", c.topic, k, got, ok, v, rec.text)
			}
		}
		if !strings.Contains(rec.attrs["reason"], c.reason) {
			t.Errorf("%s: record reason %q does not say %q", c.topic, rec.attrs["reason"], c.reason)
		}
	}
	time.Sleep(h.Quiet) // a second record for the same dead letter would come now
	perID := map[string]int{}
	for _, rec := range logs.all() {
		if strings.Contains(rec.text, secret) {
			t.Errorf("a log record shows a body or a header: %s", rec.text)
		}
		if strings.Contains(strings.ToLower(rec.msg), "dead-letter") {
			perID[rec.attrs["id"]]++
		}
	}
	for _, c := range cases {
		if n := perID["id-"+c.topic]; n != 1 {
			t.Errorf("%s: logged %d times, want once", c.topic, n)
		}
	}
	if len(perID) != len(cases) {
		t.Errorf("dead-letter records for %d messages, want %d: %v", len(perID), len(cases), perID)
	}
}

// logRecord is a log record as logCapture keeps it.
type logRecord struct {
	level slog.Level
	msg   string
	attrs map[string]string // group-qualified keys, values as text
	text  string            // msg and every attribute, for searching
}

// logCapture is a slog.Handler that keeps every record, at every level.
type logCapture struct {
	st     *captureState
	attrs  []qualified // from WithAttrs
	prefix string      // from WithGroup: "g1.g2."
}

// qualified is an attribute with the group prefix it was added under.
type qualified struct {
	prefix string
	a      slog.Attr
}

type captureState struct {
	mu      sync.Mutex
	recs    []logRecord
	changed chan struct{}
}

func newLogCapture() *logCapture {
	return &logCapture{st: &captureState{changed: make(chan struct{})}}
}

func (c *logCapture) Enabled(context.Context, slog.Level) bool { return true }

func (c *logCapture) Handle(_ context.Context, r slog.Record) error {
	rec := logRecord{level: r.Level, msg: r.Message, attrs: map[string]string{}}
	var text strings.Builder
	text.WriteString(r.Message)
	var add func(prefix string, a slog.Attr)
	add = func(prefix string, a slog.Attr) {
		v := a.Value.Resolve()
		if v.Kind() == slog.KindGroup {
			for _, g := range v.Group() {
				add(prefix+a.Key+".", g)
			}
			return
		}
		rec.attrs[prefix+a.Key] = v.String()
		fmt.Fprintf(&text, " %s%s=%s", prefix, a.Key, v.String())
	}
	for _, q := range c.attrs {
		add(q.prefix, q.a)
	}
	r.Attrs(func(a slog.Attr) bool { add(c.prefix, a); return true })
	rec.text = text.String()
	c.st.mu.Lock()
	c.st.recs = append(c.st.recs, rec)
	close(c.st.changed)
	c.st.changed = make(chan struct{})
	c.st.mu.Unlock()
	return nil
}

func (c *logCapture) WithAttrs(as []slog.Attr) slog.Handler {
	n := *c
	n.attrs = append([]qualified(nil), c.attrs...)
	for _, a := range as {
		n.attrs = append(n.attrs, qualified{c.prefix, a})
	}
	return &n
}

func (c *logCapture) WithGroup(name string) slog.Handler {
	n := *c
	n.prefix = c.prefix + name + "."
	return &n
}

func (c *logCapture) all() []logRecord {
	c.st.mu.Lock()
	defer c.st.mu.Unlock()
	return append([]logRecord(nil), c.st.recs...)
}

// wait returns the first dead-letter record of the message id, waiting for
// it at most timeout.
func (c *logCapture) wait(t *testing.T, timeout time.Duration, id string) logRecord {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		c.st.mu.Lock()
		recs, ch := c.st.recs, c.st.changed
		c.st.mu.Unlock()
		for _, r := range recs {
			if r.msg == deadLetterLog && r.attrs["id"] == id {
				return r
			}
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("no %q record for message %q within %v", deadLetterLog, id, timeout)
			return logRecord{}
		}
	}
}
