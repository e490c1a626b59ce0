package rabbitnode_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/distributer/distributer/internal/rabbitnode"
)

// roundTrip declares a queue on url, publishes one confirmed message and
// reads it back.
func roundTrip(t *testing.T, url, queue string, args amqp.Table) {
	t.Helper()
	conn, err := amqp.Dial(url)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	if err := ch.Confirm(false); err != nil {
		t.Fatal(err)
	}
	if _, err := ch.QueueDeclare(queue, true, false, false, false, args); err != nil {
		t.Fatalf("declare %s: %v", queue, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dc, err := ch.PublishWithDeferredConfirmWithContext(ctx, "", queue, false, false, amqp.Publishing{Body: []byte(`{"n":1}`), DeliveryMode: amqp.Persistent})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := dc.WaitContext(ctx); err != nil || !ok {
		t.Fatalf("confirm: ok=%v err=%v", ok, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		m, ok, err := ch.Get(queue, true)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			if string(m.Body) != `{"n":1}` {
				t.Fatalf("got %q", m.Body)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("message not delivered")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestNodeLifecycle(t *testing.T) {
	n := rabbitnode.NewNode(t, rabbitnode.Options{})
	if n.Addr() == "127.0.0.1:5672" || n.Port() == 5672 {
		t.Fatalf("private node on the system port: %s", n.Addr())
	}
	if !strings.HasSuffix(n.Name(), "@localhost") || strings.HasPrefix(n.Name(), "rabbit@") {
		t.Fatalf("node name %q", n.Name())
	}
	// The cookie is private and read-only.
	home := filepath.Join(filepath.Dir(n.Dir()), "home")
	fi, err := os.Stat(filepath.Join(home, ".erlang.cookie"))
	if err != nil || fi.Mode().Perm() != 0o400 {
		t.Fatalf("cookie: %v %v", fi, err)
	}
	roundTrip(t, n.URL(), "rabbitnode-q1", nil)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// CloseAllConnections drops a client's connection.
	conn, err := amqp.Dial(n.URL())
	if err != nil {
		t.Fatal(err)
	}
	closed := conn.NotifyClose(make(chan *amqp.Error, 1))
	if err := n.CloseAllConnections(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("connection not closed by CloseAllConnections")
	}

	// StopApp refuses clients; StartApp brings them back, data intact.
	if err := n.StopApp(ctx); err != nil {
		t.Fatal(err)
	}
	if c, err := net.DialTimeout("tcp", n.Addr(), time.Second); err == nil {
		c.Close()
		t.Fatal("AMQP port open after stop_app")
	}
	if err := n.StartApp(ctx); err != nil {
		t.Fatal(err)
	}
	roundTrip(t, n.URL(), "rabbitnode-q1", nil)

	// Kill -9 by PID, then Start again (stale pid file removed).
	pid := n.PID()
	if pid == 0 {
		t.Fatal("no pid")
	}
	if err := n.Kill(); err != nil {
		t.Fatal(err)
	}
	if n.Running() || n.PID() != 0 {
		t.Fatal("still running after Kill")
	}
	if err := syscall.Kill(pid, 0); err == nil {
		t.Fatalf("process %d still exists", pid)
	}
	if err := n.Start(ctx); err != nil {
		t.Fatal(err)
	}
	roundTrip(t, n.URL(), "rabbitnode-q1", nil)

	// Graceful Stop.
	if err := n.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if n.Running() {
		t.Fatal("running after Stop")
	}
}

func TestStartNodeNotInstalled(t *testing.T) {
	_, err := rabbitnode.StartNode(context.Background(), rabbitnode.Options{BinDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "not installed") {
		t.Fatalf("err = %v, want ErrNotInstalled", err)
	}
}
