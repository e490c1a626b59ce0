package amqp_test

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/distributertest"
)

// brokerURL is the broker the tests use: DISTRIBUTER_AMQP_URL, or the local
// RabbitMQ. Without a broker the tests skip, except when CI=true: then they
// fail (`make test` starts the broker with scripts/ensure-rabbitmq.sh).
func brokerURL(t testing.TB) string {
	t.Helper()
	raw := os.Getenv("DISTRIBUTER_AMQP_URL")
	if raw == "" {
		raw = "amqp://guest:guest@127.0.0.1:5672/"
	}
	brokerOnce.Do(func() {
		u, err := url.Parse(raw)
		if err != nil {
			brokerErr = err
			return
		}
		host := u.Host
		if u.Port() == "" {
			host = net.JoinHostPort(u.Hostname(), "5672")
		}
		c, err := net.DialTimeout("tcp", host, 2*time.Second)
		if err != nil {
			brokerErr = err
			return
		}
		c.Close()
	})
	if brokerErr != nil {
		msg := fmt.Sprintf("no RabbitMQ at %s (%v): run scripts/ensure-rabbitmq.sh or set DISTRIBUTER_AMQP_URL", redact(raw), brokerErr)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return raw
}

var (
	brokerOnce sync.Once
	brokerErr  error
)

func redact(raw string) string { return distributer.RedactURL(raw) }

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9]+`)

// uniqueName returns a name no other test (or run) uses.
func uniqueName(t testing.TB) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := unsafeChars.ReplaceAllString(t.Name(), "-")
	if len(name) > 60 {
		name = name[len(name)-60:]
	}
	return "dt-" + strings.Trim(name, "-") + "-" + hex.EncodeToString(b[:])
}

// withQuery returns base with the query options added.
func withQuery(t testing.TB, base string, opts ...string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	for i := 0; i+1 < len(opts); i += 2 {
		q.Set(opts[i], opts[i+1])
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// namespace is a unique exchange and queue prefix; cleanup deletes the
// exchanges and the queues of the given groups.
type namespace struct {
	exchange, dlx, prefix string
}

// newNamespace returns the URL of a fresh namespace on base, with the
// extra options, and registers its cleanup.
func newNamespace(t testing.TB, base string, groups []string, opts ...string) (string, namespace) {
	t.Helper()
	name := uniqueName(t)
	ns := namespace{exchange: name, dlx: name + ".dlx", prefix: name + "."}
	u := withQuery(t, base, append([]string{"exchange", ns.exchange, "queue_prefix", ns.prefix}, opts...)...)
	t.Cleanup(func() { cleanup(t, base, ns, groups) })
	return u, ns
}

func cleanup(t testing.TB, base string, ns namespace, groups []string) {
	c, err := amqp091.Dial(plainURL(base))
	if err != nil {
		t.Logf("cleanup: %v", err)
		return
	}
	defer c.Close()
	ch, err := c.Channel()
	if err != nil {
		t.Logf("cleanup: %v", err)
		return
	}
	defer ch.Close()
	for _, g := range groups {
		q := ns.prefix + g
		_, _ = ch.QueueDelete(q, false, false, false)
		_, _ = ch.QueueDelete(ns.dlx+"."+q, false, false, false)
	}
	_ = ch.ExchangeDelete(ns.exchange, false, false)
	_ = ch.ExchangeDelete(ns.dlx, false, false)
	_ = ch.ExchangeDelete(ns.exchange+".retry", false, false)
}

// plainURL strips the driver's query options for amqp091-go.
func plainURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.RawQuery = ""
	if u.Scheme == "rabbitmq" {
		u.Scheme = "amqp"
	}
	return u.String()
}

// watchDeadLetters binds an exclusive queue to the namespace's dead-letter
// exchange with "#" and reports every dead letter.
func watchDeadLetters(t *testing.T, raw string) <-chan distributertest.DeadLetter {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	dlx := q.Get("dead_letter_exchange")
	if dlx == "" {
		dlx = q.Get("exchange") + ".dlx"
	}
	durable := q.Get("durable") != "false"
	if v := q.Get("exchange_durable"); v != "" {
		durable = v != "false"
	}
	c, err := amqp091.Dial(plainURL(raw))
	if err != nil {
		t.Fatal(err)
	}
	ch, err := c.Channel()
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.ExchangeDeclare(dlx, "topic", durable, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	dq, err := ch.QueueDeclare("", false, true, true, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.QueueBind(dq.Name, "#", dlx, false, nil); err != nil {
		t.Fatal(err)
	}
	ds, err := ch.Consume(dq.Name, "", true, true, false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := make(chan distributertest.DeadLetter, 100)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for d := range ds {
			dl := distributertest.DeadLetter{Topic: d.RoutingKey, Body: d.Body, ID: d.MessageId, Headers: map[string]string{}}
			for k, v := range d.Headers {
				dl.Headers[k] = fmt.Sprint(v)
			}
			if s, ok := d.Headers["x-distributer-topic"].(string); ok {
				dl.Topic = s
			}
			dl.Reason, _ = d.Headers["x-distributer-reason"].(string)
			if n, ok := d.Headers["x-distributer-attempts"].(int32); ok {
				dl.Attempt = int(n)
			}
			select {
			case out <- dl:
			default:
				t.Errorf("dead letter channel full; dropped %s", d.MessageId)
			}
		}
	}()
	t.Cleanup(func() {
		c.Close()
		<-done
	})
	return out
}
