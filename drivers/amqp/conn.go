package amqp

import (
	"context"
	crand "crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"

	"github.com/distributer/distributer/driver"
)

// Recovery is the driver's own, not amqp091-go's Config.Recovery. That
// built-in recovery (experimental in v1.16) was evaluated and falls short:
//   - it redials the single URL it was given: no failover to other nodes;
//   - it retries MaxRetryCount times at a fixed interval and then closes the
//     connection for good, so a broker down for longer is never recovered;
//     there is no capped exponential backoff;
//   - its topology calls (redeclare, consume) have no timeouts, so a hung
//     node hangs the recovery;
//   - recovered channels restart delivery tags at 1 while handlers may still
//     ack deliveries of the old channel: an ack of old tag 5 would ack the new
//     channel's message 5, which is then lost (acked, never handled);
//   - outstanding publisher confirms are resolved as nacks anyway, so
//     Publish needs its own retry loop regardless.
// So the driver owns one amqp091 connection at a time (a session), and a
// supervisor goroutine replaces it when it dies: dial the next node with
// backoff, re-declare the exchanges, reopen the publisher channel; each
// subscription then re-declares its queue and bindings and consumes again on
// a fresh channel, so stale delivery tags can never touch new deliveries.

// conn is a driver.Conn: the supervisor, the current session and the
// subscriptions.
type conn struct {
	cfg *config
	log *slog.Logger

	closing   chan struct{} // closed by Close
	closeOnce sync.Once
	wg        sync.WaitGroup // supervisor and subscriptions

	// marker names the header that the frame filter puts in place of a
	// header table amqp091-go cannot decode: x-distributer-undecodable-
	// and a random token, so that no publisher can send it.
	marker string

	mu    sync.Mutex
	sess  *session      // nil while reconnecting
	ready chan struct{} // closed when sess is set; replaced when it is lost
	next  int           // index of the endpoint to dial first (failover order)
	// closed is set by Close; Subscribe refuses to start after that. (The
	// runtime closes every subscription before it closes the connection.)
	closed bool
}

// session is one live AMQP connection to one node.
type session struct {
	c      *conn
	amqp   *amqp091.Connection
	net    net.Conn
	addr   string
	closed chan *amqp091.Error // amqp091's NotifyClose
	lost   chan struct{}       // closed when the connection is gone
	kill   sync.Once

	pubMu   sync.Mutex
	pub     [publishChannels]*pubChannel
	pubNext atomic.Uint32

	// The broker blocks a connection that publishes while a resource
	// alarm (memory, disk) is in effect: it stops reading from the socket
	// until the alarm clears (connection.blocked / connection.unblocked).
	blockMu     sync.Mutex
	blocked     chan struct{} // non-nil while blocked; closed when unblocked
	blockReason string
}

func open(ctx context.Context, cfg *config) (*conn, error) {
	c := &conn{
		cfg:     cfg,
		log:     driver.Logger(ctx).With("driver", "amqp"),
		closing: make(chan struct{}),
		ready:   make(chan struct{}),
		marker:  newMarker(),
	}
	s, err := c.connect(ctx)
	if err != nil {
		return nil, err
	}
	c.setSession(s)
	c.wg.Add(1)
	go c.supervise(s)
	return c, nil
}

// markerPrefix starts the name of the frame filter's marker header.
const markerPrefix = "x-distributer-undecodable-"

func newMarker() string { return markerPrefix + crand.Text() }

// connect dials a node (failing over along the host list) and declares the
// exchanges. It makes one pass over the nodes, starting at c.next.
func (c *conn) connect(ctx context.Context) (*session, error) {
	s, err := c.dialNext(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.declareExchanges(); err != nil {
		s.shutdown()
		return nil, err
	}
	return s, nil
}

// dialNext is the one place that walks the URL's host list: it tries each
// node once, starting with c.next, and remembers where to start next time
// (the node after the one that worked, so that a node that drops its
// connection is tried last). Access refused stops the pass at once: the
// other nodes share the same users.
func (c *conn) dialNext(ctx context.Context) (*session, error) {
	n := len(c.cfg.endpoints)
	c.mu.Lock()
	start := c.next
	c.mu.Unlock()
	de := &DialError{}
	for i := 0; i < n; i++ {
		idx := (start + i) % n
		ep := c.cfg.endpoints[idx]
		if err := ctx.Err(); err != nil {
			de.Addrs, de.Errs = append(de.Addrs, ep.addr()), append(de.Errs, err)
			break
		}
		s, err := c.dial(ctx, ep)
		if err == nil {
			c.mu.Lock()
			c.next = (idx + 1) % n
			c.mu.Unlock()
			return s, nil
		}
		if errors.Is(err, ErrCredentials) {
			return nil, err
		}
		de.Addrs, de.Errs = append(de.Addrs, ep.addr()), append(de.Errs, err)
	}
	return nil, de
}

// dial opens an AMQP connection to one node. The handshake is bounded by
// connect_timeout and ctx.
func (c *conn) dial(ctx context.Context, ep endpoint) (*session, error) {
	s := &session{c: c, addr: ep.addr(), lost: make(chan struct{})}
	timeout := c.cfg.connectTimeout
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < timeout {
		timeout = max(time.Until(dl), time.Millisecond)
	}
	var tlsCfg = c.cfg.tls
	if tlsCfg != nil {
		tlsCfg = tlsCfg.Clone()
		if tlsCfg.ServerName == "" {
			tlsCfg.ServerName = ep.host
		}
	}
	// The driver dials, and does the TLS handshake itself (amqp091-go gets
	// an amqp:// URL), so that amqp091-go reads the broker's frames through
	// the frame filter (frames.go): a message whose headers amqp091-go
	// cannot decode must not kill the connection.
	// amqp091-go's handshake takes no context: closing the socket when ctx
	// ends (Close, Open's deadline) aborts it.
	var (
		mu      sync.Mutex
		netConn net.Conn
		aborted bool
	)
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		aborted = true
		if netConn != nil {
			_ = netConn.Close()
		}
	})
	acfg := amqp091.Config{
		// The frame filter computes the limit amqp091-go applies from it.
		FrameSize:  clientFrameMax,
		Heartbeat:  c.cfg.heartbeat,
		Locale:     "en_US",
		Properties: amqp091.Table{"connection_name": "distributer"},
		Dial: func(network, addr string) (net.Conn, error) {
			d := net.Dialer{Timeout: timeout}
			nc, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			// Bounds the TLS and AMQP handshakes; amqp091-go clears it
			// once the connection is open.
			_ = nc.SetDeadline(time.Now().Add(timeout))
			mu.Lock()
			netConn = nc
			if aborted {
				_ = nc.Close()
			}
			mu.Unlock()
			conn := nc
			if tlsCfg != nil {
				tc := tls.Client(nc, tlsCfg)
				if err := tc.HandshakeContext(ctx); err != nil {
					_ = nc.Close()
					return nil, err
				}
				conn = tc
			}
			return newFrameFilter(conn, c.marker), nil
		},
	}
	ac, err := amqp091.DialConfig(c.cfg.dialURL(ep), acfg)
	if !stop() && err == nil {
		// ctx ended just as the handshake completed: the socket is closed.
		_ = ac.Close()
		err = ctx.Err()
	}
	if err != nil {
		mu.Lock()
		if netConn != nil {
			_ = netConn.Close()
		}
		mu.Unlock()
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
			err = fmt.Errorf("%w (%v)", ctxErr, err)
		}
		var ae *amqp091.Error
		if errors.As(err, &ae) && (ae.Code == amqp091.AccessRefused || ae.Code == amqp091.NotAllowed) {
			return nil, fmt.Errorf("%w: %s: %s", ErrCredentials, ep.addr(), ae.Reason)
		}
		transient := isTransient(err)
		err = scrub(err, c.cfg)
		if transient {
			err = unavailable{err}
		}
		return nil, err
	}
	s.amqp, s.net = ac, netConn
	s.closed = ac.NotifyClose(make(chan *amqp091.Error, 1))
	// amqp091 drops a notification its listener does not take within 5s:
	// a goroutine of its own always takes them at once. It ends when
	// amqp091 closes the channel with the connection.
	blocks := ac.NotifyBlocked(make(chan amqp091.Blocking, 4))
	c.wg.Add(1)
	go s.watchBlocked(blocks)
	return s, nil
}

// watchBlocked tracks the broker's connection.blocked and
// connection.unblocked notifications until the connection is gone.
func (s *session) watchBlocked(blocks <-chan amqp091.Blocking) {
	defer s.c.wg.Done()
	for b := range blocks {
		s.blockMu.Lock()
		switch {
		case b.Active && s.blocked == nil:
			s.blocked, s.blockReason = make(chan struct{}), b.Reason
			s.c.log.Warn("amqp: broker blocked the connection: publishing waits", "node", s.addr, "reason", b.Reason)
		case !b.Active && s.blocked != nil:
			close(s.blocked)
			s.blocked = nil
			s.c.log.Info("amqp: broker unblocked the connection", "node", s.addr)
		}
		s.blockMu.Unlock()
	}
	s.blockMu.Lock()
	if s.blocked != nil {
		close(s.blocked)
		s.blocked = nil
	}
	s.blockMu.Unlock()
}

// waitUnblocked waits while the broker blocks the connection, bounded by
// ctx: a publish written now would only fill the socket's buffers. It
// returns nil when the connection is unblocked, lost or closing (the caller
// then looks at the session again).
func (s *session) waitUnblocked(ctx context.Context) error {
	s.blockMu.Lock()
	b, reason := s.blocked, s.blockReason
	s.blockMu.Unlock()
	if b == nil {
		return nil
	}
	select {
	case <-b:
	case <-s.lost:
	case <-s.c.closing:
	case <-ctx.Done():
		return fmt.Errorf("amqp: connection to %s blocked by the broker (%s): %w", s.addr, reason, ctx.Err())
	}
	return nil
}

// unavailable marks a dial error that waiting may cure: errors.Is finds
// driver.ErrUnavailable in it, and distributer.Open retries.
type unavailable struct{ error }

func (e unavailable) Unwrap() []error { return []error{e.error, driver.ErrUnavailable} }

// isTransient reports whether a dial error may pass by waiting: the node
// refused, reset or closed the connection (it is down or starting), did not
// answer in time, or its name could not be resolved for the moment; or the
// broker closed the connection with 320 CONNECTION_FORCED (shutting down).
// Credentials, TLS and certificate errors, and a host name that does not
// exist, are not.
func isTransient(err error) bool {
	var (
		dnsErr *net.DNSError
		netErr net.Error
		ae     *amqp091.Error
	)
	switch {
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return false // the caller's context: Open decides
	case errors.As(err, &dnsErr):
		return dnsErr.IsTemporary || dnsErr.IsTimeout
	case errors.As(err, &ae):
		return ae == amqp091.ErrClosed || ae.Code == amqp091.ConnectionForced || ae.Code == amqp091.FrameError && strings.Contains(ae.Reason, "EOF")
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return true
	case errors.As(err, &netErr) && netErr.Timeout():
		return true
	}
	return false
}

// scrub makes sure an error text holds no password.
func scrub(err error, cfg *config) error {
	if p, ok := cfg.user.Password(); ok && p != "" && strings.Contains(err.Error(), p) {
		return errors.New("connection failed (error text withheld: it contained the password)")
	}
	return err
}

// declareExchanges declares the driver's exchanges on a channel of its own.
func (s *session) declareExchanges() error {
	return s.withChannel(func(ch *amqp091.Channel) error { return declareExchanges(ch, s.c.cfg) })
}

// declareExchanges declares the main topic exchange, the dead-letter
// exchange and the retry exchange on ch. The retry exchange is a headers
// exchange with the durability of the group queues, whose bindings to it
// must survive a broker restart (see redeliver).
func declareExchanges(ch *amqp091.Channel, cfg *config) error {
	if err := ch.ExchangeDeclare(cfg.exchange, "topic", cfg.exchangeDurable, false, false, false, nil); err != nil {
		return mismatch(err, "exchange", cfg.exchange, "exchange")
	}
	if err := ch.ExchangeDeclare(cfg.deadLetterEx, "topic", cfg.exchangeDurable, false, false, false, nil); err != nil {
		return mismatch(err, "exchange", cfg.deadLetterEx, "dead_letter_exchange")
	}
	if err := ch.ExchangeDeclare(cfg.retryEx, "headers", cfg.durable, false, false, false, nil); err != nil {
		return mismatch(err, "exchange", cfg.retryEx, "retry_exchange")
	}
	return nil
}

// withChannel runs fn on a new channel, closed afterwards, the whole bounded
// by topology_timeout.
func (s *session) withChannel(fn func(ch *amqp091.Channel) error) error {
	return s.bounded(func() error {
		ch, err := s.amqp.Channel()
		if err != nil {
			return err
		}
		defer ch.Close()
		return fn(ch)
	})
}

// ErrTimeout is wrapped by errors of topology calls that took longer than
// topology_timeout; the connection is then dropped and re-established.
var ErrTimeout = errors.New("amqp: broker did not answer in time")

// bounded runs a call that waits for the broker, for at most
// topology_timeout. amqp091-go's channel methods take no context, so on
// timeout the session's socket is closed: that unblocks the call, and the
// supervisor reconnects (a hung node is treated as a dead one).
func (s *session) bounded(fn func() error) error {
	done := make(chan error, 1)
	go func() { done <- fn() }()
	t := time.NewTimer(s.c.cfg.topologyTimeout)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		s.shutdown()
		<-done
		return fmt.Errorf("%w: %s after %v", ErrTimeout, s.addr, s.c.cfg.topologyTimeout)
	}
}

// shutdown closes the session's socket at once.
func (s *session) shutdown() {
	s.kill.Do(func() {
		if s.net != nil {
			_ = s.net.Close()
		}
	})
}

// closeGracefully closes the AMQP connection with a close handshake bounded
// by topology_timeout, then the socket.
func (s *session) closeGracefully() {
	_ = s.amqp.CloseDeadline(time.Now().Add(s.c.cfg.topologyTimeout))
	s.shutdown()
}

func (c *conn) setSession(s *session) {
	c.mu.Lock()
	c.sess = s
	close(c.ready)
	c.mu.Unlock()
}

// supervise watches the session and replaces it when it dies, until Close.
func (c *conn) supervise(s *session) {
	defer c.wg.Done()
	for {
		select {
		case <-c.closing:
			s.closeGracefully()
			for range s.closed { // amqp091 closes it when the connection is torn down
			}
			close(s.lost)
			return
		case err := <-s.closed:
			c.mu.Lock()
			c.sess = nil
			c.ready = make(chan struct{})
			c.mu.Unlock()
			close(s.lost)
			s.shutdown()
			for range s.closed { // drain until amqp091 closes it
			}
			c.log.Warn("amqp: connection lost, reconnecting", "node", s.addr, "error", err)
		}
		ns := c.reconnect()
		if ns == nil {
			return // closing
		}
		s = ns
		c.setSession(s)
		c.log.Info("amqp: reconnected", "node", s.addr)
	}
}

// reconnect dials until it succeeds, with capped exponential backoff and
// jitter between passes over the host list. It returns nil on Close.
func (c *conn) reconnect() *session {
	backoff := c.cfg.reconnectMin
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-c.closing:
			cancel()
		case <-ctx.Done():
		}
	}()
	for {
		// Wait before dialling, even the first time: a node that just
		// restarted is often not ready, and a cluster needs a moment to
		// elect new queue leaders (see docs/operations.md).
		wait := backoff/2 + rand.N(backoff/2+1)
		select {
		case <-c.closing:
			return nil
		case <-time.After(wait):
		}
		s, err := c.connect(ctx)
		if err == nil {
			return s
		}
		select {
		case <-c.closing:
			return nil
		default:
		}
		c.log.Warn("amqp: reconnect failed", "nodes", c.cfg.hostList(), "retry_in", backoff, "error", err)
		backoff = min(backoff*2, c.cfg.reconnectMax)
	}
}

// session returns the live session, waiting for a reconnection if there is
// none, bounded by ctx.
func (c *conn) session(ctx context.Context) (*session, error) {
	for {
		c.mu.Lock()
		s, ready := c.sess, c.ready
		c.mu.Unlock()
		select {
		case <-c.closing:
			return nil, driver.ErrClosed
		default:
		}
		if s != nil {
			select {
			case <-s.lost:
			default:
				return s, nil
			}
		}
		select {
		case <-ready:
		case <-c.closing:
			return nil, driver.ErrClosed
		case <-ctx.Done():
			return nil, fmt.Errorf("amqp: waiting for a connection to %s: %w", c.cfg.hostList(), ctx.Err())
		}
	}
}

// Close closes the connection, and waits for every goroutine of the driver
// to end. The runtime has closed the subscriptions before, while the
// connection still worked, so that running handlers could still ack.
func (c *conn) Close() error {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closed = true
		c.mu.Unlock()
		close(c.closing)
		c.wg.Wait()
	})
	return nil
}
