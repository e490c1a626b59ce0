package distributer_test

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/typed"
)

// fuzzSchema bounds numbers in every way jsonschema compares them
// (minimum, maximum, multipleOf, enum, const, integer type), at the root,
// in members and in items.
const fuzzSchema = `{
  "anyOf": [
    {"type": "object", "properties": {
      "n": {"minimum": 0}, "i": {"type": "integer", "exclusiveMaximum": 10},
      "e": {"enum": [1, 2.5, "x"]}, "c": {"const": 1e3},
      "a": {"type": "array", "items": {"multipleOf": 0.5, "maximum": 1e300}}}},
    {"type": "array", "items": {"minimum": -1}, "uniqueItems": true},
    {"type": "number", "minimum": -1e308}
  ]
}`

// FuzzReceiveUntyped: any body published raw (no validation on the
// publisher) reaches a subscriber whose runtime validates deliveries
// (WithValidator) through memory://, and is either handled (when the
// schema accepts it) or reported invalid and dead-lettered (when it does
// not) — never both, never neither, never a crash. Seeds are number-heavy:
// 1e9999999 and its kin panicked the validator before the runtime's recover
// (issue 10, item 1).
func FuzzReceiveUntyped(f *testing.F) {
	for _, s := range []string{
		`{"n": 1, "i": 3, "e": 2.5, "c": 1000, "a": [0.5, 1]}`,
		`{"n": 1e9999999}`, `{"n": -1e9999999}`, `{"i": 1E+99999999}`, `{"e": 1e-9999999}`,
		`{"c": 1000.0}`, `{"c": 1e3}`, `{"a": [1e300, 1e301, 0.25]}`,
		`[1e9999999, 1e9999999]`, `[0, 0.0, -0]`, `1e400`, `-1e308`, `1` + strings.Repeat("0", 1100),
		`{"n": 0.` + strings.Repeat("0", 1200) + `1}`, `{"i": 9.99999999999999999999999}`,
		`{"a": [` + strings.Repeat("0.5,", 300) + `1]}`, `"x"`, `null`,
	} {
		f.Add([]byte(s))
	}
	schemas, err := typed.Compile(map[string]string{"n.json": fuzzSchema}, map[string]string{"fuzz.numbers": "n.json"})
	if err != nil {
		f.Fatal(err)
	}
	url, _ := newURL("")
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	var mu sync.Mutex
	results := map[string]chan string{} // message ID -> "handled" or "invalid"
	report := func(id, what string) {
		mu.Lock()
		ch := results[id]
		mu.Unlock()
		if ch != nil {
			ch <- what
		}
	}
	sub, err := distributer.Open(ctx, url, distributer.WithValidator(schemas), distributer.WithLogger(quiet),
		distributer.OnInvalid(func(_ context.Context, m *distributer.Message, _ error) { report(m.ID, "invalid") }))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { sub.Close() })
	if _, err := sub.Subscribe(ctx, []string{"fuzz.numbers"}, distributer.HandlerFunc(func(_ context.Context, m *distributer.Message) error {
		report(m.ID, "handled")
		return nil
	})); err != nil {
		f.Fatal(err)
	}
	pub, err := distributer.Open(ctx, url, distributer.WithLogger(quiet))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { pub.Close() })
	var n int
	f.Fuzz(func(t *testing.T, body []byte) {
		n++
		id := "m" + strconv.Itoa(n)
		ch := make(chan string, 2)
		mu.Lock()
		results[id] = ch
		mu.Unlock()
		defer func() {
			mu.Lock()
			delete(results, id)
			mu.Unlock()
		}()
		if err := pub.Publish(ctx, "fuzz.numbers", body, distributer.WithID(id)); err != nil {
			return // not JSON: refused before anything is sent
		}
		want := "handled"
		if schemas.Validate("fuzz.numbers", body) != nil {
			want = "invalid"
		}
		select {
		case got := <-ch:
			if got != want {
				t.Fatalf("body %q: %s, want %s", body, got, want)
			}
		case <-time.After(wait):
			t.Fatalf("body %q: neither handled nor reported invalid within %v", body, wait)
		}
		select {
		case got := <-ch:
			t.Fatalf("body %q: also %s", body, got)
		case <-time.After(time.Millisecond):
		}
	})
}
