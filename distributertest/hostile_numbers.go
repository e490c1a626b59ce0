package distributertest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/typed"
)

// Hostile numbers (issue 10, item 1): a body holding a number the
// validator cannot represent (1e9999999) must not crash or stall anyone. A
// validating publisher refuses it; a validating consumer, untyped or typed,
// dead-letters it and gets the message behind it; a validator that panics
// on a delivery dead-letters it instead of crashing the process.

// hugeNumbers are numbers jsonschema/v5 turned into a nil *big.Rat and
// panicked on, or that cost far more than their size to compare.
var hugeNumbers = []string{"1e9999999", "-1e9999999", "1E+99999999", "1e-9999999", "0.5e1000001", "1" + strings.Repeat("0", 1001)}

// numberSchemas has a topic whose schema bounds its numbers, with keywords
// that each made jsonschema compare numbers as big.Rat.
func numberSchemas(t *testing.T) *typed.Schemas {
	t.Helper()
	s, err := typed.Compile(map[string]string{"num.json": `{
		"type": "object",
		"properties": {
			"n": {"type": "integer", "minimum": 0, "maximum": 100, "multipleOf": 1},
			"tags": {"type": "array", "uniqueItems": true},
			"e": {"enum": [1, 2.5, "x"]}
		}
	}`}, map[string]string{"num.checked": "num.json"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// openWith opens a Distributer on the env's URL with extra options.
func (e *env) openWith(opts ...distributer.Option) *distributer.Distributer {
	e.t.Helper()
	all := append([]distributer.Option{distributer.WithLogger(discard)}, e.h.Options...)
	ctx, cancel := context.WithTimeout(context.Background(), e.h.Timeout)
	defer cancel()
	d, err := distributer.Open(ctx, e.url, append(all, opts...)...)
	if err != nil {
		e.t.Fatalf("Open(%q): %v", e.url, err)
	}
	e.t.Cleanup(func() { _ = d.Close() })
	return d
}

// hugeBodies are the hostile bodies: each huge number under each keyword.
func hugeBodies() []string {
	var out []string
	for _, n := range hugeNumbers {
		out = append(out, `{"n": `+n+`}`, `{"tags": [1, `+n+`, 2]}`, `{"e": `+n+`}`, `{"other": [`+n+`]}`)
	}
	return out
}

// A validating publisher refuses every hostile body with a
// *typed.ValidationError naming the number's JSON pointer.
func testHostileNumbersPublish(t *testing.T, h *Harness) {
	e := newEnv(t, h)
	d := e.openWith(distributer.WithValidator(numberSchemas(t)))
	ctx := e.ctx()
	for _, body := range hugeBodies() {
		err := d.Publish(ctx, "num.checked", []byte(body))
		var ve *typed.ValidationError
		if !errors.As(err, &ve) || !errors.Is(err, typed.ErrNumberRange) || !errors.Is(err, distributer.ErrInvalidMessage) {
			t.Errorf("Publish(%.60s) = %v, want a *typed.ValidationError wrapping ErrNumberRange", body, err)
			continue
		}
		if len(ve.Causes) != 1 || ve.Causes[0].InstanceLocation == "" {
			t.Errorf("Publish(%.60s): causes %+v, want one naming the number's pointer", body, ve.Causes)
		}
	}
}

// Hostile bodies published by a non-validating publisher are dead-lettered
// by validating consumers, untyped (WithValidator) and typed (a Topic's
// own check), and the valid message behind each is delivered.
func testHostileNumbersReceive(t *testing.T, h *Harness) {
	e := newEnv(t, h)
	schemas := numberSchemas(t)
	pub := e.open()
	untyped := e.openWith(distributer.WithValidator(schemas))
	plain := e.open()
	r := newRecorder()
	e.subscribe(untyped, []string{"num.*"}, r, distributer.Group("untyped"))
	topic := typed.NewTopic[map[string]any](schemas, "num.checked")
	typedGot := make(chan map[string]any, 100)
	ts, err := topic.Subscribe(e.ctx(), plain, typed.HandlerFunc[map[string]any](func(ctx context.Context, v map[string]any, m *distributer.Message) error {
		typedGot <- v
		return nil
	}), distributer.Group("typed"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ts.Close() })

	hostile := []string{`{"n": 1e9999999}`, `{"tags": [-1e9999999]}`, `{"e": 1E+99999999}`}
	for i, body := range hostile {
		e.publish(pub, "num.checked", body)
		e.publish(pub, "num.checked", `{"n": 7}`)
		// Two dead letters (one per group), in any order.
		for range 2 {
			dl := e.deadLetter()
			if string(dl.Body) != body {
				t.Errorf("dead letter %s, want %s", dl.Body, body)
			}
			if dl.Reason != "" && !strings.Contains(dl.Reason, "outside the supported range") {
				t.Errorf("dead letter reason %q does not say the number is out of range", dl.Reason)
			}
		}
		got := r.waitN(t, h.Timeout, i+1)
		if !slices.Equal(bodies(got), slices.Repeat([]string{`{"n": 7}`}, i+1)) {
			t.Errorf("untyped deliveries %v, want only the valid messages", bodies(got))
		}
		select {
		case v := <-typedGot:
			if v["n"] != 7.0 {
				t.Errorf("typed delivery %v, want n=7", v)
			}
		case <-time.After(h.Timeout):
			t.Fatal("typed subscriber: the valid message behind the hostile one never came")
		}
	}
}

// A validator that panics on a delivery (defence in depth: none of ours
// does any more) dead-letters the message; the consumer goes on.
func testHostileValidatorPanic(t *testing.T, h *Harness) {
	e := newEnv(t, h)
	pub := e.open()
	d := e.openWith(distributer.WithValidator(panicValidator{}))
	r := newRecorder()
	e.subscribe(d, []string{"num.*"}, r)
	e.publish(pub, "num.boom", `{"boom": true}`)
	dl := e.deadLetter()
	if string(dl.Body) != `{"boom": true}` || (dl.Reason != "" && !strings.Contains(dl.Reason, "validator panicked")) {
		t.Errorf("dead letter %s (reason %q), want the panicking body, reason naming the panic", dl.Body, dl.Reason)
	}
	e.publish(pub, "num.fine", `{}`)
	got := r.waitTopic(t, h.Timeout, "num.fine")
	if len(got) != 1 {
		t.Errorf("deliveries %s, want only num.fine", summary(got))
	}
}

// panicValidator panics on bodies that contain "boom", as jsonschema/v5
// did on huge numbers.
type panicValidator struct{}

func (panicValidator) Validate(topic string, body []byte) error {
	if strings.Contains(string(body), "boom") {
		panic("boom: nil *big.Rat")
	}
	return nil
}
