package distributer_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"go.uber.org/goleak"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/driver"
	"github.com/distributer/distributer/drivers/memory"
	"github.com/distributer/distributer/topic"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const wait = 10 * time.Second

var busN atomic.Int64

// newURL returns the URL of a fresh memory bus.
func newURL(query string) (url, bus string) {
	bus = fmt.Sprintf("rt-%d", busN.Add(1))
	return "memory://" + bus + query, bus
}

// logBuffer is a logger that keeps its output for inspection.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) logger() *slog.Logger { return slog.New(slog.NewTextHandler(l, nil)) }

func open(t *testing.T, rawURL string, opts ...distributer.Option) *distributer.Distributer {
	t.Helper()
	d, err := distributer.Open(context.Background(), rawURL, opts...)
	if err != nil {
		t.Fatalf("Open(%q): %v", rawURL, err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

// fake is a driver registered as "fake" that records what it is given.
type fake struct{}

type fakeConn struct {
	logger    *slog.Logger // driver.Logger of Open's context
	mu        sync.Mutex
	published []*driver.Message
	err       error // returned by Publish
}

var (
	fakeMu    sync.Mutex
	fakeConns []*fakeConn
)

func init() { driver.Register("fake", fake{}) }

func (fake) Open(ctx context.Context, u *url.URL) (driver.Conn, error) {
	if err := driver.CheckQuery(u, "fail"); err != nil {
		return nil, err
	}
	if u.Query().Has("fail") {
		return nil, errors.New("connection refused")
	}
	c := &fakeConn{logger: driver.Logger(ctx)}
	fakeMu.Lock()
	fakeConns = append(fakeConns, c)
	fakeMu.Unlock()
	return c, nil
}

func lastFake() *fakeConn {
	fakeMu.Lock()
	defer fakeMu.Unlock()
	return fakeConns[len(fakeConns)-1]
}

func (c *fakeConn) Publish(ctx context.Context, msgs []*driver.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range msgs {
		cp := *m
		c.published = append(c.published, &cp)
	}
	return c.err
}

func (c *fakeConn) Subscribe(ctx context.Context, req driver.SubscribeRequest, h driver.Handler) (driver.Subscription, error) {
	return nil, errors.New("fake: no subscriptions")
}

func (c *fakeConn) Close() error { return nil }

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()

	_, err := distributer.Open(ctx, "kafka://broker:9092/")
	var use *distributer.UnknownSchemeError
	if !errors.Is(err, distributer.ErrUnknownScheme) || !errors.As(err, &use) {
		t.Fatalf("unknown scheme: %v, want an *UnknownSchemeError", err)
	}
	if use.Scheme != "kafka" || !strings.Contains(err.Error(), `"kafka"`) {
		t.Errorf("error %q does not name the scheme", err)
	}
	for _, s := range []string{"memory", "fake"} {
		if !strings.Contains(err.Error(), s) || !containsString(use.Registered, s) {
			t.Errorf("error %q / Registered %v does not list %q", err, use.Registered, s)
		}
	}

	for _, u := range []string{"localhost", "/just/a/path", "127.0.0.1:5672", ":memory"} {
		if _, err := distributer.Open(ctx, u); !errors.Is(err, distributer.ErrInvalidURL) {
			t.Errorf("Open(%q) = %v, want ErrInvalidURL", u, err)
		}
	}
	if _, err := distributer.Open(ctx, "memory://x?nope=1"); !errors.Is(err, distributer.ErrInvalidURL) {
		t.Errorf("unknown query parameter: %v, want ErrInvalidURL", err)
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := distributer.Open(cancelled, "memory://"); !errors.Is(err, context.Canceled) {
		t.Errorf("Open(cancelled) = %v, want context.Canceled", err)
	}

	d, err := distributer.Open(ctx, "")
	if err != nil || !strings.HasPrefix(d.URL(), "memory:") {
		t.Fatalf("Open(\"\") = %v, URL %q; want the default memory://", err, d.URL())
	}
	d.Close()
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// A URL's password appears in no error and not in URL().
func TestPasswordNeverShown(t *testing.T) {
	const secret = "s3cr3tpw"
	ctx := context.Background()
	for _, u := range []string{
		"amqp://guest:" + secret + "@host:5672/%zz",      // bad escape: url.Parse fails
		"amqp://guest:" + secret + "@ho st/",             // space in host
		"amqp://guest:" + secret + "@host:99999999999x/", // bad port
		"amqp://guest:" + secret + "@[::1/",              // bad IPv6 literal
		"amqp://guest:" + secret + "@host/\x7f",          // control character
		"amqp://guest:pa/" + secret + "@host:5672/",      // '/' in the password
		"amqp://guest:pa@" + secret + "@host:5672/%zz",   // '@' in the password
		"kafka://guest:" + secret + "@host/",             // unknown scheme
		"fake://guest:" + secret + "@host/?fail=1",       // driver open fails
		"fake://guest:" + secret + "@host/?other=1",      // unknown parameter
		"memory://guest:" + secret + "@bus",              // memory refuses users
		"memory:guest:" + secret + "@bus",                // no "//"
		"fake:guest:" + secret + "@host?fail=1",          // no "//"
	} {
		d, err := distributer.Open(ctx, u)
		if err == nil {
			t.Errorf("Open(%q) succeeded", u)
			d.Close()
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("Open(%q): error shows the password: %v", u, err)
		}
	}
	d := open(t, "fake://guest:"+secret+"@host/")
	if strings.Contains(d.URL(), secret) || !strings.Contains(d.URL(), "guest") {
		t.Errorf("URL() = %q, want the user without the password", d.URL())
	}
}

func TestPublishRefusesInvalid(t *testing.T) {
	d := open(t, "fake://host/")
	ctx := context.Background()
	err := d.Publish(ctx, "raw.pose", []byte(`{"x":`))
	if !errors.Is(err, distributer.ErrInvalidJSON) || !strings.Contains(err.Error(), "raw.pose") {
		t.Errorf("invalid JSON: %v, want ErrInvalidJSON naming the topic", err)
	}
	err = d.Publish(ctx, "raw.*", []byte(`{}`))
	var te *topic.Error
	if !errors.Is(err, distributer.ErrInvalidTopic) || !errors.As(err, &te) || te.Topic != "raw.*" {
		t.Errorf("wildcard topic: %v, want a *topic.Error for raw.*", err)
	}
	err = d.PublishBatch(ctx, []*distributer.Message{{Topic: "a", Body: []byte(`1`)}, {Topic: "b", Body: []byte(`x`)}})
	if !errors.Is(err, distributer.ErrInvalidJSON) || !strings.Contains(err.Error(), "message 1") {
		t.Errorf("batch: %v, want ErrInvalidJSON naming message 1", err)
	}
	if n := len(lastFake().published); n != 0 {
		t.Errorf("%d invalid messages reached the driver", n)
	}
}

// Publish hands the driver a message with an id, Attempt 0 and its own
// copy of the headers; driver errors come back wrapped.
func TestPublishToDriver(t *testing.T) {
	d := open(t, "fake://host/")
	c := lastFake()
	ctx := context.Background()
	hdr := map[string]string{"a": "1"}
	if err := d.Publish(ctx, "t", []byte(`{}`), distributer.WithHeaders(hdr), distributer.WithHeaders(map[string]string{"b": "2"})); err != nil {
		t.Fatal(err)
	}
	hdr["a"] = "changed"
	if err := d.Publish(ctx, "t", []byte(`{}`), distributer.WithID("mine")); err != nil {
		t.Fatal(err)
	}
	batch := []*distributer.Message{{Topic: "t", Body: []byte(`1`), Attempt: 7}, {Topic: "t", Body: []byte(`2`)}}
	if err := d.PublishBatch(ctx, batch); err != nil {
		t.Fatal(err)
	}
	p := c.published
	if len(p) != 4 {
		t.Fatalf("driver got %d messages", len(p))
	}
	if p[0].Headers["a"] != "1" || p[0].Headers["b"] != "2" || p[0].ID == "" {
		t.Errorf("first message: headers %v id %q", p[0].Headers, p[0].ID)
	}
	if p[1].ID != "mine" {
		t.Errorf("WithID: id %q", p[1].ID)
	}
	if p[2].Attempt != 0 || p[2].ID == "" || p[2].ID == p[3].ID || batch[0].ID != p[2].ID {
		t.Errorf("batch: attempt %d ids %q %q (caller sees %q)", p[2].Attempt, p[2].ID, p[3].ID, batch[0].ID)
	}

	c.err = &driver.BatchError{Errs: []error{nil, errors.New("nacked")}}
	err := d.PublishBatch(ctx, batch)
	var be *distributer.BatchError
	if !errors.As(err, &be) || be.Errs[0] != nil || be.Errs[1] == nil {
		t.Errorf("PublishBatch driver failure = %v, want the *BatchError", err)
	}
	c.err = errors.New("broker gone")
	if err := d.Publish(ctx, "t.x", []byte(`1`)); err == nil || !strings.Contains(err.Error(), "broker gone") || !strings.Contains(err.Error(), "t.x") {
		t.Errorf("Publish driver failure = %v, want it wrapped with the topic", err)
	}
}

func TestNewIDUnique(t *testing.T) {
	seen := map[string]bool{}
	for range 10000 {
		id := distributer.NewID()
		if id == "" || seen[id] {
			t.Fatalf("NewID returned %q twice or empty", id)
		}
		seen[id] = true
	}
}

func TestCloseIdempotent(t *testing.T) {
	u, _ := newURL("")
	d, err := distributer.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	s, err := d.Subscribe(context.Background(), []string{"a"}, distributer.HandlerFunc(func(context.Context, *distributer.Message) error { return nil }))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := d.Close(); err != nil {
			t.Errorf("Close #%d: %v", i+1, err)
		}
	}
	select {
	case <-s.Done():
	case <-time.After(wait):
		t.Fatal("subscription not ended by Close")
	}
	if err := s.Close(); err != nil {
		t.Errorf("Subscription.Close after Close: %v", err)
	}
	ctx := context.Background()
	if err := d.Publish(ctx, "a", []byte(`1`)); !errors.Is(err, distributer.ErrClosed) {
		t.Errorf("Publish after Close = %v", err)
	}
	if _, err := d.Subscribe(ctx, []string{"a"}, distributer.HandlerFunc(nil)); err == nil {
		t.Error("Subscribe after Close succeeded")
	}
}

// Close racing with Subscribe and Publish: no panic, no leak, every
// subscription ends.
func TestCloseRaces(t *testing.T) {
	for range 20 {
		u, _ := newURL("")
		d, err := distributer.Open(context.Background(), u)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		subs := make(chan *distributer.Subscription, 10)
		for range 5 {
			wg.Go(func() {
				s, err := d.Subscribe(context.Background(), []string{"#"}, distributer.HandlerFunc(func(context.Context, *distributer.Message) error { return nil }))
				if err == nil {
					subs <- s
				} else if !errors.Is(err, distributer.ErrClosed) {
					t.Errorf("Subscribe: %v", err)
				}
			})
			wg.Go(func() {
				err := d.Publish(context.Background(), "x", []byte(`1`))
				if err != nil && !errors.Is(err, distributer.ErrClosed) {
					t.Errorf("Publish: %v", err)
				}
			})
		}
		wg.Go(func() { _ = d.Close() })
		wg.Wait()
		_ = d.Close()
		close(subs)
		for s := range subs {
			select {
			case <-s.Done():
			case <-time.After(wait):
				t.Fatal("a subscription outlived its Distributer")
			}
		}
	}
}

func TestSubscribeErrors(t *testing.T) {
	u, _ := newURL("")
	d := open(t, u)
	ctx := context.Background()
	h := distributer.HandlerFunc(func(context.Context, *distributer.Message) error { return nil })
	if _, err := d.Subscribe(ctx, nil, h); !errors.Is(err, distributer.ErrInvalidTopic) {
		t.Errorf("no topics: %v", err)
	}
	if _, err := d.Subscribe(ctx, []string{"a.b*"}, h); !errors.Is(err, distributer.ErrInvalidTopic) {
		t.Errorf("bad pattern: %v", err)
	}
	if _, err := d.Subscribe(ctx, []string{"a"}, nil); err == nil {
		t.Error("nil handler accepted")
	}
	patterns := []string{"a.*", "b"}
	s, err := d.Subscribe(ctx, patterns, h, distributer.Group("g"))
	if err != nil {
		t.Fatal(err)
	}
	patterns[0] = "changed"
	got := s.Patterns()
	got[1] = "changed too"
	if p := s.Patterns(); p[0] != "a.*" || p[1] != "b" || s.Group() != "g" {
		t.Errorf("Patterns %v Group %q", p, s.Group())
	}
	if err := s.Err(); err != nil {
		t.Errorf("Err while running = %v", err)
	}
}

func TestReject(t *testing.T) {
	cause := errors.New("unparseable")
	err := distributer.Reject(cause)
	if !errors.Is(err, distributer.ErrRejected) || !errors.Is(err, cause) || err.Error() != "unparseable" {
		t.Errorf("Reject(cause) = %v", err)
	}
	wrapped := fmt.Errorf("handler: %w", err)
	if !errors.Is(wrapped, driver.ErrReject) {
		t.Error("a wrapped Reject is not seen by drivers")
	}
	if err := distributer.Reject(nil); err == nil || !errors.Is(err, distributer.ErrRejected) {
		t.Errorf("Reject(nil) = %v", err)
	}
}

// deadLetter waits for the n-th dead letter of bus.
func deadLetter(t *testing.T, bus string, n int) memory.DeadLetter {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	var after uint64
	for {
		dls, err := memory.WaitDeadLetters(ctx, bus, after)
		if err != nil {
			t.Fatalf("dead letter %d: %v", n, err)
		}
		for _, dl := range dls {
			if int(dl.Seq) == n {
				return dl
			}
			after = dl.Seq
		}
	}
}

// A panicking handler becomes a *PanicError (with the stack), logged, and
// the message is redelivered and finally dead-lettered.
func TestPanicError(t *testing.T) {
	u, bus := newURL("?max_attempts=2")
	var logs logBuffer
	d := open(t, u, distributer.WithLogger(logs.logger()))
	var calls atomic.Int32
	_, err := d.Subscribe(context.Background(), []string{"p"}, distributer.HandlerFunc(func(context.Context, *distributer.Message) error {
		calls.Add(1)
		panic("nil map somewhere")
	}))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Publish(context.Background(), "p", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	dl := deadLetter(t, bus, 1)
	var pe *distributer.PanicError
	if !errors.As(dl.Err, &pe) || pe.Value != "nil map somewhere" || !bytes.Contains(pe.Stack, []byte("distributer_test")) {
		t.Fatalf("dead letter error %v, want a *PanicError with value and stack", dl.Err)
	}
	if !strings.Contains(pe.Error(), "nil map somewhere") {
		t.Errorf("PanicError.Error() = %q", pe.Error())
	}
	if calls.Load() != 2 || dl.Message.Attempt != 2 {
		t.Errorf("%d calls, dead letter at attempt %d; want 2, 2", calls.Load(), dl.Message.Attempt)
	}
	if l := logs.String(); !strings.Contains(l, "handler panicked") || !strings.Contains(l, "nil map somewhere") {
		t.Errorf("panic not logged: %q", l)
	}
}

// fakeValidator accepts bodies containing "ok", has no schema for topics
// starting with "free.", and refuses anything else.
type fakeValidator struct{ calls atomic.Int32 }

func (v *fakeValidator) Validate(tp string, body []byte) error {
	v.calls.Add(1)
	switch {
	case strings.HasPrefix(tp, "free."):
		return fmt.Errorf("topic %q: %w", tp, distributer.ErrNoSchema)
	case bytes.Contains(body, []byte("ok")):
		return nil
	}
	return fmt.Errorf("topic %q: /ok: missing: %w", tp, distributer.ErrInvalidMessage)
}

func TestValidatorOnPublish(t *testing.T) {
	v := &fakeValidator{}
	d := open(t, "fake://host/", distributer.WithValidator(v))
	c := lastFake()
	ctx := context.Background()
	if err := d.Publish(ctx, "t", []byte(`{"ok":1}`)); err != nil {
		t.Errorf("valid: %v", err)
	}
	if err := d.Publish(ctx, "t", []byte(`{"bad":1}`)); !errors.Is(err, distributer.ErrInvalidMessage) {
		t.Errorf("invalid: %v, want ErrInvalidMessage", err)
	}
	if err := d.Publish(ctx, "free.x", []byte(`{"ok":1}`)); !errors.Is(err, distributer.ErrNoSchema) {
		t.Errorf("no schema: %v, want ErrNoSchema", err)
	}
	err := d.PublishBatch(ctx, []*distributer.Message{{Topic: "t", Body: []byte(`"ok"`)}, {Topic: "t", Body: []byte(`1`)}})
	if !errors.Is(err, distributer.ErrInvalidMessage) {
		t.Errorf("batch: %v", err)
	}
	if n := len(c.published); n != 1 {
		t.Errorf("%d messages reached the driver, want only the valid one", n)
	}
	if d.Validator() != v {
		t.Error("Validator() is not the one given")
	}
}

// Receive validation: an invalid delivery never reaches the handler; it is
// reported to OnInvalid, logged and dead-lettered at once.
func TestValidatorOnReceive(t *testing.T) {
	u, bus := newURL("?max_attempts=5")
	v := &fakeValidator{}
	var logs logBuffer
	type invalid struct {
		m   *distributer.Message
		err error
	}
	invalids := make(chan invalid, 10)
	d := open(t, u, distributer.WithValidator(v), distributer.WithLogger(logs.logger()),
		distributer.OnInvalid(func(_ context.Context, m *distributer.Message, err error) { invalids <- invalid{m, err} }))
	if !d.ValidatesReceive() {
		t.Error("ValidatesReceive() = false by default")
	}
	raw := open(t, u) // publishes without validation
	got := make(chan *distributer.Message, 10)
	if _, err := d.Subscribe(context.Background(), []string{"#"}, distributer.HandlerFunc(func(_ context.Context, m *distributer.Message) error {
		got <- m
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := raw.Publish(ctx, "t", []byte(`{"bad":true}`), distributer.WithID("bad-1")); err != nil {
		t.Fatal(err)
	}
	if err := raw.Publish(ctx, "t", []byte(`{"ok":true}`)); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		if string(m.Body) != `{"ok":true}` {
			t.Errorf("handler got %s, want only the valid message", m.Body)
		}
	case <-time.After(wait):
		t.Fatal("valid message not delivered")
	}
	select {
	case iv := <-invalids:
		if iv.m.ID != "bad-1" || !errors.Is(iv.err, distributer.ErrInvalidMessage) {
			t.Errorf("OnInvalid(%q, %v)", iv.m.ID, iv.err)
		}
	case <-time.After(wait):
		t.Fatal("OnInvalid not called")
	}
	dl := deadLetter(t, bus, 1)
	if dl.Message.ID != "bad-1" || dl.Message.Attempt != 1 || !errors.Is(dl.Err, distributer.ErrRejected) || !strings.Contains(dl.Reason, "/ok: missing") {
		t.Errorf("dead letter %q attempt %d err %v; want bad-1 rejected at attempt 1", dl.Message.ID, dl.Message.Attempt, dl.Err)
	}
	// Logged once, as a dead letter, with the validation error as reason.
	line := waitLog(t, &logs, "id=bad-1")
	if !strings.Contains(line, `msg="distributer: message dead-lettered"`) || !strings.Contains(line, "/ok: missing") {
		t.Errorf("invalid message logged as %q", line)
	}
	if n := strings.Count(logs.String(), "bad-1"); n != 1 {
		t.Errorf("bad-1 logged %d times, want once:\n%s", n, logs.String())
	}
}

// waitLog waits until a line of logs contains each of want, and returns it.
func waitLog(t *testing.T, logs *logBuffer, want ...string) string {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		for _, line := range strings.Split(logs.String(), "\n") {
			ok := true
			for _, w := range want {
				ok = ok && strings.Contains(line, w)
			}
			if ok {
				return line
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no log line with %q within %v:\n%s", want, wait, logs.String())
		}
		time.Sleep(time.Millisecond)
	}
}

// A dead letter's logged reason is bounded; the body never appears.
func TestDeadLetterLogBounded(t *testing.T) {
	u, _ := newURL("")
	var logs logBuffer
	d := open(t, u, distributer.WithLogger(logs.logger()))
	long := "x" + strings.Repeat("é", 2000) // 4001 bytes; 1 KiB ends inside an é
	if _, err := d.Subscribe(context.Background(), []string{"long"}, distributer.HandlerFunc(func(context.Context, *distributer.Message) error {
		return distributer.Reject(errors.New(long))
	}), distributer.Group("g")); err != nil {
		t.Fatal(err)
	}
	if err := d.Publish(context.Background(), "long", []byte(`{"secret":"body-marker"}`), distributer.WithID("long-1")); err != nil {
		t.Fatal(err)
	}
	line := waitLog(t, &logs, "id=long-1")
	for _, want := range []string{"level=WARN", "topic=long", "group=g", "attempt=1"} {
		if !strings.Contains(line, want) {
			t.Errorf("log line lacks %s: %s", want, line)
		}
	}
	_, reason, _ := strings.Cut(line, "reason=")
	if uq, err := strconv.Unquote(reason); err == nil {
		reason = uq
	}
	if n := len(reason); n != 1023+len("...") || !utf8.ValidString(reason) || !strings.HasSuffix(reason, "é...") {
		t.Errorf("logged reason of %d bytes (%q...), want it cut at 1 KiB", n, reason[:min(n, 20)])
	}
	if strings.Contains(logs.String(), "body-marker") {
		t.Errorf("the body was logged: %s", logs.String())
	}
}

// WithoutReceiveValidation: handlers see what arrives; a handler error
// wrapping ErrInvalidMessage still dead-letters at once via OnInvalid.
func TestWithoutReceiveValidation(t *testing.T) {
	u, bus := newURL("?max_attempts=5")
	v := &fakeValidator{}
	var invalids atomic.Int32
	d := open(t, u, distributer.WithValidator(v), distributer.WithoutReceiveValidation(), distributer.WithLogger(slog.New(slog.DiscardHandler)),
		distributer.OnInvalid(func(context.Context, *distributer.Message, error) { invalids.Add(1) }))
	if d.ValidatesReceive() {
		t.Error("ValidatesReceive() = true")
	}
	raw := open(t, u)
	var calls atomic.Int32
	if _, err := d.Subscribe(context.Background(), []string{"#"}, distributer.HandlerFunc(func(_ context.Context, m *distributer.Message) error {
		calls.Add(1)
		if !bytes.Contains(m.Body, []byte("ok")) {
			return fmt.Errorf("decoding: %w", distributer.ErrInvalidMessage)
		}
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	before := v.calls.Load()
	if err := raw.Publish(context.Background(), "t", []byte(`{"bad":true}`)); err != nil {
		t.Fatal(err)
	}
	dl := deadLetter(t, bus, 1)
	if dl.Message.Attempt != 1 || !errors.Is(dl.Err, distributer.ErrRejected) || !errors.Is(dl.Err, distributer.ErrInvalidMessage) {
		t.Errorf("dead letter at attempt %d with %v, want at once, rejected and invalid", dl.Message.Attempt, dl.Err)
	}
	if calls.Load() != 1 || invalids.Load() != 1 {
		t.Errorf("handler calls %d, OnInvalid calls %d; want 1 and 1", calls.Load(), invalids.Load())
	}
	if v.calls.Load() != before {
		t.Error("the validator ran on receive")
	}
}

func TestOpenPassesLoggerToDriver(t *testing.T) {
	var logs logBuffer
	l := logs.logger()
	open(t, "fake://host", distributer.WithLogger(l))
	if got := lastFake().logger; got != l {
		t.Errorf("driver got logger %p, want the WithLogger one %p", got, l)
	}
	open(t, "fake://host")
	if got := lastFake().logger; got != slog.Default() {
		t.Errorf("driver got logger %p without WithLogger, want slog.Default()", got)
	}
}
