package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/distributer/distributer/driver"
	"github.com/distributer/distributer/drivers/amqp"
)

// AMQP 0-9-1 has no way to list queues or bindings. RabbitMQ's management
// plugin has an HTTP API that does; the list commands use it when they are
// given its URL (-management), to find the groups and dead-letter queues
// whose names they are not given, and the bindings of group queues. Only
// three read-only calls are made:
//
//	GET /api/exchanges/{vhost}/{retry exchange}/bindings/source  group queues
//	GET /api/exchanges/{vhost}/{dead-letter exchange}/bindings/source  dead-letter queues
//	GET /api/queues/{vhost}/{queue}/bindings  a group queue's patterns
//
// Every group queue the driver declares is bound to the retry exchange on
// its own name, and every dead-letter queue to the dead-letter exchange on
// its group queue's name: those bindings are how the driver's queues are
// told from others. Message and consumer counts come from the AMQP
// connection, as without the API.

// managementFlag adds -management to a list command.
func (c *command) managementFlag() *string {
	return c.fl.String("management", c.e.getenv(envManagement),
		"RabbitMQ management API URL, e.g. http://127.0.0.1:15672, to list without GROUP arguments and show bindings (default $"+envManagement+"; credentials: the URL's, else the broker URL's)")
}

// mgmt is a client of the management HTTP API.
type mgmt struct {
	base       *url.URL // without user information
	user, pass string
	vhost      string
	http       *http.Client
}

// management returns the API client for raw; the credentials are raw's
// user information, else the broker URL's, else guest:guest. On failure
// it prints why and returns the exit code.
func (c *command) management(raw string, a *amqp.Admin) (*mgmt, int) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, c.usageErr("-management %s: want http://host:15672 or https://host:15671", driver.RedactURL(raw))
	}
	m := &mgmt{vhost: a.Topology().VHost, http: &http.Client{Timeout: 10 * time.Second}, user: "guest", pass: "guest"}
	if bu, err := url.Parse(strings.TrimSpace(*c.url)); err == nil && bu.User != nil {
		m.user = bu.User.Username()
		m.pass, _ = bu.User.Password()
	}
	if u.User != nil {
		m.user = u.User.Username()
		m.pass, _ = u.User.Password()
	}
	b := *u
	b.User = nil
	b.Path = strings.TrimSuffix(b.Path, "/")
	b.RawPath = ""
	b.RawQuery, b.Fragment = "", ""
	m.base = &b
	return m, 0
}

// binding is one binding as the API returns it.
type binding struct {
	Source          string `json:"source"`
	Destination     string `json:"destination"`
	DestinationType string `json:"destination_type"`
	RoutingKey      string `json:"routing_key"`
}

// get fetches an API path (its segments escaped by the caller) into v.
func (m *mgmt) get(ctx context.Context, path string, v any) error {
	u := m.base.String() + path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.SetBasicAuth(m.user, m.pass)
	resp, err := m.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text repeats the URL
		}
		return fmt.Errorf("management API at %s: %w (is the rabbitmq_management plugin enabled? rabbitmq-plugins enable rabbitmq_management)", m.base, err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusUnauthorized, http.StatusForbidden:
		return fmt.Errorf("management API at %s: %s: the user %q may not use it (it needs the monitoring or management tag; give other credentials in -management)", m.base, resp.Status, m.user)
	case http.StatusNotFound:
		return errNotFound
	default:
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("management API at %s: GET %s: %s %s", m.base, path, resp.Status, strings.TrimSpace(string(body)))
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(v); err != nil {
		return fmt.Errorf("management API at %s: GET %s: %w", m.base, path, err)
	}
	return nil
}

var errNotFound = errors.New("not found")

// sourceBindings returns the queues bound to an exchange ([] when the
// exchange does not exist).
func (m *mgmt) sourceBindings(ctx context.Context, exchange string) ([]binding, error) {
	var bs []binding
	err := m.get(ctx, "/api/exchanges/"+url.PathEscape(m.vhost)+"/"+url.PathEscape(exchange)+"/bindings/source", &bs)
	if errors.Is(err, errNotFound) {
		return nil, nil
	}
	out := bs[:0]
	for _, b := range bs {
		if b.DestinationType == "queue" {
			out = append(out, b)
		}
	}
	return out, err
}

// groupQueues lists the group queues of the topology: the queues bound to
// its retry exchange whose name starts with its queue prefix, without the
// broker-named queues of subscribers without a group (amq.gen-...).
func (m *mgmt) groupQueues(ctx context.Context, top amqp.Topology) ([]string, error) {
	bs, err := m.sourceBindings(ctx, top.RetryExchange)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, b := range bs {
		q := b.Destination
		if strings.HasPrefix(q, "amq.gen-") || !strings.HasPrefix(q, top.QueuePrefix) || q == top.QueuePrefix || seen[q] {
			continue
		}
		seen[q] = true
		out = append(out, q)
	}
	sort.Strings(out)
	return out, nil
}

// dlq is a dead-letter queue and the group queue it keeps the dead letters
// of.
type dlq struct{ queue, groupQueue string }

// deadLetterQueues lists the queues bound to the dead-letter exchange on
// a group queue's name within the topology's queue prefix.
func (m *mgmt) deadLetterQueues(ctx context.Context, top amqp.Topology) ([]dlq, error) {
	bs, err := m.sourceBindings(ctx, top.DeadLetterExchange)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []dlq
	for _, b := range bs {
		if b.Destination != top.DeadLetterExchange+"."+b.RoutingKey || !strings.HasPrefix(b.RoutingKey, top.QueuePrefix) || seen[b.Destination] {
			continue // not one the driver made (a "#" watcher, another prefix)
		}
		seen[b.Destination] = true
		out = append(out, dlq{queue: b.Destination, groupQueue: b.RoutingKey})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].queue < out[j].queue })
	return out, nil
}

// patterns returns the patterns a queue is bound with to exchange.
func (m *mgmt) patterns(ctx context.Context, queue, exchange string) ([]string, error) {
	var bs []binding
	if err := m.get(ctx, "/api/queues/"+url.PathEscape(m.vhost)+"/"+url.PathEscape(queue)+"/bindings", &bs); err != nil {
		if errors.Is(err, errNotFound) {
			return nil, nil
		}
		return nil, err
	}
	var out []string
	for _, b := range bs {
		if b.Source == exchange {
			out = append(out, b.RoutingKey)
		}
	}
	sort.Strings(out)
	return out, nil
}
