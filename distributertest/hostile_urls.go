package distributertest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/distributer/distributer"
)

// withParam adds key=value to raw's query.
func withParam(raw, kv string) string {
	if strings.Contains(raw, "?") {
		return raw + "&" + kv
	}
	return raw + "?" + kv
}

// openURL opens a Distributer on raw, closed at the end of the test.
func (e *env) openURL(raw string) *distributer.Distributer {
	e.t.Helper()
	opts := append([]distributer.Option{distributer.WithLogger(discard)}, e.h.Options...)
	ctx, cancel := context.WithTimeout(context.Background(), e.h.Timeout)
	defer cancel()
	d, err := distributer.Open(ctx, raw, opts...)
	if err != nil {
		e.t.Fatalf("Open(%q): %v", raw, err)
	}
	e.t.Cleanup(func() { _ = d.Close() })
	return d
}

// The URL option max_message_bytes (issue 10, item 3): Publish refuses a
// larger body before sending it, with a *TooLargeError; a larger body that
// arrives (sent by a publisher with a higher limit) is dead-lettered before
// the handler, or validation, sees it, and the messages behind it are
// delivered.
func testMaxMessageBytes(t *testing.T, h *Harness) {
	e := newEnv(t, h)
	sub := e.openURL(withParam(e.url, "max_message_bytes=1000"))
	pub := e.openURL(withParam(e.url, "max_message_bytes=0"))
	r := newRecorder()
	e.subscribe(sub, []string{"size.*"}, r)

	body := func(n int) []byte {
		b := []byte(`"` + strings.Repeat("x", n-2) + `"`)
		return b
	}
	err := sub.Publish(e.ctx(), "size.out", body(1001))
	var te *distributer.TooLargeError
	if !errors.Is(err, distributer.ErrTooLarge) || !errors.As(err, &te) || te.Size != 1001 || te.Limit != 1000 ||
		te.Topic != "size.out" || !strings.Contains(err.Error(), "max_message_bytes") {
		t.Fatalf("Publish of 1001 bytes with max_message_bytes=1000: %v, want a *TooLargeError", err)
	}
	if err := sub.Publish(e.ctx(), "size.edge", body(1000)); err != nil {
		t.Fatalf("Publish of 1000 bytes with max_message_bytes=1000: %v", err)
	}
	big := body(5000)
	if err := pub.Publish(e.ctx(), "size.big", big, distributer.WithID("too-large")); err != nil {
		t.Fatalf("Publish of 5000 bytes with max_message_bytes=0: %v", err)
	}
	e.publish(pub, "size.after", `"canary"`)
	got := r.waitTopic(t, h.Timeout, "size.after")
	if ts := topics(got); len(ts) != 2 || ts[0] != "size.edge" || ts[1] != "size.after" {
		t.Errorf("handled %v, want [size.edge size.after]: the 5000-byte message must not reach the handler", ts)
	}
	checkDeadLetter(t, e.deadLetter(), "size.big", string(big), "too-large", "max_message_bytes=1000", 1)
	e.noDeadLetter()
}

// A query that Go's URL parser would read only in part is refused, on every
// driver: a ';' silently drops its parameter, a fragment is no option.
func testURLQueryReadInFull(t *testing.T, h *Harness) {
	e := newEnv(t, h)
	ctx, cancel := context.WithTimeout(context.Background(), h.Timeout)
	defer cancel()
	for _, raw := range []string{
		withParam(e.url, "max_message_bytes=10;open_wait=0"),
		withParam(e.url, "open_wait=0") + "#frag",
		withParam(e.url, "open_wait=%zz"),
	} {
		d, err := distributer.Open(ctx, raw, distributer.WithLogger(discard))
		var ue *distributer.URLError
		if err == nil {
			d.Close()
		}
		if !errors.Is(err, distributer.ErrInvalidURL) || !errors.As(err, &ue) {
			t.Errorf("Open(%q) = %v, want a *URLError", raw, err)
		}
	}
}
