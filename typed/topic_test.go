package typed_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/typed"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Go types of the shop schemas, as distgen would generate them.
type (
	Order struct {
		ID       uint64   `json:"id"`
		Customer Customer `json:"customer"`
		Items    []Item   `json:"items"`
		Total    Money    `json:"total"`
		Note     string   `json:"note,omitempty"`
	}
	Customer struct {
		Name string `json:"name"`
		Tier int    `json:"tier"`
	}
	Item struct {
		SKU string `json:"sku"`
		Qty int64  `json:"qty"`
	}
	Money struct {
		Amount   float64 `json:"amount"`
		Currency string  `json:"currency"`
	}
	Ping struct {
		Seq  uint64    `json:"seq"`
		From *Customer `json:"from,omitempty"`
	}
)

func order(id uint64) Order {
	return Order{
		ID:       id,
		Customer: Customer{Name: "Ada", Tier: 1},
		Items:    []Item{{SKU: "ABC-1", Qty: 2}},
		Total:    Money{Amount: 12.5, Currency: "EUR"},
	}
}

const waitFor = 5 * time.Second

var nsCounter atomic.Int64

// newURL returns a memory:// URL for a namespace no other test uses.
func newURL() string { return fmt.Sprintf("memory://typed-test-%d", nsCounter.Add(1)) }

// invalidLog records the runtime's OnInvalid calls.
type invalidLog struct {
	mu   sync.Mutex
	msgs []*distributer.Message
	errs []error
	ch   chan struct{}
}

func newInvalidLog() *invalidLog { return &invalidLog{ch: make(chan struct{}, 100)} }

func (l *invalidLog) record(_ context.Context, m *distributer.Message, err error) {
	l.mu.Lock()
	l.msgs = append(l.msgs, m)
	l.errs = append(l.errs, err)
	l.mu.Unlock()
	l.ch <- struct{}{}
}

func (l *invalidLog) wait(t *testing.T, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		select {
		case <-l.ch:
		case <-time.After(waitFor):
			t.Fatalf("OnInvalid called %d times, want %d", i, n)
		}
	}
}

func open(t *testing.T, url string, opts ...distributer.Option) *distributer.Distributer {
	t.Helper()
	opts = append([]distributer.Option{distributer.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))}, opts...)
	d, err := distributer.Open(context.Background(), url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitFor):
		t.Fatal("timed out waiting for a delivery")
	}
	panic("unreachable")
}

func TestTypedRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := shopSchemas(t)
	orders := typed.NewTopic[Order](s, "orders.created")
	if orders.Name() != "orders.created" || orders.Schemas() != s {
		t.Fatal("Name/Schemas wrong")
	}
	d := open(t, newURL())
	got := make(chan Order, 10)
	sub, err := orders.Subscribe(ctx, d, typed.HandlerFunc[Order](func(_ context.Context, o Order, m *distributer.Message) error {
		if m.Topic != "orders.created" {
			t.Errorf("topic %q", m.Topic)
		}
		got <- o
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	want := order(18446744073709551615)
	want.Note = "ring twice"
	if err := orders.Publish(ctx, d, want); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, recv(t, got)); diff != "" {
		t.Errorf("delivered (-want +got):\n%s", diff)
	}
}

func TestTypedPublishInvalidSendsNothing(t *testing.T) {
	ctx := context.Background()
	s := shopSchemas(t)
	orders := typed.NewTopic[Order](s, "orders.created")
	d := open(t, newURL())
	all := make(chan *distributer.Message, 10)
	sub, err := d.Subscribe(ctx, []string{"#"}, distributer.HandlerFunc(func(_ context.Context, m *distributer.Message) error {
		all <- m
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()

	bad := order(1)
	bad.Items[0].Qty = 0
	bad.Customer.Tier = 9
	err = orders.Publish(ctx, d, bad)
	var ve *typed.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Publish(invalid) = %v, want *ValidationError", err)
	}
	if !errors.Is(err, distributer.ErrInvalidMessage) || ve.Topic != "orders.created" || len(ve.Causes) != 2 {
		t.Errorf("error = %#v", ve)
	}
	if _, err := orders.Message(bad); !errors.As(err, &ve) {
		t.Errorf("Message(invalid) = %v", err)
	}
	// The next message through is the valid one: the invalid one was never sent.
	if err := orders.Publish(ctx, d, order(2)); err != nil {
		t.Fatal(err)
	}
	m := recv(t, all)
	if o, err := orders.Decode(m.Body); err != nil || o.ID != 2 {
		t.Fatalf("first delivered message = %s (%v), want order 2", m.Body, err)
	}
}

// receiveCase publishes raw bodies with an untyped, unvalidated Distributer
// to a typed subscriber opened with subOpts, and checks which reach the
// handler and which are reported invalid and dead-lettered.
func TestTypedReceiveValidation(t *testing.T) {
	for _, mode := range []struct {
		name string
		opts func(s *typed.Schemas) []distributer.Option
	}{
		{"typed only", func(*typed.Schemas) []distributer.Option { return nil }},
		{"WithValidator", func(s *typed.Schemas) []distributer.Option {
			return []distributer.Option{distributer.WithValidator(s)}
		}},
	} {
		t.Run(mode.name, func(t *testing.T) {
			ctx := context.Background()
			s := shopSchemas(t)
			orders := typed.NewTopic[Order](s, "orders.created")
			url := newURL()
			dead := watchDeadLetters(t, url)
			inv := newInvalidLog()
			recvD := open(t, url, append(mode.opts(s), distributer.OnInvalid(inv.record))...)
			sendD := open(t, url) // no validator: can send anything

			var calls atomic.Int64
			got := make(chan Order, 10)
			sub, err := orders.Subscribe(ctx, recvD, typed.HandlerFunc[Order](func(_ context.Context, o Order, _ *distributer.Message) error {
				calls.Add(1)
				got <- o
				return nil
			}), distributer.Group("workers"))
			if err != nil {
				t.Fatal(err)
			}
			defer sub.Close()

			invalid := []string{
				`{"id": 1}`, // required members missing
				`{"id": "one", "customer": {}, "items": [], "total": {}}`, // wrong types
			}
			for _, b := range invalid {
				if err := sendD.Publish(ctx, "orders.created", []byte(b)); err != nil {
					t.Fatal(err)
				}
			}
			inv.wait(t, len(invalid))
			for i, dl := range recvDeadLetters(t, dead, len(invalid)) {
				if dl.Topic != "orders.created" || string(dl.Body) != invalid[i] {
					t.Errorf("dead letter %d = %s %s, want %s", i, dl.Topic, dl.Body, invalid[i])
				}
			}
			inv.mu.Lock()
			for i, err := range inv.errs {
				var ve *typed.ValidationError
				if !errors.As(err, &ve) || !errors.Is(err, distributer.ErrInvalidMessage) {
					t.Errorf("OnInvalid error %d = %v, want a *ValidationError", i, err)
				}
				if string(inv.msgs[i].Body) != invalid[i] {
					t.Errorf("OnInvalid message %d = %s", i, inv.msgs[i].Body)
				}
			}
			inv.mu.Unlock()

			// The subscription keeps consuming.
			body, _ := orders.Marshal(order(3))
			if err := sendD.Publish(ctx, "orders.created", body); err != nil {
				t.Fatal(err)
			}
			if o := recv(t, got); o.ID != 3 {
				t.Fatalf("got order %d", o.ID)
			}
			if n := calls.Load(); n != 1 {
				t.Errorf("handler called %d times, want 1 (invalid messages must not reach it)", n)
			}
		})
	}
}

func TestWithValidatorUntypedPublish(t *testing.T) {
	ctx := context.Background()
	s := shopSchemas(t)
	d := open(t, newURL(), distributer.WithValidator(s))
	if d.Validator() != distributer.Validator(s) {
		t.Fatal("Validator() does not return the configured validator")
	}
	err := d.Publish(ctx, "orders.created", []byte(`{"id": 1}`))
	var ve *typed.ValidationError
	if !errors.As(err, &ve) || !errors.Is(err, distributer.ErrInvalidMessage) {
		t.Errorf("untyped Publish(invalid) = %v, want *ValidationError", err)
	}
	err = d.Publish(ctx, "orders.cancelled", []byte(`{}`))
	if !errors.Is(err, distributer.ErrNoSchema) {
		t.Errorf("untyped Publish(no schema) = %v, want ErrNoSchema", err)
	}
	if err := d.Publish(ctx, "orders.shipped", []byte(`{"order_id": 1, "carrier": "DHL"}`)); err != nil {
		t.Errorf("untyped Publish(valid) = %v", err)
	}
	// A typed topic on a Distributer that validates with the same schemas
	// still refuses invalid values (validated once, by the runtime).
	orders := typed.NewTopic[Order](s, "orders.created")
	bad := order(1)
	bad.Total.Currency = "GBP"
	if err := orders.Publish(ctx, d, bad); !errors.As(err, &ve) || ve.Causes[0].InstanceLocation != "/total/currency" {
		t.Errorf("typed Publish(invalid) with WithValidator = %v", err)
	}
}

func TestWithoutReceiveValidation(t *testing.T) {
	ctx := context.Background()
	s := shopSchemas(t)
	orders := typed.NewTopic[Order](s, "orders.created")
	url := newURL()
	dead := watchDeadLetters(t, url)
	inv := newInvalidLog()
	d := open(t, url, distributer.WithoutReceiveValidation(), distributer.OnInvalid(inv.record))
	got := make(chan Order, 10)
	sub, err := orders.Subscribe(ctx, d, typed.HandlerFunc[Order](func(_ context.Context, o Order, _ *distributer.Message) error {
		got <- o
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	// Schema-invalid but decodable: with receive checks off it is delivered.
	if err := d.Publish(ctx, "orders.created", []byte(`{"id": 5}`)); err != nil {
		t.Fatal(err)
	}
	if o := recv(t, got); o.ID != 5 {
		t.Fatalf("got %+v", o)
	}
	// Not decodable into Order: still never reaches the handler.
	if err := d.Publish(ctx, "orders.created", []byte(`{"id": "five"}`)); err != nil {
		t.Fatal(err)
	}
	inv.wait(t, 1)
	recvDeadLetters(t, dead, 1)
	inv.mu.Lock()
	var de *typed.DecodeError
	if !errors.As(inv.errs[0], &de) || !errors.Is(inv.errs[0], distributer.ErrInvalidMessage) {
		t.Errorf("OnInvalid error = %v, want *DecodeError", inv.errs[0])
	} else if de.Topic != "orders.created" || de.Pointer != "/id" {
		t.Errorf("DecodeError topic %q pointer %q, want orders.created and /id", de.Topic, de.Pointer)
	}
	inv.mu.Unlock()
}

func TestSchemasSubscribePattern(t *testing.T) {
	ctx := context.Background()
	s := shopSchemas(t)
	orders := typed.NewTopic[Order](s, "orders.created")
	pings := typed.NewTopic[Ping](s, "orders.ping")
	url := newURL()
	dead := watchDeadLetters(t, url)
	inv := newInvalidLog()
	d := open(t, url, distributer.OnInvalid(inv.record))
	got := make(chan string, 10)
	sub, err := s.Subscribe(ctx, d, []string{"orders.*"}, distributer.HandlerFunc(func(_ context.Context, m *distributer.Message) error {
		switch m.Topic {
		case orders.Name():
			o, err := orders.Unmarshal(m.Body)
			if err != nil {
				return err
			}
			got <- fmt.Sprintf("order %d", o.ID)
		case pings.Name():
			p, err := pings.Unmarshal(m.Body)
			if err != nil {
				return err
			}
			got <- fmt.Sprintf("ping %d", p.Seq)
		default:
			got <- "other " + m.Topic
		}
		return nil
	}), distributer.Group("router"))
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()

	if err := pings.Publish(ctx, d, Ping{Seq: 1}); err != nil {
		t.Fatal(err)
	}
	if g := recv(t, got); g != "ping 1" {
		t.Fatalf("got %q", g)
	}
	// Invalid for its topic, and a topic with no schema: both dead-lettered.
	_ = d.Publish(ctx, "orders.ping", []byte(`{"seq": -1}`))
	_ = d.Publish(ctx, "orders.refunded", []byte(`{"id": 1}`))
	inv.wait(t, 2)
	dls := recvDeadLetters(t, dead, 2)
	if dls[0].Topic != "orders.ping" || dls[1].Topic != "orders.refunded" {
		t.Errorf("dead letters on %s, %s", dls[0].Topic, dls[1].Topic)
	}
	inv.mu.Lock()
	if !errors.Is(inv.errs[1], distributer.ErrNoSchema) || !errors.Is(inv.errs[1], distributer.ErrInvalidMessage) {
		t.Errorf("no-schema error = %v", inv.errs[1])
	}
	inv.mu.Unlock()
	if err := orders.Publish(ctx, d, order(9)); err != nil {
		t.Fatal(err)
	}
	if g := recv(t, got); g != "order 9" {
		t.Fatalf("got %q", g)
	}
}

func TestHandlerErrorsKeepTheirMeaning(t *testing.T) {
	ctx := context.Background()
	s := shopSchemas(t)
	orders := typed.NewTopic[Order](s, "orders.created")
	url := newURL()
	dead := watchDeadLetters(t, url)
	inv := newInvalidLog()
	d := open(t, url, distributer.OnInvalid(inv.record))
	var attempts atomic.Int64
	sub, err := orders.Subscribe(ctx, d, typed.HandlerFunc[Order](func(_ context.Context, o Order, m *distributer.Message) error {
		attempts.Add(1)
		return distributer.Reject(errors.New("cannot process"))
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if err := orders.Publish(ctx, d, order(4)); err != nil {
		t.Fatal(err)
	}
	recvDeadLetters(t, dead, 1)
	if n := attempts.Load(); n != 1 {
		t.Errorf("rejected message handled %d times, want 1", n)
	}
	select {
	case <-inv.ch:
		t.Error("a handler's own rejection was reported as an invalid message")
	default:
	}
}

func TestSubscribeNilHandler(t *testing.T) {
	s := shopSchemas(t)
	d := open(t, newURL())
	if _, err := typed.NewTopic[Order](s, "orders.created").Subscribe(context.Background(), d, nil); err == nil {
		t.Error("nil Handler accepted")
	}
	if _, err := s.Subscribe(context.Background(), d, []string{"#"}, nil); err == nil {
		t.Error("nil Handler accepted")
	}
}

func recvDeadLetters(t *testing.T, ch <-chan deadLetter, n int) []deadLetter {
	t.Helper()
	var out []deadLetter
	for len(out) < n {
		select {
		case dl := <-ch:
			out = append(out, dl)
		case <-time.After(waitFor):
			t.Fatalf("got %d dead letters, want %d", len(out), n)
		}
	}
	return out
}

// A group is one queue: when subscriptions to different topics share it, a
// typed handler can be handed a message of another topic. Within one
// Distributer Subscribe refuses that (TestGroupSharedRefused); across
// Distributers (processes) it cannot, and the typed handler must never see
// the message as its own type: it is dead-lettered with a MisroutedError.
func TestMisroutedInSharedGroup(t *testing.T) {
	ctx := context.Background()
	s := shopSchemas(t)
	orders := typed.NewTopic[Order](s, "orders.created")
	url := newURL()
	dead := watchDeadLetters(t, url)
	d := open(t, url)
	// Another process binds orders.shipped to the queue of group "g", then
	// leaves: the group's queue and its bindings stay.
	other, err := open(t, url).Subscribe(ctx, []string{"orders.shipped"}, distributer.HandlerFunc(func(context.Context, *distributer.Message) error { return nil }), distributer.Group("g"))
	if err != nil {
		t.Fatal(err)
	}
	other.Close()
	var calls atomic.Int64
	sub, err := orders.Subscribe(ctx, d, typed.HandlerFunc[Order](func(context.Context, Order, *distributer.Message) error {
		calls.Add(1)
		return nil
	}), distributer.Group("g"))
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if err := d.Publish(ctx, "orders.shipped", []byte(`{"order_id": 1, "carrier": "DHL"}`)); err != nil {
		t.Fatal(err)
	}
	dl := recvDeadLetters(t, dead, 1)[0]
	if dl.Topic != "orders.shipped" || !strings.Contains(dl.Reason, "share a group") {
		t.Errorf("dead letter %s: %s", dl.Topic, dl.Reason)
	}
	if calls.Load() != 0 {
		t.Error("handler saw a message of another topic")
	}
}

// Within one Distributer, a typed subscription cannot share its group with
// a subscription to another topic (the group trap): Subscribe says so, and
// points to the Router. The conformance suite (GroupShared) checks the same
// on every driver.
func TestGroupSharedRefused(t *testing.T) {
	ctx := context.Background()
	s := shopSchemas(t)
	created := typed.NewTopic[Order](s, "orders.created")
	shipped := typed.NewTopic[map[string]any](s, "orders.shipped")
	d := open(t, newURL())
	h := typed.HandlerFunc[Order](func(context.Context, Order, *distributer.Message) error { return nil })
	sub, err := created.Subscribe(ctx, d, h, distributer.Group("billing"))
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	_, err = shipped.Subscribe(ctx, d, typed.HandlerFunc[map[string]any](func(context.Context, map[string]any, *distributer.Message) error { return nil }), distributer.Group("billing"))
	var ge *distributer.GroupSharedError
	if !errors.Is(err, distributer.ErrGroupShared) || !errors.As(err, &ge) || ge.Group != "billing" ||
		fmt.Sprint(ge.Patterns) != "[orders.shipped]" || fmt.Sprint(ge.Other) != "[orders.created]" {
		t.Fatalf("second topic in the group: err = %v", err)
	}
	for _, want := range []string{`group "billing"`, "orders.created", "orders.shipped", "typed.Router"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	// A Router subscribes both in one group.
	r := typed.NewRouter()
	typed.Route(r, created, h)
	typed.Route(r, shipped, typed.HandlerFunc[map[string]any](func(context.Context, map[string]any, *distributer.Message) error { return nil }))
	rs, err := r.Subscribe(ctx, d, distributer.Group("shipping"))
	if err != nil {
		t.Fatal(err)
	}
	rs.Close()
}
