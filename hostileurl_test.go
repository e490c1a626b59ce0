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
	_ "github.com/distributer/distributer/drivers/amqp" // amqp URLs: refused before any connection
)

// secretMark is in every planted password: it must show nowhere.
const secretMark = "S3cret"

// The hostile and careless URL forms of issue 10 (items 7, 8, 9): each is
// refused before any connection, with the error type and the hint a user
// needs, and the password appears nowhere: not in the error, not in the
// log, not in a panic.
func TestHostileURLs(t *testing.T) {
	type kind int
	const (
		urlErr kind = iota
		schemeErr
		queryErr
	)
	for _, tc := range []struct {
		raw  string
		kind kind
		hint string // in the error text
	}{
		// Item 7: one slash, three slashes, memory, newline, invalid escape.
		{"amqp:/user:S3cretPw@host:5672/", urlErr, "want amqp://user:pass@host:port/"},
		{"amqp:///user:S3cretPw@127.0.0.1:5672/", urlErr, "want amqp://user:pass@host:port/vhost"},
		{"amqps:///user:S3cretPw@127.0.0.1:5671/", urlErr, "want amqps://user:pass@host:port/vhost"},
		{"amqp://", urlErr, "want amqp://user:pass@host:port/vhost"},
		{"amqp:user:S3cretPw@host:5672/", urlErr, "want amqp://user:pass@host:port/"},
		{"memory:/user:S3cretPw@bus", urlErr, "want memory://"},
		{"memory:///user:S3cretPw@bus", urlErr, "want memory://[name][?options]"},
		{"memory://user:S3cretPw@bus", urlErr, "want memory://[name][?options]"},
		{"amqp://user:S3cret\nPw@127.0.0.1:5672/", urlErr, "percent-encode it"},
		{"amqp://user:S3cret\rPw@127.0.0.1:5672/", urlErr, "percent-encode it"},
		{"amqp:/user:S3cretPw%zz@127.0.0.1:5672/", urlErr, "%25"},
		{"amqp://user:S3cretPw%zz@127.0.0.1:5672/", urlErr, "%25"},
		// Item 9: reserved characters in the password, no scheme, IPv6.
		{"amqp://user:pa#S3cretPw@127.0.0.1:5672/", urlErr, "percent-encode them: %23, %2F, %3F, %40"},
		{"amqp://user:pa/S3cretPw@127.0.0.1:5672/", urlErr, "percent-encode them: %23, %2F, %3F, %40"},
		{"amqp://user:pa?S3cretPw@127.0.0.1:5672/", urlErr, "percent-encode them: %23, %2F, %3F, %40"},
		{"amqp://user@host#S3cretPw@127.0.0.1:5672/", urlErr, "percent-encode them: %23, %2F, %3F, %40"},
		{"amqp://user:pa@S3cretPw@127.0.0.1:5672/%zz", urlErr, "percent-encode them: %23, %2F, %3F, %40"},
		{"amqp://u:S3cretPw@::1:5672/", urlErr, "[::1]:5672"},
		{"amqp://u:S3cretPw@h1:5672,::1/", urlErr, "[::1]:5672"},
		{"127.0.0.1:5672", urlErr, "did you mean amqp://127.0.0.1:5672/?"},
		{"127.0.0.1:5671/vh", urlErr, "did you mean amqps://127.0.0.1:5671/vh?"},
		{"localhost:5672", schemeErr, "did you mean amqp://localhost:5672/?"},
		{"guest:S3cretPw@127.0.0.1:5672", schemeErr, "did you mean amqp://guest:xxxxx@127.0.0.1:5672/?"},
		{"S3cretPw@127.0.0.1:5672", urlErr, "did you mean amqp://xxxxx@127.0.0.1:5672/?"},
		// Item 8: what Go's parser would drop.
		{"memory://x?buffer=8;max_attempts=1", urlErr, `"buffer=8;max_attempts=1" has a ";"`},
		{"amqp://u:S3cretPw@127.0.0.1:5672/?exchange=a;durable=false", urlErr, `"exchange=a;durable=false" has a ";"`},
		{"memory://x?buffer=%zz", urlErr, `"buffer=%zz" has an invalid %-escape`},
		{"amqp://u:S3cretPw@127.0.0.1:5672/#x", urlErr, "fragment"},
		// The runtime's own options.
		{"memory://x?max_message_bytes=-1", queryErr, "max_message_bytes"},
		{"memory://x?open_wait=soon", queryErr, "open_wait"},
		{"memory://x?open_wait=1s&open_wait=2s", queryErr, "more than once"},
		{"amqp://u:S3cretPw@127.0.0.1:5672/?nope=1", queryErr, "max_message_bytes, open_wait"},
	} {
		t.Run(strings.ReplaceAll(tc.raw, "/", "|"), func(t *testing.T) {
			var log logBuffer
			logger := slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			start := time.Now()
			var (
				d     *distributer.Distributer
				err   error
				panic any
			)
			func() {
				defer func() { panic = recover() }()
				d, err = distributer.Open(ctx, tc.raw, distributer.WithLogger(logger))
			}()
			if panic != nil {
				t.Fatalf("Open panicked: %v", panic)
			}
			if err == nil {
				d.Close()
				t.Fatalf("Open succeeded, URL %q", d.URL())
			}
			if time.Since(start) > time.Second {
				t.Errorf("Open took %v: the URL was not refused before connecting", time.Since(start))
			}
			msg := err.Error()
			if strings.Contains(msg, secretMark) || strings.Contains(log.String(), secretMark) {
				t.Errorf("the password shows: error %q, log %q", msg, log.String())
			}
			if !strings.Contains(msg, tc.hint) {
				t.Errorf("error %q lacks the hint %q", msg, tc.hint)
			}
			var (
				ue *distributer.URLError
				se *distributer.UnknownSchemeError
				qe *driver.QueryError
			)
			switch {
			case tc.kind == urlErr && (!errors.As(err, &ue) || !errors.Is(err, distributer.ErrInvalidURL)):
				t.Errorf("error %q (%T) is not a *URLError wrapping ErrInvalidURL", msg, err)
			case tc.kind == schemeErr && !errors.As(err, &se):
				t.Errorf("error %q (%T) is not an *UnknownSchemeError", msg, err)
			case tc.kind == queryErr && (!errors.As(err, &qe) || !errors.Is(err, distributer.ErrInvalidURL)):
				t.Errorf("error %q (%T) is not a *QueryError wrapping ErrInvalidURL", msg, err)
			}
		})
	}
}

// The runtime's options are read by Open and removed from the URL the
// driver gets (the fake driver knows only "fail"); URL() keeps them.
func TestRuntimeURLOptions(t *testing.T) {
	raw := "fake://u:S3cretPw@host/?max_message_bytes=10&open_wait=0&fail=&max_message_bytes_x=1"
	if _, err := distributer.Open(context.Background(), raw); err == nil || !strings.Contains(err.Error(), "max_message_bytes_x") {
		t.Errorf("an unknown option next to the runtime's: %v, want it refused", err)
	}
	d := open(t, "fake://u:S3cretPw@host/?max_message_bytes=10&open_wait=0")
	if d.URL() != "fake://u:xxxxx@host/?max_message_bytes=10&open_wait=0" {
		t.Errorf("URL() = %q", d.URL())
	}
	d2 := open(t, "memory://x?buffer=8&max_attempts=1&max_message_bytes=0")
	if err := d2.Publish(context.Background(), "big", []byte(`"`+strings.Repeat("x", 2<<20)+`"`)); err != nil {
		t.Errorf("max_message_bytes=0 (no limit): %v", err)
	}
}

// Publish and PublishBatch refuse a body over max_message_bytes before
// anything is sent, with a *TooLargeError naming topic, size, limit and the
// option; the default limit is 1 MiB.
func TestMaxMessageBytes(t *testing.T) {
	ctx := context.Background()
	d := open(t, "fake://host/?max_message_bytes=10")
	f := lastFake()
	if err := d.Publish(ctx, "t.ok", []byte(`"12345678"`)); err != nil {
		t.Fatalf("10 bytes: %v", err)
	}
	err := d.Publish(ctx, "t.big", []byte(`"123456789"`))
	var te *distributer.TooLargeError
	if !errors.Is(err, distributer.ErrTooLarge) || !errors.As(err, &te) || te.Topic != "t.big" || te.Size != 11 || te.Limit != 10 ||
		!strings.Contains(err.Error(), "max_message_bytes=10") || !strings.Contains(err.Error(), "11 bytes") || !strings.Contains(err.Error(), `"t.big"`) {
		t.Errorf("11 bytes: %v, want a TooLargeError for t.big, 11 > 10", err)
	}
	err = d.PublishBatch(ctx, []*distributer.Message{{Topic: "t.a", Body: []byte(`1`)}, {Topic: "t.b", Body: []byte(`"123456789"`)}})
	if !errors.Is(err, distributer.ErrTooLarge) || !strings.Contains(err.Error(), "message 1") {
		t.Errorf("batch: %v, want ErrTooLarge for message 1", err)
	}
	f.mu.Lock()
	n := len(f.published)
	f.mu.Unlock()
	if n != 1 {
		t.Errorf("%d messages reached the driver, want 1 (the 10-byte one)", n)
	}

	d = open(t, "fake://host/")
	if err := d.Publish(ctx, "t", []byte(`"`+strings.Repeat("x", distributer.DefaultMaxMessageBytes-2)+`"`)); err != nil {
		t.Errorf("1 MiB with the default limit: %v", err)
	}
	if err := d.Publish(ctx, "t", []byte(`"`+strings.Repeat("x", distributer.DefaultMaxMessageBytes-1)+`"`)); !errors.Is(err, distributer.ErrTooLarge) {
		t.Errorf("1 MiB + 1 with the default limit: %v, want ErrTooLarge", err)
	}
}

// flaky is a driver whose Open fails with driver.ErrUnavailable (or
// another error) a number of times per host before it succeeds.
type flaky struct{}

type flakyState struct {
	failures int   // left before Open succeeds; <0: forever
	err      error // what Open returns meanwhile
	calls    int
}

var (
	flakyMu    sync.Mutex
	flakyHosts = map[string]*flakyState{}
)

func init() { driver.Register("flaky", flaky{}) }

func (flaky) Open(ctx context.Context, u *url.URL) (driver.Conn, error) {
	if err := driver.CheckQuery(u); err != nil {
		return nil, err
	}
	flakyMu.Lock()
	defer flakyMu.Unlock()
	s := flakyHosts[u.Host]
	s.calls++
	if s.failures != 0 {
		s.failures--
		return nil, fmt.Errorf("flaky: attempt %d: %w", s.calls, s.err)
	}
	return &fakeConn{logger: driver.Logger(ctx)}, nil
}

func setFlaky(host string, failures int, err error) *flakyState {
	flakyMu.Lock()
	defer flakyMu.Unlock()
	s := &flakyState{failures: failures, err: err}
	flakyHosts[host] = s
	return s
}

func (s *flakyState) count() int {
	flakyMu.Lock()
	defer flakyMu.Unlock()
	return s.calls
}

// Open waits for an unavailable broker (item 6): it retries errors wrapping
// ErrUnavailable, up to open_wait and the context, and returns the last
// error with the reason it gave up; other errors, and open_wait=0, fail at
// once.
func TestOpenWaitsForBroker(t *testing.T) {
	ctx := context.Background()
	refused := fmt.Errorf("connection refused: %w", driver.ErrUnavailable)

	s := setFlaky("a", 3, refused)
	d, err := distributer.Open(ctx, "flaky://a/")
	if err != nil || s.count() != 4 {
		t.Fatalf("Open after 3 unavailable attempts = %v, %d attempts; want success on the 4th", err, s.count())
	}
	d.Close()

	s = setFlaky("b", -1, refused)
	cctx, cancel := context.WithTimeout(ctx, 700*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = distributer.Open(cctx, "flaky://b/")
	took := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, distributer.ErrUnavailable) || !strings.Contains(err.Error(), "connection refused") ||
		!strings.Contains(err.Error(), fmt.Sprintf("attempt %d:", s.count())) {
		t.Errorf("Open until the deadline = %v, want DeadlineExceeded and the last error (attempt %d)", err, s.count())
	}
	if took < 300*time.Millisecond || took > 2*time.Second || s.count() < 3 {
		t.Errorf("Open gave up after %v and %d attempts, want close to the 700ms deadline, several attempts", took, s.count())
	}

	s = setFlaky("c", -1, refused)
	start = time.Now()
	_, err = distributer.Open(ctx, "flaky://c/?open_wait=400ms")
	if took := time.Since(start); !errors.Is(err, distributer.ErrUnavailable) || !strings.Contains(err.Error(), "open_wait=400ms") || took > 2*time.Second || s.count() < 2 {
		t.Errorf("Open with open_wait=400ms = %v after %v and %d attempts, want several attempts and the last error naming open_wait", err, took, s.count())
	}

	s = setFlaky("d", -1, refused)
	if _, err = distributer.Open(ctx, "flaky://d/?open_wait=0"); !errors.Is(err, distributer.ErrUnavailable) || s.count() != 1 {
		t.Errorf("open_wait=0: %v after %d attempts, want 1 attempt", err, s.count())
	}

	s = setFlaky("e", -1, errors.New("access refused"))
	if _, err = distributer.Open(ctx, "flaky://e/"); err == nil || s.count() != 1 {
		t.Errorf("a permanent error: %v after %d attempts, want 1 attempt", err, s.count())
	}
}
