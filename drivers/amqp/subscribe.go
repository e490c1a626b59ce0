package amqp

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/distributer/distributer/driver"
)

// Headers the driver sets on retry copies and dead letters. Handlers do not
// see those starting with x-distributer-, whoever set them; copies never
// carry a publisher's; and on receive the driver believes none of them
// except HeaderAttempt on a delivery from the retry exchange (see the
// package documentation, "What a publisher can forge").
const (
	// HeaderAttempt: the delivery attempt of a retry copy (2, 3, ...) on a
	// classic or fan-out queue.
	HeaderAttempt = "x-distributer-attempt"
	// HeaderRetryQueue: on a retry copy, the queue it goes back to; the
	// retry exchange routes on it. (A headers exchange ignores headers
	// starting with "x-" before RabbitMQ 3.10, hence the name.)
	HeaderRetryQueue = "distributer-retry-queue"
	// HeaderTopic: on a dead letter, the topic (routing key) the message
	// was delivered with; the dead letter's routing key is the queue's
	// name. Never read on receive: a handler's topic is always the
	// delivery's routing key.
	HeaderTopic = "x-distributer-topic"
	// HeaderError: on a retry copy, the handler's last error.
	HeaderError = "x-distributer-error"
	// HeaderReason: on a dead letter, why it was dead-lettered.
	HeaderReason = "x-distributer-reason"
	// HeaderAttempts: on a dead letter, the delivery attempts made.
	HeaderAttempts = "x-distributer-attempts"
	// HeaderQueue: on a dead letter, the queue it was dead-lettered from.
	HeaderQueue = "x-distributer-queue"
	// HeaderGroup: on a dead letter, the subscriber group, if any.
	HeaderGroup = "x-distributer-group"
	// HeaderDeadLettered: on a dead letter, when it was dead-lettered (RFC
	// 3339, UTC, milliseconds), for the age of a dead-letter queue.
	HeaderDeadLettered = "x-distributer-dead-lettered-at"
	// HeaderHeadersDropped: on a dead letter whose publisher's headers
	// could not be kept (with the driver's own, the copy's properties would
	// not fit in frame_max), the number of headers dropped.
	HeaderHeadersDropped = "x-distributer-headers-dropped"
)

// deadLetteredLayout formats HeaderDeadLettered.
const deadLetteredLayout = "2006-01-02T15:04:05.000Z07:00"

// maxHeaderText bounds error texts put in headers.
const maxHeaderText = 1024

var consumerSeq atomic.Uint64

// subscription is a driver.Subscription. It owns a goroutine that sets up a
// consumer on the current session and sets it up again after every
// reconnection, until Close.
type subscription struct {
	c   *conn
	req driver.SubscribeRequest
	h   driver.Handler

	ctx    context.Context // handlers' context, cancelled by Close
	cancel context.CancelFunc

	stop      chan struct{} // closed by Close
	done      chan struct{} // closed when run returns
	closeOnce sync.Once
	mu        sync.Mutex
	err       error
}

// consumer is a subscription's consuming channel on one session.
type consumer struct {
	decoder
	s          *session
	ch         *amqp091.Channel
	queue      string // the queue's name (broker-named for fan-out)
	tag        string // the consumer tag
	deliveries <-chan amqp091.Delivery
	cancelOnce sync.Once
	cancelErr  error

	// Retry copies are published mandatory: a copy the retry exchange
	// cannot route (the queue's binding to it is gone) comes back here
	// before its confirm, and the original is requeued instead of acked.
	// retryMu serialises retry publishes, so that a return belongs to the
	// publish that holds it, and returned drains the channel after each:
	// amqp091-go's reader goroutine blocks on a full returns channel, which
	// would stall the whole connection.
	retryMu sync.Mutex
	returns chan amqp091.Return
}

// decoder maps the deliveries of one queue to messages: what it believes
// depends on the queue's type and on the exchange a delivery came through.
type decoder struct {
	quorum        bool   // a quorum group queue: attempts are the broker's delivery count
	retryExchange string // deliveries from it are the driver's retry copies
	maxAttempts   int
	marker        string // the frame filter's marker header (conn.marker)
}

// undecodable returns why the frame filter replaced d's header table (or
// dropped properties amqp091-go could not decode), and whether it did.
func (dec decoder) undecodable(d *amqp091.Delivery) (string, bool) {
	v, ok := d.Headers[dec.marker]
	if !ok {
		return "", false
	}
	why, _ := v.(string)
	return why, true
}

// Subscribe declares the subscription's queue and bindings, starts
// consuming, and keeps doing so across reconnections until Close. ctx bounds
// the first set-up.
func (c *conn) Subscribe(ctx context.Context, req driver.SubscribeRequest, h driver.Handler) (driver.Subscription, error) {
	hctx, cancel := context.WithCancel(context.Background())
	sub := &subscription{c: c, req: req, h: h, ctx: hctx, cancel: cancel,
		stop: make(chan struct{}), done: make(chan struct{})}
	var cons *consumer
	for {
		s, err := c.session(ctx)
		if err != nil {
			cancel()
			return nil, err
		}
		cons, err = sub.setup(s)
		if err == nil {
			break
		}
		if isPermanent(err) || ctx.Err() != nil {
			cancel()
			return nil, err
		}
		// The connection died under us: try again on the next one.
		select {
		case <-s.lost:
		case <-ctx.Done():
			cancel()
			return nil, fmt.Errorf("%w (last failure: %v)", ctx.Err(), err)
		case <-time.After(c.cfg.reconnectMin):
		}
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		cons.close()
		cancel()
		return nil, driver.ErrClosed
	}
	c.wg.Add(1)
	c.mu.Unlock()
	go sub.run(cons)
	return sub, nil
}

// queueArgs are the arguments of a group queue. Classic queues get none, so
// they are equivalent to queues declared by other clients (the Python
// services); quorum queues get the broker-side delivery limit as a safety
// net for consumers that die mid-handler, and dead-letter to the same place
// as the driver does.
func (sub *subscription) queueArgs() amqp091.Table {
	cfg := sub.c.cfg
	if cfg.queueType != QueueQuorum {
		return nil
	}
	return amqp091.Table{
		"x-queue-type":              QueueQuorum,
		"x-delivery-limit":          int32(sub.req.MaxAttempts - 1), // returns allowed: max_attempts deliveries in all
		"x-dead-letter-exchange":    cfg.deadLetterEx,
		"x-dead-letter-routing-key": sub.groupQueue(),
	}
}

// groupQueue names the group's queue: queue_prefix + group.
func (sub *subscription) groupQueue() string { return sub.c.cfg.queuePrefix + sub.req.Group }

// deadLetterQueue names the queue that keeps a group queue's dead letters.
func deadLetterQueue(cfg *config, queue string) string { return cfg.deadLetterEx + "." + queue }

// setup opens a channel on s, declares the queue, binds it with every
// pattern and starts consuming, all bounded by topology_timeout.
func (sub *subscription) setup(s *session) (*consumer, error) {
	cfg := sub.c.cfg
	cons := &consumer{s: s, decoder: decoder{
		quorum:        sub.req.Group != "" && cfg.queueType == QueueQuorum,
		retryExchange: cfg.retryEx,
		maxAttempts:   max(1, sub.req.MaxAttempts),
		marker:        sub.c.marker,
	}}
	err := s.bounded(func() error {
		ch, err := s.amqp.Channel()
		if err != nil {
			return err
		}
		cons.ch = ch
		// Per-consumer prefetch (global=false): a global QoS before consuming
		// from a quorum queue closes the connection.
		if err := ch.Qos(cfg.prefetch, 0, false); err != nil {
			return err
		}
		// Redelivered and dead-lettered copies are published on this
		// channel and confirmed before the original is acked.
		if err := ch.Confirm(false); err != nil {
			return err
		}
		cons.returns = ch.NotifyReturn(make(chan amqp091.Return, 16))
		// The exchanges again: they may have been deleted since the
		// connection declared them (a subscriber must not depend on a
		// publisher to bring them back).
		if err := declareExchanges(ch, cfg); err != nil {
			return err
		}
		var q amqp091.Queue
		if sub.req.Group == "" {
			q, err = ch.QueueDeclare("", false, true, true, false, nil)
		} else {
			name := sub.groupQueue()
			q, err = ch.QueueDeclare(name, cfg.durable, false, false, false, sub.queueArgs())
			if err != nil {
				return mismatch(err, "queue", name, "")
			}
			var dlqArgs amqp091.Table
			if cfg.queueType == QueueQuorum {
				dlqArgs = amqp091.Table{"x-queue-type": QueueQuorum}
			}
			dlq := deadLetterQueue(cfg, name)
			if _, err := ch.QueueDeclare(dlq, cfg.durable, false, false, false, dlqArgs); err != nil {
				return mismatch(err, "queue", dlq, "")
			}
			if err := ch.QueueBind(dlq, name, cfg.deadLetterEx, false, nil); err != nil {
				return err
			}
		}
		if err != nil {
			return err
		}
		cons.queue = q.Name
		// Retry copies come back through the retry exchange (see giveBack):
		// every failed delivery's on classic and fan-out queues, a closing
		// member's on quorum ones.
		if err := cons.bindRetry(); err != nil {
			return err
		}
		for _, p := range sub.req.Patterns {
			if err := ch.QueueBind(q.Name, p, cfg.exchange, false, nil); err != nil {
				return fmt.Errorf("bind queue %q to %q with %q: %w", q.Name, cfg.exchange, p, err)
			}
		}
		cons.tag = "distributer-" + strconv.FormatUint(consumerSeq.Add(1), 10)
		cons.deliveries, err = ch.Consume(q.Name, cons.tag, false, false, false, false, nil)
		return err
	})
	if err != nil {
		if cons.ch != nil {
			cons.close()
		}
		return nil, fmt.Errorf("amqp: subscribe on %s: %w", s.addr, err)
	}
	return cons, nil
}

// bindRetry binds the queue to the retry exchange for the copies that name
// it in HeaderRetryQueue.
func (cons *consumer) bindRetry() error {
	err := cons.ch.QueueBind(cons.queue, "", cons.retryExchange, false,
		amqp091.Table{"x-match": "all", HeaderRetryQueue: cons.queue})
	if err != nil {
		return fmt.Errorf("bind queue %q to the retry exchange %q: %w", cons.queue, cons.retryExchange, err)
	}
	return nil
}

// close closes the consumer's channel: the broker requeues what it
// delivered and was not acked.
func (cons *consumer) close() {
	_ = cons.s.bounded(func() error {
		err := cons.ch.Close()
		if errors.Is(err, amqp091.ErrClosed) {
			return nil
		}
		return err
	})
}

// cancel stops the broker's deliveries to the consumer (basic.cancel);
// those already sent stay unacknowledged until the channel closes.
// It returns nil once amqp091 has closed cons.deliveries after the ones
// already received.
func (cons *consumer) cancel() error {
	cons.cancelOnce.Do(func() {
		cons.cancelErr = cons.s.bounded(func() error { return cons.ch.Cancel(cons.tag, false) })
	})
	return cons.cancelErr
}

// release hands the runtime, which gives them back (see settler.GiveBack),
// the deliveries that the broker had sent to this closing group member and
// no handler took (up to prefetch). Left to the channel's close they would
// come back as redelivered, which counts as an attempt (and on quorum
// queues towards the broker's x-delivery-limit): members that come and go
// would dead-letter messages no handler ever failed. A fan-out queue is
// deleted with its channel, deliveries included.
func (sub *subscription) release(cons *consumer) {
	if sub.req.Group == "" || cons.cancel() != nil {
		return
	}
	var st settler
	for d := range cons.deliveries { // ends once the prefetched ones are taken
		if sub.deliver(cons, &d, &st) {
			_ = d.Ack(false)
		}
	}
}

func (sub *subscription) stopped() bool {
	select {
	case <-sub.stop:
		return true
	default:
		return false
	}
}

// run serves cons, then a new consumer after every reconnection, until Close
// or a permanent error (the queue now exists with other settings, access
// refused).
func (sub *subscription) run(cons *consumer) {
	defer sub.c.wg.Done()
	defer close(sub.done)
	defer sub.cancel()
	c := sub.c
	backoff := c.cfg.reconnectMin
	for {
		if cons != nil {
			sub.serve(cons)
			if sub.stopped() {
				sub.release(cons)
			}
			cons.close()
			cons = nil
			if sub.stopped() {
				return
			}
		}
		s, err := c.session(sub.ctx)
		if err != nil {
			return // closed
		}
		cons, err = sub.setup(s)
		if err == nil {
			backoff = c.cfg.reconnectMin
			continue
		}
		if sub.stopped() {
			return
		}
		if isPermanent(err) {
			c.log.Error("amqp: subscription ended", "patterns", sub.req.Patterns, "group", sub.req.Group, "error", err)
			sub.mu.Lock()
			sub.err = err
			sub.mu.Unlock()
			return
		}
		c.log.Warn("amqp: re-subscribing failed, retrying", "patterns", sub.req.Patterns, "group", sub.req.Group, "retry_in", backoff, "error", err)
		select {
		case <-sub.stop:
			return
		case <-s.lost:
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, c.cfg.reconnectMax)
	}
}

// serve runs the handler workers on cons until its deliveries end (channel
// or connection closed) or the subscription is closed.
func (sub *subscription) serve(cons *consumer) {
	if sub.c.cfg.concurrency == 1 {
		sub.serveInOrder(cons)
		return
	}
	var wg sync.WaitGroup
	for range sub.c.cfg.concurrency {
		wg.Go(func() {
			var st settler
			for {
				select {
				case <-sub.stop:
					return
				case d, ok := <-cons.deliveries:
					if !ok {
						return
					}
					if sub.deliver(cons, &d, &st) {
						_ = d.Ack(false)
					}
				}
			}
		})
	}
	wg.Wait()
}

// serveInOrder is serve with one worker. Deliveries are handled in order, so
// successes can be acknowledged together: while more deliveries are waiting,
// acks are deferred and then sent as one multiple-ack, at the latest every
// quarter of the prefetch window (so the broker never waits for them). A
// failed delivery is settled on its own first; a multiple-ack skips it,
// since it is no longer outstanding.
func (sub *subscription) serveInOrder(cons *consumer) {
	var (
		last    uint64 // tag of the last success not yet acked
		pending int
	)
	batch := max(1, sub.c.cfg.prefetch/4)
	var st settler
	flush := func() {
		if pending > 0 {
			_ = cons.ch.Ack(last, true)
			pending = 0
		}
	}
	defer flush()
	for {
		var (
			d  amqp091.Delivery
			ok bool
		)
		select {
		case d, ok = <-cons.deliveries:
		default:
			flush() // nothing waiting: ack now
			select {
			case <-sub.stop:
				return
			case d, ok = <-cons.deliveries:
			}
		}
		if !ok {
			return
		}
		if sub.deliver(cons, &d, &st) {
			last = d.DeliveryTag
			pending++
			if pending >= batch {
				flush()
			}
		}
	}
}

// attempt computes a delivery's attempt number, in [1, max_attempts]. Only
// what a publisher cannot forge counts:
//   - the base is 1, or the driver's HeaderAttempt on deliveries from the
//     retry exchange (retry copies, and a closing member's give-backs);
//   - a redelivery (the broker's redelivered flag) adds, on quorum queues,
//     the broker's x-delivery-count (failed attempts are nacked back to the
//     queue; a publisher can set that header too, and the broker only
//     overwrites it from the first return on, so it is read only when the
//     flag is set), elsewhere 1 (a consumer died holding this copy).
func (dec decoder) attempt(d *amqp091.Delivery) int {
	n := 1
	if d.Exchange == dec.retryExchange {
		if v, ok := intHeader(d.Headers[HeaderAttempt]); ok && v > 1 {
			n = min(v, dec.maxAttempts)
		}
	}
	if d.Redelivered {
		if dec.quorum {
			v, ok := intHeader(d.Headers["x-delivery-count"])
			if !ok || v < 1 {
				v = 1
			}
			n += min(v, dec.maxAttempts)
		} else {
			n++
		}
	}
	return min(n, dec.maxAttempts)
}

func intHeader(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case int8:
		return int(x), true
	case int16:
		return int(x), true
	case int32:
		return int(x), true
	case int64:
		return int(x), true
	case uint8:
		return int(x), true
	case uint16:
		return int(x), true
	case uint32:
		return int(x), true
	case string:
		n, err := strconv.Atoi(x)
		return n, err == nil
	}
	return 0, false
}

// isInternalHeader reports headers the driver or the broker add, which
// handlers do not see.
func isInternalHeader(k string) bool {
	return strings.HasPrefix(k, "x-distributer-") || k == "x-death" || k == "x-delivery-count" ||
		strings.HasPrefix(k, "x-first-death-") || strings.HasPrefix(k, "x-last-death-")
}

// message maps a delivery to a driver.Message. The topic is the routing key
// the broker delivered, always: retry copies keep theirs, and no header can
// change it.
func (dec decoder) message(d *amqp091.Delivery) *driver.Message {
	m := &driver.Message{ID: d.MessageId, Topic: d.RoutingKey, Body: d.Body, Attempt: dec.attempt(d)}
	retry := d.Exchange == dec.retryExchange
	for k, v := range d.Headers {
		if isInternalHeader(k) || (retry && k == HeaderRetryQueue) {
			continue
		}
		if m.Headers == nil {
			m.Headers = make(map[string]string, len(d.Headers))
		}
		switch x := v.(type) {
		case string:
			m.Headers[k] = x
		case []byte:
			m.Headers[k] = string(x)
		default:
			m.Headers[k] = fmt.Sprint(x)
		}
	}
	return m
}

// deliver hands one delivery to the runtime, which settles it through st
// (the runtime decides how; see driver.Handler), and reports whether the
// runtime acked it: the caller then acks, in batches when it can. A
// delivery taken after Close began is handed over too: the runtime gives
// it back.
func (sub *subscription) deliver(cons *consumer, d *amqp091.Delivery, st *settler) bool {
	*st = settler{sub: sub, cons: cons, d: d}
	st.dv = driver.Delivery{Message: cons.message(d), Queue: cons.queue, Settle: st}
	if why, ok := cons.undecodable(d); ok {
		st.dv.Undecodable = "AMQP properties: " + why
	}
	sub.h(sub.ctx, &st.dv)
	return st.acked
}

// settler is the driver.Settler of one delivery. Copies (retries,
// give-backs, dead letters) are confirmed before the original is acked, so
// a failure in between means a duplicate, never a loss.
type settler struct {
	sub   *subscription
	cons  *consumer
	d     *amqp091.Delivery
	dv    driver.Delivery
	acked bool
}

// Ack leaves the ack to deliver's caller, which may batch it.
func (st *settler) Ack() error {
	st.acked = true
	return nil
}

// Redeliver gives a failed delivery its next attempt, at the tail of its
// queue. On a quorum queue it goes back to the queue (basic.reject with
// requeue: the broker counts the delivery in x-delivery-count, and requeues
// at the tail; basic.nack would not count on RabbitMQ 4). Elsewhere a copy
// with the next attempt number goes to the tail of the queue through the
// retry exchange (see giveBack).
func (st *settler) Redeliver(cause error) error {
	if st.cons.quorum {
		return st.d.Reject(true)
	}
	attempt := st.dv.Message.Attempt + 1
	err := st.sub.giveBack(st.cons, st.d, attempt, cause)
	if errors.Is(err, errTooLarge) {
		n, _ := fits(copyOf(st.d, st.sub.retryHeaders(st.cons, attempt, cause)), st.cons.frameMax())
		return fmt.Errorf("%w: with the driver's headers the copy's properties (%d bytes) would not fit in frame_max (%d)", driver.ErrCannotRedeliver, n, st.cons.frameMax())
	}
	return err
}

// GiveBack returns a group's delivery through the retry exchange with its
// attempt unchanged, on quorum queues too (a requeue would count). A
// fan-out delivery stays unacked: its queue is deleted with the channel.
func (st *settler) GiveBack() error {
	if st.sub.req.Group == "" {
		return nil
	}
	_ = st.cons.cancel() // else the broker may hand the copy back to this closing consumer
	err := st.sub.giveBack(st.cons, st.d, st.dv.Message.Attempt, nil)
	if errors.Is(err, errTooLarge) {
		return st.d.Nack(false, true) // back to the queue as it is
	}
	return err
}

// DeadLetter publishes the dead letter (see subscription.deadLetter).
func (st *settler) DeadLetter(reason string, _ error) error {
	return st.sub.deadLetter(st.cons, st.d, st.dv.Message, reason)
}

// copyOf builds a copy of d for republishing: its properties and the
// publisher's headers, without the driver's and the broker's own (whoever
// set them), plus extra.
func copyOf(d *amqp091.Delivery, extra amqp091.Table) amqp091.Publishing {
	h := make(amqp091.Table, len(d.Headers)+len(extra))
	for k, v := range d.Headers {
		if isInternalHeader(k) || k == HeaderRetryQueue {
			continue
		}
		h[k] = v
	}
	for k, v := range extra {
		h[k] = v
	}
	return amqp091.Publishing{
		Headers:         h,
		ContentType:     d.ContentType,
		ContentEncoding: d.ContentEncoding,
		DeliveryMode:    amqp091.Persistent,
		Priority:        d.Priority,
		CorrelationId:   d.CorrelationId,
		ReplyTo:         d.ReplyTo,
		MessageId:       d.MessageId,
		Timestamp:       d.Timestamp,
		Type:            d.Type,
		AppId:           d.AppId,
		Body:            d.Body,
	}
}

func clip(s string) string {
	if len(s) > maxHeaderText {
		return s[:maxHeaderText] + "..."
	}
	return s
}

// giveBack puts a copy of d with the given attempt number at the tail of
// its queue through the retry exchange, with the original routing key (so
// every consumer of the queue sees the real topic), and acks the original
// once the copy is confirmed. err, when not nil, is recorded in the copy.
// A closing member gives its deliveries back this way with their attempt
// unchanged, on quorum queues too (a requeue would count). It returns
// errTooLarge, having done nothing, when the copy would not fit in
// frame_max (see copysize.go): the caller settles d another way.
func (sub *subscription) giveBack(cons *consumer, d *amqp091.Delivery, attempt int, err error) error {
	p := copyOf(d, sub.retryHeaders(cons, attempt, err))
	if _, ok := fits(p, cons.frameMax()); !ok {
		return errTooLarge
	}
	cons.retryMu.Lock()
	defer cons.retryMu.Unlock()
	return sub.settle(cons, d, cons.retryExchange, d.RoutingKey, true, p)
}

// errTooLarge: a copy of the delivery would not fit in frame_max.
var errTooLarge = errors.New("amqp: the copy would not fit in frame_max")

// errNotSettled: the copy was not confirmed; the original went back to its
// queue (or stays unacked until the channel closes).
var errNotSettled = errors.New("amqp: the copy was not confirmed; the message stays in its queue")

// retryHeaders are the driver's headers on a retry copy.
func (sub *subscription) retryHeaders(cons *consumer, attempt int, err error) amqp091.Table {
	extra := amqp091.Table{HeaderAttempt: int32(attempt), HeaderRetryQueue: cons.queue}
	if err != nil {
		extra[HeaderError] = clip(err.Error())
	}
	return extra
}

// frameMax is the connection's negotiated frame_max (0: no limit).
func (cons *consumer) frameMax() int { return cons.s.amqp.Config.FrameSize }

// deadLetter publishes a copy to the dead-letter exchange, routing key = the
// queue's name, with the reason and the topic (the delivery's routing key),
// then acks the original. An undecodable delivery's copy keeps the body and
// the other properties; its header table is lost (the frame filter replaced
// it with the marker, which copies never carry).
func (sub *subscription) deadLetter(cons *consumer, d *amqp091.Delivery, m *driver.Message, reason string) error {
	key := cons.queue
	extra := amqp091.Table{
		HeaderTopic:        m.Topic,
		HeaderReason:       clip(reason),
		HeaderAttempts:     int32(m.Attempt),
		HeaderQueue:        cons.queue,
		HeaderGroup:        sub.req.Group,
		HeaderDeadLettered: time.Now().UTC().Format(deadLetteredLayout),
	}
	p := copyOf(d, extra)
	if _, ok := fits(p, cons.frameMax()); !ok {
		// The publisher's headers cannot travel with the driver's: the
		// dead letter keeps the body, the other properties and the reason.
		extra[HeaderHeadersDropped] = int32(len(p.Headers) - len(extra))
		p.Headers = extra
	}
	return sub.settle(cons, d, sub.c.cfg.deadLetterEx, key, false, p)
}

// settle publishes p and, once confirmed, acks d. If the copy is not
// confirmed, or (mandatory) the broker returned it as unroutable, d goes
// back to the queue (nack with requeue; when the channel is gone the broker
// requeues it anyway) and settle returns errNotSettled. A mandatory publish
// must hold cons.retryMu.
func (sub *subscription) settle(cons *consumer, d *amqp091.Delivery, exchange, key string, mandatory bool, p amqp091.Publishing) error {
	dc, err := cons.ch.PublishWithDeferredConfirm(exchange, key, mandatory, false, p)
	if err != nil {
		// Usually the channel is closed and this fails too; otherwise the
		// delivery must not stay outstanding, where a later multiple-ack
		// would cover it.
		_ = d.Nack(false, true)
		return errNotSettled
	}
	t := time.NewTimer(sub.c.cfg.topologyTimeout)
	defer t.Stop()
	select {
	case <-dc.Done(): // resolved by the broker, or as a nack when the channel closes
	case <-t.C:
		// The node does not answer: drop the connection (the supervisor
		// reconnects); the original stays unacked and is redelivered.
		cons.s.shutdown()
		return errNotSettled
	}
	if mandatory && cons.returned() {
		// The broker sends basic.return before the confirm, and amqp091
		// hands it over before resolving dc: the copy went nowhere.
		sub.c.log.Error("amqp: retry copy unroutable, binding the queue to the retry exchange again",
			"topic", d.RoutingKey, "id", d.MessageId, "queue", cons.queue, "exchange", exchange)
		_ = cons.s.bounded(cons.bindRetry)
		_ = d.Nack(false, true)
		return errNotSettled
	}
	if dc.Acked() {
		_ = d.Ack(false)
		return nil
	}
	_ = d.Nack(false, true)
	return errNotSettled
}

// returned drains the returns of mandatory publishes and reports whether
// there was one.
func (cons *consumer) returned() bool {
	n := 0
	for {
		select {
		case _, ok := <-cons.returns:
			if !ok {
				return n > 0
			}
			n++
		default:
			return n > 0
		}
	}
}

// Close stops deliveries, cancels the context of running handlers and waits
// for them; unacked messages go back to the broker.
func (sub *subscription) Close() error {
	sub.closeOnce.Do(func() {
		close(sub.stop)
		sub.cancel()
		<-sub.done
	})
	return nil
}

// Done is closed when the subscription has ended.
func (sub *subscription) Done() <-chan struct{} { return sub.done }

// Err is nil while running and after Close, the terminal error otherwise.
func (sub *subscription) Err() error {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	return sub.err
}
