package distributer_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/driver"
)

// The delivery policy at the driver contract: for each kind of delivery
// and handler outcome, the runtime calls exactly one settle primitive (or,
// when the driver cannot redeliver, Redeliver then DeadLetter), with the
// reason it decides, and logs a dead letter only once the driver has it.
// The conformance suite checks the same policy end to end on every driver;
// this test sees what no broker shows: which primitive was called, and how
// many times.
func TestDeliveryPolicy(t *testing.T) {
	var logs logBuffer
	var invalids []string
	d := open(t, "policy://?max_attempts=3", distributer.WithLogger(logs.logger()), distributer.WithValidator(bodyValidator{}),
		distributer.OnInvalid(func(_ context.Context, m *distributer.Message, err error) { invalids = append(invalids, m.ID) }))
	conn := lastPolicyConn()
	var called []string
	h := distributer.HandlerFunc(func(_ context.Context, m *distributer.Message) error {
		called = append(called, m.ID)
		switch m.ID {
		case "fails", "cannot-redeliver", "dl-fails":
			return errors.New("boom")
		case "rejects":
			return distributer.Reject(errors.New("never"))
		case "invalid":
			return fmt.Errorf("field x: %w", distributer.ErrInvalidMessage)
		case "panics":
			panic("kaboom")
		}
		return nil
	})
	if _, err := d.Subscribe(context.Background(), []string{"#"}, h, distributer.Group("g")); err != nil {
		t.Fatal(err)
	}
	if conn.req.MaxAttempts != 3 {
		t.Errorf("SubscribeRequest.MaxAttempts = %d, want the URL's max_attempts=3", conn.req.MaxAttempts)
	}
	cases := []struct {
		id          string
		attempt     int
		body        string
		checked     bool   // BodyChecked
		undecodable string // Delivery.Undecodable
		redeliver   error  // what Redeliver returns
		deadLetter  error  // what DeadLetter returns
		want        string // the primitives called (" | " between), the start of each
		handled     bool   // the application's handler ran
		logged      string // the dead letter's log level, "" for none
	}{
		{id: "ok", attempt: 1, want: "Ack", handled: true},
		{id: "fails", attempt: 1, want: "Redeliver(boom)", handled: true},
		{id: "fails", attempt: 2, want: "Redeliver(boom)", handled: true},
		{id: "fails", attempt: 3, want: "DeadLetter(failed 3 attempts, last error: boom)", handled: true, logged: "WARN"},
		{id: "panics", attempt: 1, want: "Redeliver(handler panicked: kaboom)", handled: true},
		{id: "panics", attempt: 3, want: "DeadLetter(failed 3 attempts, last error: handler panicked: kaboom)", handled: true, logged: "WARN"},
		{id: "rejects", attempt: 1, want: "DeadLetter(rejected: never)", handled: true, logged: "WARN"},
		{id: "invalid", attempt: 1, want: "DeadLetter(rejected: field x: invalid message)", handled: true, logged: "WARN"},
		{id: "schema", attempt: 1, body: `{"bad":1}`, want: "DeadLetter(rejected: invalid message: bad field)", logged: "WARN"},
		{id: "large", attempt: 1, body: `"` + strings.Repeat("x", distributer.DefaultMaxMessageBytes) + `"`, want: "DeadLetter(rejected: distributer: message on", logged: "WARN"},
		{id: "not-json", attempt: 1, body: `{nope`, want: "DeadLetter(body is not valid JSON)", logged: "WARN"},
		{id: "checked", attempt: 1, body: `{nope`, checked: true, want: "Ack", handled: true},
		{id: "undecodable", attempt: 1, undecodable: "properties: 10000 headers", want: "DeadLetter(undecodable properties: 10000 headers)", logged: "ERROR"},
		{id: "cannot-redeliver", attempt: 1, redeliver: fmt.Errorf("%w: too large", driver.ErrCannotRedeliver),
			want: "Redeliver(boom) | DeadLetter(cannot retry: too large; last error: boom)", handled: true, logged: "WARN"},
		{id: "dl-fails", attempt: 3, deadLetter: errors.New("not confirmed"), want: "DeadLetter(failed 3 attempts, last error: boom)", handled: true},
	}
	for _, c := range cases {
		called = nil
		body := c.body
		if body == "" {
			body = `{}`
		}
		st := &recordingSettler{redeliver: c.redeliver, deadLetter: c.deadLetter}
		before := deadLetterRecords(logs.String(), c.id)
		conn.h(context.Background(), &driver.Delivery{
			Message: &driver.Message{ID: c.id, Topic: "t", Body: []byte(body), Attempt: c.attempt},
			Queue:   "q", Undecodable: c.undecodable, BodyChecked: c.checked, Settle: st,
		})
		what := fmt.Sprintf("%s at attempt %d", c.id, c.attempt)
		want := strings.Split(c.want, " | ")
		ok := len(st.calls) == len(want)
		for i := 0; ok && i < len(want); i++ {
			ok = strings.HasPrefix(st.calls[i], want[i])
		}
		if !ok {
			t.Errorf("%s: settled with %q, want %q", what, st.calls, want)
		}
		if handled := len(called) == 1; handled != c.handled || len(called) > 1 {
			t.Errorf("%s: the handler ran %d times, want handled=%v", what, len(called), c.handled)
		}
		logged := deadLetterRecords(logs.String(), c.id) - before
		switch {
		case c.logged == "" && logged != 0:
			t.Errorf("%s: logged as a dead letter, but the driver did not keep it", what)
		case c.logged != "" && logged != 1:
			t.Errorf("%s: %d dead-letter records, want 1", what, logged)
		case c.logged != "":
			if l := lastDeadLetter(logs.String(), c.id); !strings.Contains(l, "level="+c.logged+" ") || !strings.Contains(l, "queue=q") {
				t.Errorf("%s: logged as %q, want level %s and queue=q", what, l, c.logged)
			}
		}
	}
	if want := []string{"invalid", "schema", "large"}; fmt.Sprint(invalids) != fmt.Sprint(want) {
		t.Errorf("OnInvalid called for %v, want %v", invalids, want)
	}
}

// deadLetterLines returns the dead-letter records of id in logs.
func deadLetterLines(logs, id string) []string {
	var out []string
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, "message dead-lettered") && strings.Contains(l, "id="+id+" ") {
			out = append(out, l)
		}
	}
	return out
}

func deadLetterRecords(logs, id string) int { return len(deadLetterLines(logs, id)) }

// lastDeadLetter returns the last dead-letter record of id in logs.
func lastDeadLetter(logs, id string) string {
	ls := deadLetterLines(logs, id)
	if len(ls) == 0 {
		return ""
	}
	return ls[len(ls)-1]
}

// Closing is not an attempt: once Close has begun, a handler that fails is
// given back (even at the last attempt), a rejection still dead-letters, a
// success is acked, and a delivery handed over during Close is given back
// without running the handler.
func TestDeliveryPolicyClosing(t *testing.T) {
	d := open(t, "policy://?max_attempts=3", distributer.WithLogger(slog.New(slog.DiscardHandler)))
	conn := lastPolicyConn()
	started := make(chan string, 4)
	h := distributer.HandlerFunc(func(ctx context.Context, m *distributer.Message) error {
		started <- m.ID
		<-ctx.Done()
		switch m.ID {
		case "rejects":
			return distributer.Reject(ctx.Err())
		case "succeeds":
			return nil
		}
		return ctx.Err()
	})
	s, err := d.Subscribe(context.Background(), []string{"#"}, h, distributer.Group("g"))
	if err != nil {
		t.Fatal(err)
	}
	settlers := map[string]*recordingSettler{}
	var wg sync.WaitGroup
	for _, id := range []string{"fails", "last", "rejects", "succeeds"} {
		st := &recordingSettler{}
		settlers[id] = st
		attempt := 1
		if id == "last" {
			attempt = 3
		}
		wg.Go(func() {
			conn.h(conn.ctx, &driver.Delivery{Message: &driver.Message{ID: id, Topic: "t", Body: []byte(`{}`), Attempt: attempt}, Settle: st})
		})
	}
	conn.running = &wg
	for range settlers {
		select {
		case <-started:
		case <-time.After(wait):
			t.Fatal("handlers not started")
		}
	}
	late := &recordingSettler{}
	conn.late = &driver.Delivery{Message: &driver.Message{ID: "late", Topic: "t", Body: []byte(`{}`), Attempt: 1}, Settle: late}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	settlers["late"] = late
	want := map[string]string{"fails": "GiveBack", "last": "GiveBack", "rejects": "DeadLetter(rejected: context canceled)", "succeeds": "Ack", "late": "GiveBack"}
	for id, w := range want {
		if got := strings.Join(settlers[id].calls, " "); got != w {
			t.Errorf("%s: settled with %q while closing, want %q", id, got, w)
		}
	}
	if len(started) != 0 {
		t.Errorf("the handler ran for %q, handed over during Close", <-started)
	}
}

// recordingSettler records the primitives called, and returns the errors
// it is given.
type recordingSettler struct {
	mu                    sync.Mutex
	calls                 []string
	redeliver, deadLetter error
}

func (r *recordingSettler) add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, s)
}

func (r *recordingSettler) Ack() error      { r.add("Ack"); return nil }
func (r *recordingSettler) GiveBack() error { r.add("GiveBack"); return nil }
func (r *recordingSettler) Redeliver(cause error) error {
	r.add("Redeliver(" + cause.Error() + ")")
	return r.redeliver
}
func (r *recordingSettler) DeadLetter(reason string, _ error) error {
	r.add("DeadLetter(" + reason + ")")
	return r.deadLetter
}

// bodyValidator refuses bodies with a "bad" member.
type bodyValidator struct{}

func (bodyValidator) Validate(_ string, body []byte) error {
	if strings.Contains(string(body), `"bad"`) {
		return fmt.Errorf("%w: bad field", distributer.ErrInvalidMessage)
	}
	return nil
}

// policyDriver is a driver ("policy://") whose one subscription hands the
// test its driver.Handler: the test delivers to it directly.
type policyDriver struct{}

type policyConn struct {
	req     driver.SubscribeRequest
	h       driver.Handler
	ctx     context.Context // the handlers' context, cancelled by Close
	cancel  context.CancelFunc
	running *sync.WaitGroup  // handler calls Close waits for
	late    *driver.Delivery // handed over during Close
	done    chan struct{}
}

var (
	policyMu    sync.Mutex
	policyConns []*policyConn
)

func init() { driver.Register("policy", policyDriver{}) }

func lastPolicyConn() *policyConn {
	policyMu.Lock()
	defer policyMu.Unlock()
	return policyConns[len(policyConns)-1]
}

func (policyDriver) Open(context.Context, *url.URL) (driver.Conn, error) {
	c := &policyConn{done: make(chan struct{})}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	policyMu.Lock()
	policyConns = append(policyConns, c)
	policyMu.Unlock()
	return c, nil
}

func (c *policyConn) Publish(context.Context, []*driver.Message) error { return nil }
func (c *policyConn) Close() error                                     { return nil }

func (c *policyConn) Subscribe(_ context.Context, req driver.SubscribeRequest, h driver.Handler) (driver.Subscription, error) {
	c.req, c.h = req, h
	return policySub{c}, nil
}

type policySub struct{ c *policyConn }

// Close cancels the handlers, waits for them, and hands over the late
// delivery, as a networked driver hands over what it had prefetched.
func (s policySub) Close() error {
	c := s.c
	select {
	case <-c.done:
		return nil
	default:
	}
	close(c.done)
	c.cancel()
	if c.running != nil {
		c.running.Wait()
	}
	if c.late != nil {
		c.h(c.ctx, c.late)
	}
	return nil
}

func (s policySub) Done() <-chan struct{} { return s.c.done }
func (s policySub) Err() error            { return nil }
