package rabbitnode

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// ErrNotRunning is returned by operations that need a running node process.
var ErrNotRunning = errors.New("rabbitnode: node is not running")

// Node is one private RabbitMQ node. Its methods are safe for concurrent use.
type Node struct {
	env      *env
	ownsEnv  bool // a lone node tears its env down with it
	name     string
	amqpPort int
	distPort int
	mgmtPort int // 0 without Options.Management
	dir      string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has exited
	waitEr error
}

// StartNode starts a lone private node and waits until it accepts AMQP
// connections. Call Stop (or Teardown) when done; NewNode does it for tests.
func StartNode(ctx context.Context, opts Options) (*Node, error) {
	e, err := newEnv(ctx, opts)
	if err != nil {
		return nil, err
	}
	n, err := e.newNode(1)
	if err != nil {
		e.teardown()
		return nil, err
	}
	n.ownsEnv = true
	if err := n.Start(ctx); err != nil {
		n.Teardown()
		return nil, err
	}
	return n, nil
}

func (e *env) newNode(i int) (*Node, error) {
	n := &Node{env: e, name: fmt.Sprintf("%sn%d@localhost", e.prefix, i), dir: filepath.Join(e.dir, fmt.Sprintf("node%d", i))}
	var err error
	if n.amqpPort, err = freePort(); err != nil {
		return nil, err
	}
	if n.distPort, err = freePort(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(n.dir, 0o755); err != nil {
		return nil, fmt.Errorf("rabbitnode: %w", err)
	}
	conf := []string{
		"listeners.tcp.default = 127.0.0.1:" + strconv.Itoa(n.amqpPort),
		"loopback_users.guest = true",
		"log.console = false",
		"log.file.level = info",
		"disk_free_limit.absolute = 50MB",
	}
	plugins := "[].\n"
	if e.opts.Management {
		if n.mgmtPort, err = freePort(); err != nil {
			return nil, err
		}
		conf = append(conf, "management.tcp.ip = 127.0.0.1", "management.tcp.port = "+strconv.Itoa(n.mgmtPort))
		plugins = "[rabbitmq_management].\n"
	}
	conf = append(conf, e.opts.Config...)
	files := map[string]string{
		"rabbitmq.conf":   strings.Join(conf, "\n") + "\n",
		"enabled_plugins": plugins,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(n.dir, name), []byte(content), 0o644); err != nil {
			return nil, fmt.Errorf("rabbitnode: %w", err)
		}
	}
	if err := os.WriteFile(filepath.Join(e.dir, "rabbitmq-env.conf"), []byte("# private: nothing from /etc/rabbitmq\n"), 0o644); err != nil {
		return nil, fmt.Errorf("rabbitnode: %w", err)
	}
	return n, nil
}

// Name returns the Erlang node name, e.g. "dtr123_1n1@localhost".
func (n *Node) Name() string { return n.name }

// Port returns the AMQP port on 127.0.0.1.
func (n *Node) Port() int { return n.amqpPort }

// Addr returns the AMQP address, "127.0.0.1:<port>".
func (n *Node) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(n.amqpPort)) }

// URL returns an AMQP URL for the node with the guest user (which RabbitMQ
// accepts on loopback only).
func (n *Node) URL() string { return "amqp://guest:guest@" + n.Addr() + "/" }

// ManagementURL returns the base URL of the node's management HTTP API
// (guest:guest), "" unless Options.Management was set. The API may answer
// a moment after the node accepts AMQP connections.
func (n *Node) ManagementURL() string {
	if n.mgmtPort == 0 {
		return ""
	}
	return "http://127.0.0.1:" + strconv.Itoa(n.mgmtPort)
}

// Dir returns the node's directory (data, logs, config).
func (n *Node) Dir() string { return n.dir }

// LogFile returns the path of the node's main log file.
func (n *Node) LogFile() string { return filepath.Join(n.dir, "log", n.name+".log") }

func (n *Node) pidFile() string { return filepath.Join(n.dir, "rabbit.pid") }

// PID returns the PID of the running node process, 0 when not running.
func (n *Node) PID() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil {
		return 0
	}
	return n.cmd.Process.Pid
}

// Running reports whether the node's process is alive (the app inside may
// still be stopped: see StopApp).
func (n *Node) Running() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.cmd != nil
}

func (n *Node) serverEnv() []string {
	return append(n.env.baseEnv(),
		"RUNNING_UNDER_SYSTEMD=true", // exec the VM directly: our PID is the VM's
		"RABBITMQ_NODENAME="+n.name,
		"RABBITMQ_NODE_IP_ADDRESS=127.0.0.1",
		"RABBITMQ_NODE_PORT="+strconv.Itoa(n.amqpPort),
		"RABBITMQ_DIST_PORT="+strconv.Itoa(n.distPort),
		"RABBITMQ_MNESIA_BASE="+filepath.Join(n.dir, "mnesia"),
		"RABBITMQ_LOG_BASE="+filepath.Join(n.dir, "log"),
		"RABBITMQ_PID_FILE="+n.pidFile(),
		"RABBITMQ_CONFIG_FILE="+filepath.Join(n.dir, "rabbitmq.conf"),
		"RABBITMQ_ADVANCED_CONFIG_FILE="+filepath.Join(n.dir, "advanced.config"),
		"RABBITMQ_ENABLED_PLUGINS_FILE="+filepath.Join(n.dir, "enabled_plugins"),
		"RABBITMQ_SCHEDULER_BIND_TYPE=u",
		"RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-kernel inet_dist_use_interface {127,0,0,1} -start_epmd false",
		"ERL_CRASH_DUMP="+filepath.Join(n.dir, "erl_crash.dump"),
		"ERL_CRASH_DUMP_SECONDS=0",
	)
}

// Start starts the node's process (after Kill or Stop; StartNode and
// StartCluster call it first) and waits until it accepts AMQP connections or
// ctx or the boot timeout ends. A stale pid file is removed first. Start on a
// running node returns nil.
func (n *Node) Start(ctx context.Context) error {
	n.mu.Lock()
	if n.cmd != nil {
		n.mu.Unlock()
		return nil
	}
	_ = os.Remove(n.pidFile())
	cmd := exec.Command(filepath.Join(n.env.opts.BinDir, "rabbitmq-server"))
	cmd.Env = n.serverEnv()
	cmd.Dir = n.dir
	// Own process group: a Ctrl-C to the test does not reach the node, and
	// Pdeathsig kills it if the test process dies before its cleanups.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	out, err := os.OpenFile(filepath.Join(n.dir, "console.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		n.mu.Unlock()
		return fmt.Errorf("rabbitnode: %w", err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		n.mu.Unlock()
		out.Close()
		return fmt.Errorf("rabbitnode: start %s: %w", n.name, err)
	}
	out.Close()
	exited := make(chan struct{})
	n.cmd, n.exited = cmd, exited
	go func() {
		err := cmd.Wait()
		n.mu.Lock()
		n.waitEr = err
		if n.cmd == cmd {
			n.cmd = nil
		}
		n.mu.Unlock()
		close(exited)
	}()
	n.mu.Unlock()
	n.env.opts.Logf("rabbitnode: starting %s (pid %d, amqp %s)", n.name, cmd.Process.Pid, n.Addr())
	if err := n.waitAMQP(ctx, exited); err != nil {
		return err
	}
	n.env.opts.Logf("rabbitnode: %s is up", n.name)
	return nil
}

// waitAMQP waits until an AMQP handshake with guest succeeds.
func (n *Node) waitAMQP(ctx context.Context, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(ctx, n.env.opts.BootTimeout)
	defer cancel()
	var last error
	for {
		c, err := amqp.DialConfig(n.URL(), amqp.Config{Dial: amqp.DefaultDial(2 * time.Second)})
		if err == nil {
			c.Close()
			return nil
		}
		last = err
		select {
		case <-exited:
			n.mu.Lock()
			werr := n.waitEr
			n.mu.Unlock()
			return fmt.Errorf("rabbitnode: %s exited during boot (%v); log tail:\n%s", n.name, werr, n.LogTail(30))
		case <-ctx.Done():
			return fmt.Errorf("rabbitnode: %s not accepting AMQP on %s: %w (last: %v); log tail:\n%s", n.name, n.Addr(), ctx.Err(), last, n.LogTail(30))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// WaitReady waits until the node accepts AMQP connections (after StartApp,
// for example).
func (n *Node) WaitReady(ctx context.Context) error {
	n.mu.Lock()
	exited := n.exited
	running := n.cmd != nil
	n.mu.Unlock()
	if !running {
		return fmt.Errorf("%w: %s", ErrNotRunning, n.name)
	}
	return n.waitAMQP(ctx, exited)
}

// Kill sends SIGKILL to the node's process (by PID), waits for it to exit and
// removes its stale pid file. Killing a stopped node returns nil.
func (n *Node) Kill() error {
	n.mu.Lock()
	cmd, exited := n.cmd, n.exited
	n.mu.Unlock()
	if cmd == nil {
		return nil
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("rabbitnode: kill %s (pid %d): %w", n.name, cmd.Process.Pid, err)
	}
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		return fmt.Errorf("rabbitnode: %s (pid %d) did not exit 30s after SIGKILL", n.name, cmd.Process.Pid)
	}
	_ = os.Remove(n.pidFile())
	n.env.opts.Logf("rabbitnode: killed %s (pid %d)", n.name, cmd.Process.Pid)
	return nil
}

// Pause stops the node's process with SIGSTOP (by PID): a hung node, whose
// sockets stay open but which answers nothing. Resume undoes it; Kill and
// Teardown work on a paused node.
func (n *Node) Pause() error { return n.signal(syscall.SIGSTOP, "pause") }

// Resume continues a paused node's process (SIGCONT).
func (n *Node) Resume() error { return n.signal(syscall.SIGCONT, "resume") }

func (n *Node) signal(sig syscall.Signal, what string) error {
	n.mu.Lock()
	cmd := n.cmd
	n.mu.Unlock()
	if cmd == nil {
		return fmt.Errorf("%w: %s %s", ErrNotRunning, what, n.name)
	}
	if err := cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("rabbitnode: %s %s (pid %d): %w", what, n.name, cmd.Process.Pid, err)
	}
	n.env.opts.Logf("rabbitnode: %sd %s (pid %d)", what, n.name, cmd.Process.Pid)
	return nil
}

// Stop shuts the node down gracefully (rabbitmqctl stop), falling back to
// Kill when that fails or takes longer than ctx allows (at most 60s).
func (n *Node) Stop(ctx context.Context) error {
	n.mu.Lock()
	cmd, exited := n.cmd, n.exited
	n.mu.Unlock()
	if cmd == nil {
		return nil
	}
	sctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	_, err := n.Ctl(sctx, "stop")
	if err == nil {
		select {
		case <-exited:
			_ = os.Remove(n.pidFile())
			return nil
		case <-sctx.Done():
		}
	}
	if kerr := n.Kill(); kerr != nil {
		return kerr
	}
	if err != nil {
		return fmt.Errorf("rabbitnode: graceful stop of %s failed, killed it: %w", n.name, err)
	}
	return nil
}

// Restart stops the node gracefully and starts it again.
func (n *Node) Restart(ctx context.Context) error {
	if err := n.Stop(ctx); err != nil {
		return err
	}
	return n.Start(ctx)
}

// StopApp stops the RabbitMQ application inside the running node
// (rabbitmqctl stop_app): clients are disconnected, the Erlang node stays.
func (n *Node) StopApp(ctx context.Context) error {
	_, err := n.Ctl(ctx, "stop_app")
	return err
}

// StartApp starts the RabbitMQ application again (rabbitmqctl start_app) and
// waits until the node accepts AMQP connections.
func (n *Node) StartApp(ctx context.Context) error {
	if _, err := n.Ctl(ctx, "start_app"); err != nil {
		return err
	}
	return n.WaitReady(ctx)
}

// CloseAllConnections closes every client connection of the node
// (rabbitmqctl close_all_connections).
func (n *Node) CloseAllConnections(ctx context.Context) error {
	_, err := n.Ctl(ctx, "close_all_connections", "rabbitnode test")
	return err
}

// Ctl runs rabbitmqctl with args against this node and returns its output.
func (n *Node) Ctl(ctx context.Context, args ...string) (string, error) {
	return n.env.ctl(ctx, "rabbitmqctl", n.name, args...)
}

// Queues runs rabbitmq-queues with args against this node.
func (n *Node) Queues(ctx context.Context, args ...string) (string, error) {
	return n.env.ctl(ctx, "rabbitmq-queues", n.name, args...)
}

// LogTail returns the last lines of the node's log file (or of its console
// output when the log is empty), for failure messages.
func (n *Node) LogTail(lines int) string {
	for _, p := range []string{n.LogFile(), filepath.Join(n.dir, "console.log")} {
		data, err := os.ReadFile(p)
		if err != nil || len(strings.TrimSpace(string(data))) == 0 {
			continue
		}
		ls := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		if len(ls) > lines {
			ls = ls[len(ls)-lines:]
		}
		return fmt.Sprintf("--- %s\n%s\n", p, strings.Join(ls, "\n"))
	}
	return "(no log)"
}

// Teardown kills the node (and, for a lone node from StartNode, its epmd)
// and removes its files. It is idempotent and safe to call after a failure.
func (n *Node) Teardown() {
	_ = n.Kill()
	if n.ownsEnv {
		n.env.teardown()
	}
}

// Connections returns the peer addresses ("127.0.0.1:port") of the client
// connections open on this node (rabbitmqctl list_connections lists the
// whole cluster's; the others are left out).
func (n *Node) Connections(ctx context.Context) ([]string, error) {
	out, err := n.Ctl(ctx, "list_connections", "--formatter", "json", "port", "peer_host", "peer_port")
	if err != nil {
		return nil, err
	}
	var rows []struct {
		Port0 int             `json:"port"`      // the server's port: tells the nodes apart
		Host  json.RawMessage `json:"peer_host"` // "a.b.c.d" or [a,b,c,d]
		Port  int             `json:"peer_port"`
	}
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		return nil, fmt.Errorf("rabbitnode: list_connections on %s: %v: %q", n.name, err, out)
	}
	addrs := []string{}
	for _, r := range rows {
		if r.Port0 != n.amqpPort {
			continue
		}
		host := strings.Trim(string(r.Host), `"`)
		var parts []int
		if json.Unmarshal(r.Host, &parts) == nil {
			ss := make([]string, len(parts))
			for j, v := range parts {
				ss[j] = strconv.Itoa(v)
			}
			host = strings.Join(ss, ".")
		}
		addrs = append(addrs, net.JoinHostPort(host, strconv.Itoa(r.Port)))
	}
	return addrs, nil
}
