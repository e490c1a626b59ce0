package amqp

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/distributer/distributer/driver"
)

func mustParse(t *testing.T, raw string) *config {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	c, err := parseURL(u)
	if err != nil {
		t.Fatalf("parseURL(%q): %v", raw, err)
	}
	return c
}

func TestParseURLDefaults(t *testing.T) {
	c := mustParse(t, "rabbitmq://u:p@broker/")
	if c.scheme != "amqp" || c.exchange != "distributer" || !c.durable || !c.exchangeDurable || c.queueType != QueueClassic ||
		c.deadLetterEx != "distributer.dlx" || c.retryEx != "distributer.retry" || c.prefetch != DefaultPrefetch ||
		c.concurrency != 1 || c.heartbeat != 10*time.Second || c.tls != nil {
		t.Errorf("defaults: %+v", c)
	}
	if got := c.dialURL(c.endpoints[0]); got != "amqp://u:p@broker:5672/" {
		t.Errorf("dialURL = %q", got)
	}
	c = mustParse(t, "amqps://broker/my%2Fvhost?exchange=one&durable=false&heartbeat=500ms&server_name_indication=rabbit.example")
	if c.scheme != "amqps" || c.endpoints[0].port != "5671" || c.exchange != "one" || c.durable || c.exchangeDurable || c.deadLetterEx != "one.dlx" || c.retryEx != "one.retry" ||
		c.heartbeat != 500*time.Millisecond || c.tls == nil || c.tls.ServerName != "rabbit.example" {
		t.Errorf("amqps: %+v", c)
	}
	// amqp091-go gets amqp://: the driver's Dial does the TLS handshake.
	if got := c.dialURL(c.endpoints[0]); got != "amqp://guest:guest@broker:5671/my%2Fvhost" {
		t.Errorf("dialURL = %q", got)
	}
}

// A URL without a host is refused before any connection: amqp:///u:p@h/
// (three slashes) would otherwise dial localhost as guest, with the
// credentials in the vhost. So is an IPv6 address without brackets, which
// would dial another address.
func TestParseURLNeedsHost(t *testing.T) {
	for _, raw := range []string{"amqp:///", "amqp://", "amqp:///user:S3cretPw@127.0.0.1:5672/", "amqps:///x", "amqp://u:S3cretPw@::1:5672/", "amqp://h1,::1/"} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		_, err = parseURL(u)
		var ue *driver.URLError
		if !errors.As(err, &ue) || !errors.Is(err, driver.ErrInvalidURL) || strings.Contains(err.Error(), "S3cretPw") ||
			!strings.Contains(ue.Hint, "://user:pass@host:port/vhost") {
			t.Errorf("parseURL(%q) = %v, want a URLError with the form as hint, without the password", raw, err)
		}
	}
}

// durable sets the queues' durability, exchange_durable the exchanges'
// (by default the same).
func TestParseURLDurability(t *testing.T) {
	for raw, want := range map[string][2]bool{
		"amqp://h/?exchange_durable=false":                   {true, false},
		"amqp://h/?durable=false&exchange_durable=true":      {false, true},
		"amqp://h/?durable=false":                            {false, false},
		"amqp://h/?queue_type=quorum&exchange_durable=false": {true, false},
	} {
		c := mustParse(t, raw)
		if got := [2]bool{c.durable, c.exchangeDurable}; got != want {
			t.Errorf("%s: durable, exchange_durable = %v, want %v", raw, got, want)
		}
	}
}

// The host list: the one place that knows the multi-node form.
func TestParseHosts(t *testing.T) {
	c := mustParse(t, "amqp://u:p@h1:5672,h2:5673,h3:5674/")
	want := []endpoint{{"h1", "5672"}, {"h2", "5673"}, {"h3", "5674"}}
	if !slices.Equal(c.endpoints, want) {
		t.Errorf("endpoints = %v, want %v", c.endpoints, want)
	}
	if c.hostList() != "h1:5672,h2:5673,h3:5674" {
		t.Errorf("hostList = %q", c.hostList())
	}
	for raw, want := range map[string]endpoint{
		"amqp://[::1]:5673/": {"::1", "5673"},
		"amqp://h1,h2/":      {},
		"amqp://[::1]/":      {"::1", "5672"},
	} {
		wantEps := []endpoint{want}
		if want.host == "" {
			wantEps = []endpoint{{"h1", "5672"}, {"h2", "5672"}}
		}
		if c := mustParse(t, raw); !slices.Equal(c.endpoints, wantEps) {
			t.Errorf("%s: endpoints = %v, want %v", raw, c.endpoints, want)
		}
	}
}
