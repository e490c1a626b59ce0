package amqp

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/distributer/distributer/driver"
)

// Queue types for the queue_type URL option.
const (
	QueueClassic = "classic"
	QueueQuorum  = "quorum"
)

// Defaults of the URL options.
const (
	DefaultExchange        = "distributer"
	DefaultPrefetch        = 64
	DefaultConcurrency     = 1
	DefaultHeartbeat       = 10 * time.Second
	DefaultConnectTimeout  = 10 * time.Second
	DefaultTopologyTimeout = 10 * time.Second
	DefaultReconnectMin    = 200 * time.Millisecond
	DefaultReconnectMax    = 5 * time.Second
)

// knownParams are the URL query options the driver accepts.
var knownParams = []string{
	"exchange", "durable", "queue_prefix", "prefetch", "concurrency", "queue_type",
	"dead_letter_exchange", "retry_exchange", "heartbeat", "connect_timeout", "topology_timeout",
	"reconnect_min", "reconnect_max",
	"cacertfile", "certfile", "keyfile", "server_name_indication", "verify",
	"exchange_durable",
}

// endpoint is one broker node of the URL's host list.
type endpoint struct {
	host string // host name or IP, without brackets
	port string
}

func (e endpoint) addr() string { return net.JoinHostPort(e.host, e.port) }

// config is a parsed driver URL.
type config struct {
	scheme    string // "amqp" or "amqps" (rabbitmq is amqp)
	user      *url.Userinfo
	vhostPath string // the URL's escaped path, "/" meaning the default vhost
	endpoints []endpoint

	exchange     string
	queuePrefix  string
	durable      bool // group queues and their dead-letter queues
	prefetch     int
	concurrency  int
	queueType    string
	deadLetterEx string
	retryEx      string

	// exchangeDurable: the topic and dead-letter exchanges; defaults to
	// durable.
	exchangeDurable bool

	heartbeat       time.Duration
	connectTimeout  time.Duration
	topologyTimeout time.Duration
	reconnectMin    time.Duration
	reconnectMax    time.Duration

	tls *tls.Config // nil for amqp
}

// parseURL reads u into a config. The host part may list several nodes,
// comma separated: amqp://user:pass@h1:5672,h2:5673,h3/vhost. Errors wrap
// driver.ErrInvalidURL and never contain the password.
func parseURL(u *url.URL) (*config, error) {
	if err := driver.CheckQuery(u, knownParams...); err != nil {
		return nil, err
	}
	c := &config{
		scheme:          "amqp",
		user:            u.User,
		vhostPath:       u.EscapedPath(),
		durable:         true,
		prefetch:        DefaultPrefetch,
		concurrency:     DefaultConcurrency,
		queueType:       QueueClassic,
		heartbeat:       DefaultHeartbeat,
		connectTimeout:  DefaultConnectTimeout,
		topologyTimeout: DefaultTopologyTimeout,
		reconnectMin:    DefaultReconnectMin,
		reconnectMax:    DefaultReconnectMax,
	}
	defaultPort := "5672"
	switch u.Scheme {
	case "amqp", "rabbitmq":
	case "amqps":
		c.scheme = "amqps"
		defaultPort = "5671"
	default:
		return nil, fmt.Errorf("amqp driver: unsupported scheme %q: %w", u.Scheme, driver.ErrInvalidURL)
	}
	if c.user == nil {
		c.user = url.UserPassword("guest", "guest")
	}
	form := u.Scheme + "://user:pass@host:port/vhost"
	if u.Opaque != "" || u.Host == "" {
		// "amqp:///user:pass@host/" would otherwise dial localhost as guest
		// with the credentials in the vhost.
		return nil, driver.NewURLError(u.String(), "no host", "want "+form+", e.g. "+u.Scheme+"://guest:guest@localhost:"+defaultPort+"/")
	}
	eps, err := parseHosts(u.Host, defaultPort)
	if err != nil {
		var he *hostError
		if errors.As(err, &he) {
			return nil, driver.NewURLError(u.String(), "host %q: "+strings.ReplaceAll(he.why, "%", "%%"), "want "+form+"[,host:port...]", he.host)
		}
		return nil, driver.NewURLError(u.String(), strings.ReplaceAll(err.Error(), "%", "%%"), "want "+form+"[,host:port...]")
	}
	c.endpoints = eps

	q := u.Query()
	bad := func(param string, err error) error {
		return &driver.QueryError{Scheme: u.Scheme, Param: param, Value: q.Get(param), Err: err}
	}
	if v, ok := q["exchange"]; ok {
		if v[0] == "" || strings.HasPrefix(v[0], "amq.") {
			return nil, bad("exchange", errors.New("want a non-empty name that does not start with \"amq.\""))
		}
		c.exchange = v[0]
	} else {
		c.exchange = DefaultExchange
	}
	c.queuePrefix = q.Get("queue_prefix")
	c.deadLetterEx = c.exchange + ".dlx"
	if v, ok := q["dead_letter_exchange"]; ok {
		if v[0] == "" || v[0] == c.exchange || strings.HasPrefix(v[0], "amq.") {
			return nil, bad("dead_letter_exchange", errors.New("want a non-empty name other than the exchange's, not starting with \"amq.\""))
		}
		c.deadLetterEx = v[0]
	}
	c.retryEx = c.exchange + ".retry"
	if v, ok := q["retry_exchange"]; ok {
		if v[0] == "" || v[0] == c.exchange || v[0] == c.deadLetterEx || strings.HasPrefix(v[0], "amq.") {
			return nil, bad("retry_exchange", errors.New("want a non-empty name other than the exchange's and the dead-letter exchange's, not starting with \"amq.\""))
		}
		c.retryEx = v[0]
	}
	if c.retryEx == c.deadLetterEx {
		return nil, bad("dead_letter_exchange", fmt.Errorf("%q is the retry exchange: choose another name or set retry_exchange", c.deadLetterEx))
	}
	if v, ok := q["durable"]; ok {
		b, err := strconv.ParseBool(v[0])
		if err != nil {
			return nil, bad("durable", errors.New("want true or false"))
		}
		c.durable = b
	}
	c.exchangeDurable = c.durable
	if v, ok := q["exchange_durable"]; ok {
		b, err := strconv.ParseBool(v[0])
		if err != nil {
			return nil, bad("exchange_durable", errors.New("want true or false"))
		}
		c.exchangeDurable = b
	}
	intParam := func(name string, dst *int, min, max int) error {
		v, ok := q[name]
		if !ok {
			return nil
		}
		n, err := strconv.Atoi(v[0])
		if err != nil || n < min || n > max {
			return bad(name, fmt.Errorf("want an integer from %d to %d", min, max))
		}
		*dst = n
		return nil
	}
	if err := intParam("prefetch", &c.prefetch, 1, 65535); err != nil {
		return nil, err
	}
	if err := intParam("concurrency", &c.concurrency, 1, 4096); err != nil {
		return nil, err
	}
	if v, ok := q["queue_type"]; ok {
		switch v[0] {
		case QueueClassic, QueueQuorum:
			c.queueType = v[0]
		default:
			return nil, bad("queue_type", errors.New("want classic or quorum"))
		}
	}
	if c.queueType == QueueQuorum && !c.durable {
		return nil, bad("queue_type", errors.New("quorum queues are always durable: remove durable=false or use queue_type=classic"))
	}
	durParam := func(name string, dst *time.Duration, min time.Duration) error {
		v, ok := q[name]
		if !ok {
			return nil
		}
		d, err := parseDuration(v[0])
		if err != nil || d < min {
			return bad(name, fmt.Errorf("want a duration such as 10s or 500ms (integer: seconds), at least %v", min))
		}
		*dst = d
		return nil
	}
	for _, p := range []struct {
		name string
		dst  *time.Duration
		min  time.Duration
	}{
		{"heartbeat", &c.heartbeat, 0},
		{"connect_timeout", &c.connectTimeout, time.Millisecond},
		{"topology_timeout", &c.topologyTimeout, time.Millisecond},
		{"reconnect_min", &c.reconnectMin, time.Millisecond},
		{"reconnect_max", &c.reconnectMax, time.Millisecond},
	} {
		if err := durParam(p.name, p.dst, p.min); err != nil {
			return nil, err
		}
	}
	if c.reconnectMax < c.reconnectMin {
		return nil, bad("reconnect_max", fmt.Errorf("must not be below reconnect_min (%v)", c.reconnectMin))
	}

	tlsParams := []string{"cacertfile", "certfile", "keyfile", "server_name_indication", "verify"}
	if c.scheme != "amqps" {
		for _, p := range tlsParams {
			if _, ok := q[p]; ok {
				return nil, bad(p, errors.New("TLS options need the amqps scheme"))
			}
		}
		return c, nil
	}
	c.tls = &tls.Config{MinVersion: tls.VersionTLS12, ServerName: q.Get("server_name_indication")}
	if f := q.Get("cacertfile"); f != "" {
		pem, err := os.ReadFile(f)
		if err != nil {
			return nil, bad("cacertfile", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, bad("cacertfile", errors.New("no PEM certificate found"))
		}
		c.tls.RootCAs = pool
	}
	certFile, keyFile := q.Get("certfile"), q.Get("keyfile")
	if (certFile == "") != (keyFile == "") {
		return nil, bad("certfile", errors.New("certfile and keyfile go together"))
	}
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, bad("certfile", err)
		}
		c.tls.Certificates = []tls.Certificate{cert}
	}
	switch q.Get("verify") {
	case "", "verify_peer":
	case "verify_none":
		c.tls.InsecureSkipVerify = true
	default:
		return nil, bad("verify", errors.New("want verify_peer or verify_none"))
	}
	return c, nil
}

// hostError is a bad host of a host list.
type hostError struct{ host, why string }

func (e *hostError) Error() string { return fmt.Sprintf("host %q: %s", e.host, e.why) }

// parseHosts splits a URL host part into nodes: "h1:5672,h2,[::1]:5673".
func parseHosts(hosts, defaultPort string) ([]endpoint, error) {
	var eps []endpoint
	for _, h := range strings.Split(hosts, ",") {
		if h == "" {
			return nil, errors.New("empty host in host list")
		}
		if !strings.HasPrefix(h, "[") && strings.Count(h, ":") > 1 {
			return nil, &hostError{h, "an IPv6 address needs brackets: [::1]:5672"}
		}
		host, port := h, defaultPort
		if strings.HasPrefix(h, "[") || strings.Count(h, ":") == 1 {
			if strings.HasPrefix(h, "[") && !strings.Contains(h, "]:") {
				host = strings.Trim(h, "[]")
			} else {
				var err error
				host, port, err = net.SplitHostPort(h)
				if err != nil {
					return nil, &hostError{h, "want host:port"}
				}
			}
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return nil, &hostError{h, "bad port " + strconv.Quote(port)}
		}
		if host == "" {
			return nil, &hostError{h, "empty host name"}
		}
		eps = append(eps, endpoint{host: host, port: port})
	}
	return eps, nil
}

// parseDuration accepts Go durations ("10s", "250ms") and plain integers,
// which are seconds (as in RabbitMQ's heartbeat URI option).
func parseDuration(s string) (time.Duration, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 0 {
			return 0, errors.New("negative")
		}
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, err
	}
	if d < 0 {
		return 0, errors.New("negative")
	}
	return d, nil
}

// dialURL is the amqp091-go URL of one node: credentials, node, vhost.
// Never put it in an error: it holds the password. Its scheme is always
// amqp: for amqps the driver's Dial does the TLS handshake (see
// session.dial).
func (c *config) dialURL(ep endpoint) string {
	u := url.URL{Scheme: "amqp", User: c.user, Host: ep.addr()}
	path := c.vhostPath
	if path == "" {
		path = "/"
	}
	return u.String() + path
}

// hostList names the nodes for error messages: "h1:5672,h2:5673".
func (c *config) hostList() string {
	s := make([]string, len(c.endpoints))
	for i, e := range c.endpoints {
		s[i] = e.addr()
	}
	return strings.Join(s, ",")
}
