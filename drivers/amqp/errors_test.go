package amqp_test

import (
	"context"
	"errors"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/driver"
	"github.com/distributer/distributer/drivers/amqp"
)

const secret = "s3cr3t-Pa55"

// A closed port: Open fails with host:port and the cause, never the
// password, and errors.Is(err, amqp.ErrUnreachable). Every node of a host
// list is named.
func TestOpenUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	l2, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr2 := l2.Addr().String()
	l2.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = distributer.Open(ctx, "amqp://user:"+secret+"@"+addr+","+addr2+"/?connect_timeout=2s&open_wait=0")
	if err == nil {
		t.Fatal("Open succeeded against a closed port")
	}
	msg := err.Error()
	if !errors.Is(err, amqp.ErrUnreachable) || !errors.Is(err, distributer.ErrUnavailable) {
		t.Errorf("error %q does not wrap ErrUnreachable and ErrUnavailable (Open may wait)", msg)
	}
	var de *amqp.DialError
	if !errors.As(err, &de) || len(de.Addrs) != 2 {
		t.Errorf("error %q is not a *DialError naming 2 nodes", msg)
	}
	for _, want := range []string{addr, addr2, "connection refused"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %q", msg, want)
		}
	}
	if strings.Contains(msg, secret) {
		t.Errorf("error %q contains the password", msg)
	}
}

// Wrong credentials give ErrCredentials, not ErrUnreachable, and no password.
func TestOpenWrongCredentials(t *testing.T) {
	base := brokerURL(t)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword("guest", secret)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = distributer.Open(ctx, u.String())
	if err == nil {
		t.Fatal("Open succeeded with a wrong password")
	}
	if !errors.Is(err, amqp.ErrCredentials) {
		t.Errorf("error %q does not wrap ErrCredentials", err)
	}
	if errors.Is(err, amqp.ErrUnreachable) || errors.Is(err, distributer.ErrUnavailable) {
		t.Errorf("error %q wraps ErrUnreachable or ErrUnavailable (Open would wait for nothing)", err)
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("error %q contains the password", err)
	}
}

// An exchange that exists with another durability: Open names the mismatch
// and the URL option that fixes it; with that option it works.
func TestOpenExchangeMismatch(t *testing.T) {
	base := brokerURL(t)
	raw, ns := newNamespace(t, base, nil)
	c, err := amqp091.Dial(plainURL(base))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ch, err := c.Channel()
	if err != nil {
		t.Fatal(err)
	}
	// Declared like the Python services declare "one": non-durable.
	if err := ch.ExchangeDeclare(ns.exchange, "topic", false, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = distributer.Open(ctx, raw)
	var me *amqp.MismatchError
	if !errors.As(err, &me) || !errors.Is(err, amqp.ErrMismatch) {
		t.Fatalf("Open = %v, want a *MismatchError", err)
	}
	if me.Option != "exchange_durable" || me.Arg != "durable" || me.Name != ns.exchange || me.Kind != "exchange" {
		t.Errorf("mismatch = %+v, want exchange %q, arg durable, option exchange_durable", me, ns.exchange)
	}
	for _, want := range []string{ns.exchange, `"exchange_durable"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	for _, opt := range []string{"exchange_durable", "durable"} {
		d, err := distributer.Open(ctx, withQuery(t, raw, opt, "false"))
		if err != nil {
			t.Fatalf("Open with %s=false: %v", opt, err)
		}
		d.Close()
		// The retry exchange has the queues' durability (durable): the
		// next Open declares it with another one.
		if err := ch.ExchangeDelete(ns.exchange+".retry", false, false); err != nil {
			t.Fatal(err)
		}
	}

	// A retry exchange that exists with another durability names durable,
	// the option it follows.
	if err := ch.ExchangeDeclare(ns.exchange+".retry", "headers", false, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	_, err = distributer.Open(ctx, withQuery(t, raw, "exchange_durable", "false"))
	if !errors.As(err, &me) || me.Option != "durable" || me.Name != ns.exchange+".retry" {
		t.Errorf("Open with a non-durable retry exchange = %v, want a *MismatchError naming durable", err)
	}
}

// A group queue that exists with another type: Subscribe names queue_type.
func TestSubscribeQueueMismatch(t *testing.T) {
	base := brokerURL(t)
	raw, _ := newNamespace(t, base, []string{"g", "g2"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d1, err := distributer.Open(ctx, withQuery(t, raw, "queue_type", "quorum"))
	if err != nil {
		t.Fatal(err)
	}
	defer d1.Close()
	h := distributer.HandlerFunc(func(context.Context, *distributer.Message) error { return nil })
	if _, err := d1.Subscribe(ctx, []string{"a"}, h, distributer.Group("g")); err != nil {
		t.Fatal(err)
	}
	d2, err := distributer.Open(ctx, raw) // classic
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	_, err = d2.Subscribe(ctx, []string{"a"}, h, distributer.Group("g"))
	var me *amqp.MismatchError
	if !errors.As(err, &me) || me.Option != "queue_type" || me.Kind != "queue" {
		t.Fatalf("Subscribe = %v, want a queue mismatch naming queue_type", err)
	}

	// Another max_attempts for an existing quorum queue: its
	// x-delivery-limit differs, and the error names max_attempts.
	d3, err := distributer.Open(ctx, withQuery(t, raw, "queue_type", "quorum", "max_attempts", "7"))
	if err != nil {
		t.Fatal(err)
	}
	defer d3.Close()
	_, err = d3.Subscribe(ctx, []string{"a"}, h, distributer.Group("g"))
	if !errors.As(err, &me) || me.Option != "max_attempts" || me.Arg != "x-delivery-limit" {
		t.Errorf("Subscribe with another max_attempts = %v, want a mismatch naming max_attempts", err)
	}

	// The other way round: a classic group queue exists, a quorum URL
	// subscribes.
	if _, err := d2.Subscribe(ctx, []string{"a"}, h, distributer.Group("g2")); err != nil {
		t.Fatal(err)
	}
	_, err = d1.Subscribe(ctx, []string{"a"}, h, distributer.Group("g2"))
	if !errors.As(err, &me) || me.Option != "queue_type" || me.Name == "" {
		t.Errorf("quorum Subscribe to a classic queue = %v, want a mismatch naming queue_type", err)
	}
}

// URL options are checked; unknown ones are refused.
func TestURLOptions(t *testing.T) {
	ctx := context.Background()
	bad := []struct{ url, param string }{
		{"amqp://h/?nope=1", "nope"},
		{"amqp://h/?prefetch=0", "prefetch"},
		{"amqp://h/?prefetch=x", "prefetch"},
		{"amqp://h/?durable=maybe", "durable"},
		{"amqp://h/?exchange_durable=", "exchange_durable"},
		{"amqp://h/?exchange_durable=maybe&durable=false", "exchange_durable"},
		{"amqp://h/?queue_type=stream", "queue_type"},
		{"amqp://h/?max_attempts=0", "max_attempts"},
		{"amqp://h/?exchange=", "exchange"},
		{"amqp://h/?exchange=amq.topic", "exchange"},
		{"amqp://h/?dead_letter_exchange=distributer", "dead_letter_exchange"},
		{"amqp://h/?retry_exchange=distributer", "retry_exchange"},
		{"amqp://h/?retry_exchange=distributer.dlx", "retry_exchange"},
		{"amqp://h/?retry_exchange=amq.headers", "retry_exchange"},
		{"amqp://h/?dead_letter_exchange=distributer.retry", "dead_letter_exchange"},
		{"amqp://h/?heartbeat=soon", "heartbeat"},
		{"amqp://h/?reconnect_min=2s&reconnect_max=1s", "reconnect_max"},
		{"amqp://h/?queue_type=quorum&durable=false", "queue_type"},
		{"amqp://h/?cacertfile=/x.pem", "cacertfile"},
		{"amqps://h/?cacertfile=/does/not/exist.pem", "cacertfile"},
		{"amqps://h/?certfile=/x.pem", "certfile"},
		{"amqps://h/?verify=maybe", "verify"},
		{"amqp://h/?prefetch=1&prefetch=2", "prefetch"},
	}
	for _, c := range bad {
		_, err := distributer.Open(ctx, c.url)
		var qe *driver.QueryError
		if !errors.As(err, &qe) || qe.Param != c.param || !errors.Is(err, distributer.ErrInvalidURL) {
			t.Errorf("Open(%q) = %v, want a QueryError for %q", c.url, err, c.param)
		}
	}
	for _, raw := range []string{"amqp://u:p@h1:5672,/", "amqp://u:p@h1:99999/", "amqp://u:p@h1:5672,h2:0/"} {
		if _, err := distributer.Open(ctx, raw); !errors.Is(err, distributer.ErrInvalidURL) || strings.Contains(err.Error(), ":p@") {
			t.Errorf("Open(%q) = %v, want ErrInvalidURL without the password", raw, err)
		}
	}
}

// rabbitmq:// is an alias of amqp://, and every option is accepted.
func TestSchemesAndOptions(t *testing.T) {
	base := brokerURL(t)
	raw, _ := newNamespace(t, base, []string{"g"}, "prefetch", "10", "concurrency", "2", "max_attempts", "4",
		"heartbeat", "5", "connect_timeout", "3s", "topology_timeout", "4s", "reconnect_min", "50ms", "reconnect_max", "2s")
	raw = strings.Replace(raw, "amqp://", "rabbitmq://", 1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d, err := distributer.Open(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	got := make(chan *distributer.Message, 1)
	if _, err := d.Subscribe(ctx, []string{"x.*"}, distributer.HandlerFunc(func(_ context.Context, m *distributer.Message) error {
		got <- m
		return nil
	}), distributer.Group("g")); err != nil {
		t.Fatal(err)
	}
	if err := d.Publish(ctx, "x.y", []byte(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		if m.Topic != "x.y" || m.Attempt != 1 {
			t.Errorf("got %+v", m)
		}
	case <-ctx.Done():
		t.Fatal("no delivery")
	}
}

// A host list whose first node is down: Open connects to the next one.
func TestOpenSkipsDeadNode(t *testing.T) {
	base := brokerURL(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close()
	raw, _ := newNamespace(t, base, nil)
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if u.Port() == "" {
		u.Host += ":5672"
	}
	u.Host = dead + "," + u.Host
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d, err := distributer.Open(ctx, u.String())
	if err != nil {
		t.Fatalf("Open(%s): %v", u.Redacted(), err)
	}
	defer d.Close()
	if err := d.Publish(ctx, "a.b", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
}
