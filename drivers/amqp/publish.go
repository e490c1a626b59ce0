package amqp

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/distributer/distributer/driver"
)

// nackStorm is how long a publisher channel may receive nothing but nacks
// before it is replaced. RabbitMQ 3.10 can nack every publish of a channel
// opened before a quorum queue's new leader was recorded, until the dead
// node returns; a new channel does not have the problem. Measured in the
// cluster tests (drivers/amqp/clustertest, kill -9 of the clients' node):
// 1s gave publish stalls of ~2.8s, 250ms gives under 1s.
const nackStorm = 250 * time.Millisecond

// ErrNotConfirmed is wrapped by Publish errors for messages the broker did
// not confirm before the context ended (nacked, or the connection dropped
// and no node took them in time).
var ErrNotConfirmed = errors.New("amqp: message not confirmed by the broker")

// publishChannels is the number of publisher channels per connection.
// Concurrent Publish calls are spread over them (a batch stays on one).
// Measured with BenchmarkEndToEnd/pub16 on the 2-core test machine, 4
// channels gave no gain over 1 (0.43-0.47 vs 0.46-0.62 of the async
// baseline, three interleaved runs each): a broker with more cores may
// profit from more.
const publishChannels = 1

// pubChannel is a publisher channel of the session, in confirm mode.
type pubChannel struct {
	ch     *amqp091.Channel
	opened time.Time
	watch  writeWatch // of the writes in progress

	mu        sync.Mutex
	nackSince time.Time // first nack since the last ack; zero if none
	retired   bool      // replace it: nack storm
}

func (pc *pubChannel) noteAcks(acks, nacks int) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	switch {
	case acks > 0:
		pc.nackSince = time.Time{}
	case nacks > 0:
		now := time.Now()
		if pc.nackSince.IsZero() {
			pc.nackSince = now
		} else if now.Sub(pc.nackSince) > nackStorm {
			pc.retired = true
		}
	}
}

func (pc *pubChannel) usable() bool {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	return !pc.retired && !pc.ch.IsClosed()
}

// publisher returns the session's publisher channel, opening a new one if
// there is none or the last one closed or was retired.
func (s *session) publisher() (*pubChannel, error) {
	i := s.pubNext.Add(1) % publishChannels
	s.pubMu.Lock()
	defer s.pubMu.Unlock()
	if pc := s.pub[i]; pc != nil && pc.usable() {
		return pc, nil
	}
	if old := s.pub[i]; old != nil {
		s.pub[i] = nil
		s.c.log.Warn("amqp: replacing publisher channel", "node", s.addr, "nack_storm", !old.ch.IsClosed())
		_ = s.bounded(old.ch.Close)
		// A channel error (e.g. the exchange was deleted) closed it:
		// declare the exchanges again before publishing on.
		if err := s.declareExchanges(); err != nil {
			return nil, err
		}
	}
	var pc *pubChannel
	err := s.bounded(func() error {
		ch, err := s.amqp.Channel()
		if err != nil {
			return err
		}
		if err := ch.Confirm(false); err != nil {
			ch.Close()
			return err
		}
		pc = &pubChannel{ch: ch, opened: time.Now()}
		pc.watch.init()
		// The watchdog is one of the connection's goroutines, which Close
		// waits for: none may start once it has begun (as in Subscribe).
		s.c.mu.Lock()
		if s.c.closed {
			s.c.mu.Unlock()
			ch.Close()
			return driver.ErrClosed
		}
		s.c.wg.Add(1)
		s.c.mu.Unlock()
		go pc.watch.watch(s, ch.NotifyClose(make(chan *amqp091.Error, 1)))
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.pub[i] = pc
	return pc, nil
}

// publishing maps a message to its AMQP form: persistent, JSON, message id
// property, headers as AMQP headers.
func publishing(m *driver.Message) amqp091.Publishing {
	p := amqp091.Publishing{
		ContentType:  "application/json",
		DeliveryMode: amqp091.Persistent,
		MessageId:    m.ID,
		Body:         m.Body,
	}
	if len(m.Headers) > 0 {
		t := make(amqp091.Table, len(m.Headers))
		for k, v := range m.Headers {
			t[k] = v
		}
		p.Headers = t
	}
	return p
}

// Publish publishes msgs with publisher confirms and waits until all are
// confirmed: Send, then Wait (see driver.Sender). Every message is sent
// before the first wait, so a batch (and concurrent callers) keep many
// messages in flight. Nacked messages, and messages whose confirm was lost
// with a dying connection, are published again (after a short backoff, on a
// new connection if need be) until confirmed or ctx ends: a nack is never a
// permanent failure.
func (c *conn) Publish(ctx context.Context, msgs []*driver.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	return c.Send(ctx, msgs).Wait(ctx)
}

// Send writes msgs on the session's publisher channel, bounded by ctx, and
// returns without waiting for their confirms; Wait waits for them and
// publishes again what was not confirmed (driver.Sender).
func (c *conn) Send(ctx context.Context, msgs []*driver.Message) driver.Pending {
	p := &sending{c: c, msgs: msgs}
	if len(msgs) == 1 {
		p.pending = p.one[:]
	} else {
		p.pending = make([]int, len(msgs))
		for i := range p.pending {
			p.pending[i] = i
		}
	}
	p.write(ctx)
	return p
}

// sending is a Send under way: the messages not confirmed yet, and the
// confirms of the last write.
type sending struct {
	c       *conn
	msgs    []*driver.Message
	pending []int // indexes of msgs not confirmed yet
	one     [1]int

	// Set by write: the channel written on (nil: no write was possible),
	// the confirms of msgs[pending[:len(dcs)]], why writing stopped early,
	// and a failure that ends the Send (closed, no connection in time).
	pc      *pubChannel
	dcs     []*amqp091.DeferredConfirmation
	single  [1]*amqp091.DeferredConfirmation
	sendErr error
	err     error
	lastErr error        // the last failure that a retry may cure
	watched watchedWrite // the write in progress, for pc's watchdog
}

// write makes one attempt at writing the pending messages.
func (p *sending) write(ctx context.Context) {
	p.pc, p.dcs, p.sendErr = nil, nil, nil
	s, err := p.c.session(ctx)
	if err != nil {
		if !errors.Is(err, driver.ErrClosed) {
			if p.lastErr != nil {
				err = fmt.Errorf("%w (last failure: %v)", err, p.lastErr)
			}
			err = fmt.Errorf("%w: %w", ErrNotConfirmed, err)
		}
		p.err = err
		return
	}
	if err := s.waitUnblocked(ctx); err != nil {
		p.err = fmt.Errorf("%w: %w", ErrNotConfirmed, err)
		return
	}
	pc, err := s.publisher()
	if err != nil {
		p.lastErr = err
		return
	}
	p.pc = pc
	p.dcs = p.single[:0]
	if len(p.pending) > 1 {
		p.dcs = make([]*amqp091.DeferredConfirmation, 0, len(p.pending))
	}
	p.dcs, p.sendErr = pc.write(ctx, &p.watched, p.c.cfg.exchange, p.msgs, p.pending, p.dcs)
}

// Wait waits for the confirms of the last write and writes again what was
// not confirmed, until everything is confirmed, ctx ends or the connection
// is closed.
func (p *sending) Wait(ctx context.Context) error {
	var delay time.Duration
	for {
		if p.err != nil {
			return failed(p.msgs, p.pending, p.err)
		}
		if p.pc != nil {
			p.pending, p.lastErr = p.pc.await(ctx, p.pending, p.dcs, p.sendErr)
			if len(p.pending) == 0 {
				return nil
			}
		}
		if err := ctx.Err(); err != nil {
			return failed(p.msgs, p.pending, fmt.Errorf("%w (%v): %w", ErrNotConfirmed, p.lastErr, err))
		}
		// Short cap: after a nack storm or failover the retry must not
		// sleep long on a channel that already works again.
		delay = min(max(2*delay, 10*time.Millisecond), 250*time.Millisecond)
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return failed(p.msgs, p.pending, fmt.Errorf("%w (%v): %w", ErrNotConfirmed, p.lastErr, ctx.Err()))
		case <-p.c.closing:
			t.Stop()
			return failed(p.msgs, p.pending, driver.ErrClosed)
		}
		p.write(ctx)
	}
}

// write sends msgs[pending...] on pc, appending their deferred confirms to
// dcs, and returns them with why it stopped early (nil if it did not).
// While it writes, w registers it with pc's watchdog, which closes the
// connection if it goes on writeGrace after ctx ended.
func (pc *pubChannel) write(ctx context.Context, w *watchedWrite, exchange string, msgs []*driver.Message, pending []int, dcs []*amqp091.DeferredConfirmation) ([]*amqp091.DeferredConfirmation, error) {
	if done := ctx.Done(); done != nil {
		pc.watch.add(w, done)
		defer pc.watch.remove(w)
	}
	for _, i := range pending {
		if err := ctx.Err(); err != nil {
			return dcs, err
		}
		m := msgs[i]
		dc, err := pc.ch.PublishWithDeferredConfirm(exchange, m.Topic, false, false, publishing(m))
		if err != nil {
			return dcs, err
		}
		dcs = append(dcs, dc)
	}
	return dcs, nil
}

// await waits for the confirms dcs of msgs[pending[:len(dcs)]], written on
// pc (sendErr: why the write stopped early), and returns the indexes to
// publish again and why.
func (pc *pubChannel) await(ctx context.Context, pending []int, dcs []*amqp091.DeferredConfirmation, sendErr error) ([]int, error) {
	var retry []int
	acks, nacks := 0, 0
	for k, dc := range dcs {
		select {
		case <-dc.Done():
		case <-ctx.Done():
			// Keep what was confirmed; report the rest.
			for j := k; j < len(dcs); j++ {
				if !dcs[j].Acked() {
					retry = append(retry, pending[j])
				}
			}
			retry = append(retry, pending[len(dcs):]...)
			pc.noteAcks(acks, nacks)
			return retry, fmt.Errorf("confirm outstanding: %w", ctx.Err())
		}
		if dc.Acked() {
			acks++
		} else {
			nacks++
			retry = append(retry, pending[k])
		}
	}
	pc.noteAcks(acks, nacks)
	retry = append(retry, pending[len(dcs):]...)
	switch {
	case sendErr != nil:
		return retry, fmt.Errorf("publish: %w", sendErr)
	case nacks > 0 && pc.ch.IsClosed():
		return retry, errors.New("connection or channel closed before the broker confirmed")
	case nacks > 0:
		return retry, errors.New("nacked by the broker")
	}
	return retry, nil
}

// failed builds the error for the messages still pending: the error itself
// for a one-message batch, a *driver.BatchError otherwise.
func failed(msgs []*driver.Message, pending []int, err error) error {
	if len(msgs) == 1 {
		return err
	}
	be := &driver.BatchError{Errs: make([]error, len(msgs))}
	for _, i := range pending {
		be.Errs[i] = err
	}
	return be
}
