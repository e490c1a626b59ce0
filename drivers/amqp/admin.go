package amqp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/distributer/distributer/driver"
)

// Errors of Admin. Test for them with errors.Is.
var (
	// ErrNotAMQP: NewAdmin was given a connection of another driver.
	ErrNotAMQP = errors.New("amqp: not a connection of the AMQP driver")
	// ErrNoQueue: the queue does not exist in the URL's vhost.
	ErrNoQueue = errors.New("amqp: no such queue")
	// ErrInUse: the queue has consumers, and the operation needs none.
	ErrInUse = errors.New("amqp: queue has consumers")
	// ErrLost: the connection (or channel) closed while an operation was
	// using it; the driver reconnects, the operation does not go on.
	ErrLost = errors.New("amqp: connection to the broker lost")
)

// Admin is an operator's view of the queues the driver makes on a broker:
// group queues and their dead-letter queues, named from the URL's options
// as the driver names them (see the package documentation). It reads and
// manages them over AMQP 0-9-1, which cannot list queues: every method
// takes the queue's name, and GroupQueue and DeadLetterQueue name a
// group's. cmd/distctl is built on it.
//
// Admin works on the connection it was made from, through its current
// session: a lost connection is re-established by the driver, and an
// operation interrupted by the loss returns an error, leaving on the broker
// every message it had not finished with (see Browse and Replay).
type Admin struct {
	c *conn
}

// NewAdmin returns the Admin of a connection of this driver, which
// distributer.(*Distributer).DriverConn returns. It is valid while the
// connection is open.
func NewAdmin(c driver.Conn) (*Admin, error) {
	ac, ok := c.(*conn)
	if !ok {
		return nil, fmt.Errorf("%w (got %T)", ErrNotAMQP, c)
	}
	return &Admin{c: ac}, nil
}

// Topology is what the URL's options name on the broker.
type Topology struct {
	VHost              string // the virtual host, "/" by default
	Exchange           string // the topic exchange (exchange=)
	DeadLetterExchange string // dead_letter_exchange=
	RetryExchange      string // retry_exchange=
	QueuePrefix        string // queue_prefix=
	QueueType          string // queue_type= of group queues: classic or quorum
}

// Topology returns the names and settings of the URL's topology.
func (a *Admin) Topology() Topology {
	cfg := a.c.cfg
	return Topology{
		VHost:              vhostName(cfg.vhostPath),
		Exchange:           cfg.exchange,
		DeadLetterExchange: cfg.deadLetterEx,
		RetryExchange:      cfg.retryEx,
		QueuePrefix:        cfg.queuePrefix,
		QueueType:          cfg.queueType,
	}
}

// vhostName is the vhost of a URL path as amqp091-go reads it: "" and "/"
// are the default vhost "/", otherwise the path without its leading slash,
// unescaped.
func vhostName(path string) string {
	p := strings.TrimPrefix(path, "/")
	if p == "" {
		return "/"
	}
	if v, err := url.PathUnescape(p); err == nil {
		return v
	}
	return p
}

// GroupQueue names the queue of a subscriber group: queue_prefix + group.
func (a *Admin) GroupQueue(group string) string { return a.c.cfg.queuePrefix + group }

// DeadLetterQueue names the queue that keeps the dead letters of a group:
// dead_letter_exchange + "." + the group's queue.
func (a *Admin) DeadLetterQueue(group string) string {
	return deadLetterQueue(a.c.cfg, a.GroupQueue(group))
}

// QueueStat is what the broker says of a queue when it is declared
// passively.
type QueueStat struct {
	Name      string
	Messages  int // ready to be delivered (not those delivered and unacknowledged)
	Consumers int
}

// Stat returns the message and consumer counts of a queue, or an error
// wrapping ErrNoQueue when it does not exist. It changes nothing.
func (a *Admin) Stat(ctx context.Context, queue string) (QueueStat, error) {
	var q amqp091.Queue
	err := a.withChannel(ctx, func(ch *amqp091.Channel) error {
		var err error
		q, err = ch.QueueDeclarePassive(queue, false, false, false, false, nil)
		return err
	})
	if err != nil {
		return QueueStat{}, a.queueErr(queue, err)
	}
	return QueueStat{Name: q.Name, Messages: q.Messages, Consumers: q.Consumers}, nil
}

// Purge removes every ready message of a queue and returns how many there
// were; an error wraps ErrNoQueue when the queue does not exist.
func (a *Admin) Purge(ctx context.Context, queue string) (int, error) {
	if _, err := a.Stat(ctx, queue); err != nil {
		return 0, err
	}
	var n int
	err := a.withChannel(ctx, func(ch *amqp091.Channel) error {
		var err error
		n, err = ch.QueuePurge(queue, false)
		return err
	})
	if err != nil {
		return 0, a.queueErr(queue, err)
	}
	return n, nil
}

// DeleteQueue deletes a queue, with its messages and bindings, and returns
// how many messages it held. Unless force is set it refuses a queue that
// has consumers, with an error wrapping ErrInUse. The check is a passive
// declare just before the delete, not one step with it: quorum queues do
// not support queue.delete's if-unused flag (RabbitMQ closes the
// connection), so a consumer that attaches in between loses the queue (a
// subscriber of this driver declares it again when it notices). A queue
// that does not exist is an error wrapping ErrNoQueue.
func (a *Admin) DeleteQueue(ctx context.Context, queue string, force bool) (int, error) {
	st, err := a.Stat(ctx, queue)
	if err != nil {
		return 0, err
	}
	if st.Consumers > 0 && !force {
		return 0, fmt.Errorf("amqp: queue %q: %w (%d)", queue, ErrInUse, st.Consumers)
	}
	var n int
	err = a.withChannel(ctx, func(ch *amqp091.Channel) error {
		var err error
		n, err = ch.QueueDelete(queue, false, false, false)
		return err
	})
	if err != nil {
		return 0, a.queueErr(queue, err)
	}
	return n, nil
}

// withChannel runs fn on a new channel of the current session (waiting for
// a reconnection within ctx), bounded by topology_timeout.
func (a *Admin) withChannel(ctx context.Context, fn func(ch *amqp091.Channel) error) error {
	s, err := a.c.session(ctx)
	if err != nil {
		return err
	}
	return s.withChannel(fn)
}

// queueErr names the queue in an error of an operation on it, and maps the
// broker's replies to the package's errors.
func (a *Admin) queueErr(queue string, err error) error {
	var ae *amqp091.Error
	if errors.As(err, &ae) {
		switch ae.Code {
		case amqp091.NotFound:
			return fmt.Errorf("amqp: queue %q in vhost %q: %w", queue, vhostName(a.c.cfg.vhostPath), ErrNoQueue)
		case amqp091.AccessRefused:
			return fmt.Errorf("amqp: queue %q: %w: %s", queue, ErrCredentials, ae.Reason)
		case amqp091.ChannelError, amqp091.ConnectionForced:
			return fmt.Errorf("amqp: queue %q: %w (%s)", queue, ErrLost, ae.Reason)
		}
	}
	return fmt.Errorf("amqp: queue %q: %w", queue, err)
}

// DeadLetter is one message of a dead-letter queue, as the driver wrote it
// (see deadLetter in subscribe.go) or as the broker dead-lettered it (a
// quorum group queue past its x-delivery-limit, read from x-death).
type DeadLetter struct {
	// ID is the message id, kept from the original message.
	ID string
	// Topic is the topic the message was delivered with (the original
	// routing key): HeaderTopic, or the first routing key of the broker's
	// x-death. "" when the dead letter does not say.
	Topic string
	// Reason says why it was dead-lettered: HeaderReason, or "broker: "
	// and the x-death reason (delivery_limit, rejected, expired, ...).
	Reason string
	// Attempts is the number of delivery attempts made (0: unknown).
	Attempts int
	// Queue and Group are the queue it was dead-lettered from and the
	// group ("" when unknown).
	Queue, Group string
	// Time is when it was dead-lettered (HeaderDeadLettered, or the
	// broker's x-death time), zero when unknown (dead letters of driver
	// versions before it was written).
	Time time.Time
	// Headers are the publisher's headers, without the driver's and the
	// broker's own.
	Headers map[string]string
	// Body is the message body.
	Body []byte
	// HeadersDropped is the number of publisher headers that could not be
	// kept (HeaderHeadersDropped).
	HeadersDropped int
	// Undecodable is set when the client could not decode the dead
	// letter's header table (the frame filter replaced it): why.
	Undecodable string
	// Redelivered is the broker's flag: the message was received before,
	// by a Browse for example.
	Redelivered bool
}

// deadLetterOf reads a dead letter from a delivery.
func (a *Admin) deadLetterOf(d *amqp091.Delivery) *DeadLetter {
	h := d.Headers
	dl := &DeadLetter{
		ID:          d.MessageId,
		Topic:       stringHeader(h[HeaderTopic]),
		Reason:      stringHeader(h[HeaderReason]),
		Queue:       stringHeader(h[HeaderQueue]),
		Group:       stringHeader(h[HeaderGroup]),
		Body:        d.Body,
		Redelivered: d.Redelivered,
	}
	dl.Attempts, _ = intHeader(h[HeaderAttempts])
	dl.HeadersDropped, _ = intHeader(h[HeaderHeadersDropped])
	if t, err := time.Parse(time.RFC3339Nano, stringHeader(h[HeaderDeadLettered])); err == nil {
		dl.Time = t
	}
	if why, ok := (decoder{marker: a.c.marker}).undecodable(d); ok {
		dl.Undecodable = why
	}
	if deaths, ok := h["x-death"].([]any); ok && len(deaths) > 0 {
		if death, ok := deaths[0].(amqp091.Table); ok { // the latest first
			if dl.Reason == "" {
				dl.Reason = "broker: " + stringHeader(death["reason"])
			}
			if dl.Queue == "" {
				dl.Queue = stringHeader(death["queue"])
			}
			if rks, ok := death["routing-keys"].([]any); ok && len(rks) > 0 && dl.Topic == "" {
				dl.Topic = stringHeader(rks[0])
			}
			if t, ok := death["time"].(time.Time); ok && dl.Time.IsZero() {
				dl.Time = t
			}
		}
	}
	for k, v := range h {
		if isInternalHeader(k) || k == HeaderRetryQueue || k == a.c.marker {
			continue
		}
		if dl.Headers == nil {
			dl.Headers = make(map[string]string, len(h))
		}
		dl.Headers[k] = stringHeader(v)
	}
	return dl
}

// stringHeader renders a header value as a string.
func stringHeader(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return string(x)
	default:
		return fmt.Sprint(x)
	}
}

// getter is a channel that receives messages from one queue with
// basic.get and holds those it does not settle: when it is closed they go
// back to the queue (basic.nack with requeue), in place, so that nothing is
// lost however an operation ends; if the connection drops first, the
// broker requeues them itself.
type getter struct {
	a     *Admin
	s     *session
	ch    *amqp091.Channel
	queue string
	held  uint64 // delivery tag of the last message held, 0 for none
	nheld int    // how many are held
}

func (a *Admin) getter(ctx context.Context, queue string) (*getter, error) {
	if _, err := a.Stat(ctx, queue); err != nil {
		return nil, err
	}
	s, err := a.c.session(ctx)
	if err != nil {
		return nil, err
	}
	g := &getter{a: a, s: s, queue: queue}
	err = s.bounded(func() error {
		var err error
		g.ch, err = s.amqp.Channel()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("amqp: open a channel on %s: %w", s.addr, err)
	}
	return g, nil
}

// get receives the next ready message; ok is false when there is none.
func (g *getter) get(ctx context.Context) (d amqp091.Delivery, ok bool, err error) {
	if err := ctx.Err(); err != nil {
		return d, false, err
	}
	err = g.s.bounded(func() error {
		var err error
		d, ok, err = g.ch.Get(g.queue, false)
		return err
	})
	if err != nil {
		return d, false, g.a.queueErr(g.queue, err)
	}
	return d, ok, nil
}

// hold keeps d unsettled until close.
func (g *getter) hold(d *amqp091.Delivery) {
	g.held = max(g.held, d.DeliveryTag)
	g.nheld++
}

// close gives every held message back to the queue and closes the
// channel. The broker requeues them after it has answered the close, so
// close then waits (at most topology_timeout) until the queue counts at
// least as many ready messages as were held: a command that follows at
// once (a replay after a show) finds them there.
func (g *getter) close() {
	err := g.s.bounded(func() error {
		if g.held > 0 {
			_ = g.ch.Nack(g.held, true, true) // every unsettled delivery up to it: the held ones
		}
		err := g.ch.Close()
		if errors.Is(err, amqp091.ErrClosed) {
			return nil
		}
		return err
	})
	if err != nil || g.nheld == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), g.a.c.cfg.topologyTimeout)
	defer cancel()
	for {
		st, err := g.a.Stat(ctx, g.queue)
		if err != nil || st.Messages >= g.nheld {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Browse reads up to limit messages from the head of a dead-letter queue
// (limit <= 0: all of them) and calls fn with each, in queue order, until
// fn returns an error, which Browse returns. Nothing is removed: the
// messages are received with basic.get and not acknowledged, so that each
// is read once, and given back to the queue (basic.nack with requeue) when
// Browse returns; RabbitMQ puts them back in place. If the connection is
// lost meanwhile, the broker requeues them. What shows: their redelivered
// flag is set, and on a quorum queue their x-delivery-count grows (the
// driver's dead-letter queues have no delivery limit); while Browse runs,
// they are invisible to other readers of the queue.
func (a *Admin) Browse(ctx context.Context, queue string, limit int, fn func(*DeadLetter) error) error {
	g, err := a.getter(ctx, queue)
	if err != nil {
		return err
	}
	defer g.close()
	for n := 0; limit <= 0 || n < limit; n++ {
		d, ok, err := g.get(ctx)
		if err != nil || !ok {
			return err
		}
		g.hold(&d)
		if err := fn(a.deadLetterOf(&d)); err != nil {
			return err
		}
	}
	return nil
}

// ReplayOutcome is what Replay did with one dead letter.
type ReplayOutcome int

// Outcomes of Replay for each dead letter it examined.
const (
	// Replayed: the copy was confirmed by the broker, then the dead letter
	// was removed.
	Replayed ReplayOutcome = iota
	// NotSelected: ReplayOptions.Select did not choose it; it stays.
	NotSelected
	// Invalid: ReplayOptions.Check refused it; it stays.
	Invalid
	// Failed: it could not be replayed (original topic unknown, header
	// table undecodable, copy unroutable or not confirmed); it stays.
	Failed
	// Repeated: it has the message id (or, without an id, the topic and
	// body) of a dead letter this Replay replayed already: the replayed
	// message failed again and was dead-lettered again, or the queue held
	// it twice. It stays, for the next Replay.
	Repeated
)

// String names the outcome.
func (o ReplayOutcome) String() string {
	switch o {
	case Replayed:
		return "replayed"
	case NotSelected:
		return "not selected"
	case Invalid:
		return "invalid"
	case Failed:
		return "failed"
	case Repeated:
		return "repeated"
	}
	return fmt.Sprintf("ReplayOutcome(%d)", int(o))
}

// ReplayOptions say which dead letters Replay replays, and where to.
type ReplayOptions struct {
	// Select chooses the dead letters to replay; nil chooses all.
	Select func(*DeadLetter) bool
	// Check, when set, is called on each chosen dead letter before it is
	// replayed (schema validation): an error keeps it in the queue, with
	// the outcome Invalid.
	Check func(*DeadLetter) error
	// Limit stops Replay after that many dead letters were replayed (0: no
	// limit).
	Limit int
	// ToExchange publishes each copy on the topic exchange with its
	// original topic, so that every queue bound to the topic gets it: the
	// group it was dead-lettered from and every other subscriber. By
	// default the copy goes to the group's queue only, with its original
	// topic, through the retry exchange (as the driver's own retries do):
	// the other groups, which handled the message, do not see it again.
	// The group's queue is the dead-letter queue's name without
	// "<dead_letter_exchange>." (HeaderQueue for a queue named otherwise).
	ToExchange bool
	// Report, when set, is called with each dead letter examined and what
	// was done with it (err says why for Invalid and Failed).
	Report func(dl *DeadLetter, o ReplayOutcome, err error)
}

// ReplayResult counts what Replay did.
type ReplayResult struct {
	Examined, Replayed, NotSelected, Invalid, Failed, Repeated int
}

// Replay republishes dead letters of a dead-letter queue with their
// original topic and removes each from the queue once the broker has
// confirmed its copy: one at a time, in queue order, so an interruption
// at any point (a cancelled ctx, a lost connection, a killed process)
// loses nothing. The dead letter being replayed when the interruption
// comes may have been published but not yet removed; it is then replayed
// again by the next Replay: a duplicate, with the same message id, at most
// one per interruption. Dead letters not replayed (not selected, invalid,
// failed) are given back to the queue in place when Replay returns.
//
// The copy has the message's body, id, properties and publisher headers,
// without the dead-letter headers, and is published mandatory: a copy no
// queue takes (the group's queue was deleted, or with ToExchange nothing
// is bound to the topic) is returned by the broker and counted Failed.
// Its consumers see it as a first attempt.
//
// Replay reads the queue until it has no ready message left, so dead
// letters that arrive meanwhile are replayed too; but a replayed message
// that fails again and comes back is recognised (Repeated) and left for
// the next Replay instead of going round.
//
// The error is about the operation (the queue does not exist, the
// connection was lost, ctx ended); the result counts what was done until
// then.
func (a *Admin) Replay(ctx context.Context, queue string, opts ReplayOptions) (ReplayResult, error) {
	var res ReplayResult
	g, err := a.getter(ctx, queue)
	if err != nil {
		return res, err
	}
	defer g.close()
	var returns chan amqp091.Return
	err = g.s.bounded(func() error {
		if err := g.ch.Confirm(false); err != nil {
			return err
		}
		returns = g.ch.NotifyReturn(make(chan amqp091.Return, 1))
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("amqp: confirm mode on %s: %w", g.s.addr, err)
	}
	cfg := a.c.cfg
	report := func(dl *DeadLetter, o ReplayOutcome, err error) {
		switch o {
		case Replayed:
			res.Replayed++
		case NotSelected:
			res.NotSelected++
		case Invalid:
			res.Invalid++
		case Failed:
			res.Failed++
		case Repeated:
			res.Repeated++
		}
		if opts.Report != nil {
			opts.Report(dl, o, err)
		}
	}
	replayed := map[string]bool{} // replayKey of each replayed dead letter
	for opts.Limit <= 0 || res.Replayed < opts.Limit {
		d, ok, err := g.get(ctx)
		if err != nil || !ok {
			return res, err
		}
		res.Examined++
		dl := a.deadLetterOf(&d)
		key := replayKey(dl)
		if replayed[key] {
			g.hold(&d)
			report(dl, Repeated, nil)
			continue
		}
		if opts.Select != nil && !opts.Select(dl) {
			g.hold(&d)
			report(dl, NotSelected, nil)
			continue
		}
		var why error
		switch {
		case dl.Undecodable != "":
			why = fmt.Errorf("its header table could not be decoded (%s)", dl.Undecodable)
		case dl.Topic == "":
			why = errors.New("its original topic is unknown (no " + HeaderTopic + " header or x-death routing key)")
		}
		if why != nil {
			g.hold(&d)
			report(dl, Failed, why)
			continue
		}
		if opts.Check != nil {
			if err := opts.Check(dl); err != nil {
				g.hold(&d)
				report(dl, Invalid, err)
				continue
			}
		}
		exchange, p := cfg.exchange, copyOf(&d, nil)
		if !opts.ToExchange {
			// The group's queue is the one whose dead letters these are,
			// by the queue's name; the dead letter's own header is only a
			// fallback for a queue named otherwise (a header can be
			// forged by anyone who may publish to the dead-letter
			// exchange).
			target, ok := strings.CutPrefix(queue, cfg.deadLetterEx+".")
			if !ok || target == "" {
				target = dl.Queue
			}
			exchange, p = cfg.retryEx, copyOf(&d, amqp091.Table{HeaderRetryQueue: target})
		}
		if n, ok := fits(p, g.s.amqp.Config.FrameSize); !ok {
			g.hold(&d)
			report(dl, Failed, fmt.Errorf("the copy's properties (%d bytes) would not fit in frame_max (%d)", n, g.s.amqp.Config.FrameSize))
			continue
		}
		if err := a.republish(ctx, g, returns, exchange, dl.Topic, p); err != nil {
			g.hold(&d)
			if errors.Is(err, errUnroutable) || errors.Is(err, ErrNotConfirmed) && ctx.Err() == nil && !g.ch.IsClosed() {
				report(dl, Failed, err)
				continue
			}
			return res, err
		}
		err = g.s.bounded(func() error { return d.Ack(false) })
		if err != nil {
			// Published, not removed: it will be replayed again.
			return res, fmt.Errorf("amqp: remove replayed dead letter %q from %q: %w", dl.ID, queue, err)
		}
		replayed[key] = true
		report(dl, Replayed, nil)
	}
	return res, nil
}

// replayKey identifies a dead letter's message: its id, or without one its
// topic and body.
func replayKey(dl *DeadLetter) string {
	if dl.ID != "" {
		return "id:" + dl.ID
	}
	h := sha256.Sum256(append([]byte(dl.Topic+"\x00"), dl.Body...))
	return "sum:" + hex.EncodeToString(h[:])
}

// errUnroutable: the broker returned a mandatory copy.
var errUnroutable = errors.New("no queue took the copy")

// republish publishes p mandatory on g's channel and waits for its
// confirm, bounded by ctx and topology_timeout.
func (a *Admin) republish(ctx context.Context, g *getter, returns chan amqp091.Return, exchange, key string, p amqp091.Publishing) error {
	dc, err := g.ch.PublishWithDeferredConfirm(exchange, key, true, false, p)
	if err != nil {
		return fmt.Errorf("amqp: publish to %q: %w", exchange, err)
	}
	t := time.NewTimer(a.c.cfg.topologyTimeout)
	defer t.Stop()
	select {
	case <-dc.Done():
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", ErrNotConfirmed, ctx.Err())
	case <-t.C:
		g.s.shutdown()
		return fmt.Errorf("%w: %s did not confirm within %v", ErrNotConfirmed, g.s.addr, a.c.cfg.topologyTimeout)
	}
	select { // amqp091 hands a return over before it resolves the confirm
	case r := <-returns:
		where := fmt.Sprintf("exchange %q, routing key %q", r.Exchange, r.RoutingKey)
		if exchange == a.c.cfg.retryEx {
			where = fmt.Sprintf("the group queue %q does not exist or is not bound to the retry exchange %q", stringHeader(p.Headers[HeaderRetryQueue]), exchange)
		}
		return fmt.Errorf("%w: %s", errUnroutable, where)
	default:
	}
	if !dc.Acked() {
		return fmt.Errorf("%w: nacked by %s", ErrNotConfirmed, g.s.addr)
	}
	return nil
}
