package amqp_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/drivers/amqp"
	"github.com/distributer/distributer/internal/rabbitnode"
)

// syncBuffer is a bytes.Buffer that the driver's goroutines may log to.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// The failover and reconnection logs never show the URL's password: a user
// with a password of its own connects through a host list whose first node
// is dead, loses its connection, fails to reconnect while the broker app is
// stopped, and reconnects. The logs must say so, without the password.
func testNoPasswordInLogs(t *testing.T, node *rabbitnode.Node) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const user = "dt-logs-user"
	if _, err := node.Ctl(ctx, "add_user", user, secret); err != nil {
		t.Fatal(err)
	}
	if _, err := node.Ctl(ctx, "set_permissions", "-p", "/", user, ".*", ".*", ".*"); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close()
	raw, _ := newNamespace(t, node.URL(), nil, "reconnect_min", "50ms", "reconnect_max", "200ms", "connect_timeout", "2s")
	raw = strings.Replace(raw, "guest:guest@", user+":"+secret+"@"+dead+",", 1)

	var logs syncBuffer
	d, err := distributer.Open(ctx, raw, distributer.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if strings.Contains(d.URL(), secret) {
		t.Errorf("URL() = %q shows the password", d.URL())
	}
	if err := node.StopApp(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // reconnection attempts fail meanwhile
	if err := node.StartApp(ctx); err != nil {
		t.Fatal(err)
	}
	if err := d.Publish(ctx, "logs.x", []byte(`{}`)); err != nil {
		t.Fatalf("Publish after start_app: %v", err)
	}
	out := logs.String()
	for _, want := range []string{"connection lost", "reconnect failed", "reconnected", dead} {
		if !strings.Contains(out, want) {
			t.Errorf("logs do not mention %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, secret) {
		t.Errorf("logs show the password:\n%s", out)
	}
}

// A TLS failure (amqps to a server that does not speak TLS) names the node
// and the cause, never the password.
func TestTLSErrorHasNoPassword(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	served := make(chan struct{})
	go func() {
		defer close(served)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte("AMQP\x00\x00\x09\x01 not TLS, and more than a record header\n"))
			_ = c.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = distributer.Open(ctx, "amqps://user:"+secret+"@"+l.Addr().String()+"/?connect_timeout=2s")
	l.Close()
	<-served
	if err == nil {
		t.Fatal("Open succeeded against a server that does not speak TLS")
	}
	var re tls.RecordHeaderError
	if !errors.Is(err, amqp.ErrUnreachable) || !strings.Contains(err.Error(), l.Addr().String()) || !errors.As(err, &re) ||
		errors.Is(err, distributer.ErrUnavailable) {
		t.Errorf("Open = %v, want ErrUnreachable naming %s with a TLS record error", err, l.Addr())
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("error %q contains the password", err)
	}
}
