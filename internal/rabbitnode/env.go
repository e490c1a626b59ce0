// Package rabbitnode starts private RabbitMQ nodes and clusters on loopback
// for tests that must stop, kill or restart a broker without disturbing the
// broker that other tests share (the system one on 127.0.0.1:5672).
//
// Every node this package starts runs the real scripts of an installed
// rabbitmq-server (/usr/lib/rabbitmq/bin by default, not the /usr/sbin
// wrappers that switch user) with:
//
//   - its own HOME holding its own .erlang.cookie (mode 0400), so the
//     command-line tools can only reach the private nodes;
//   - a unique node name (owner pid and a counter) on host "localhost";
//   - free loopback ports for AMQP and Erlang distribution, and a private
//     epmd on its own port (ERL_EPMD_PORT), bound to 127.0.0.1;
//   - data, logs, pid file, rabbitmq.conf, enabled_plugins and
//     rabbitmq-env.conf in a temporary directory, so nothing in
//     /etc/rabbitmq is read and nothing outside the directory is written.
//
// Processes are signalled by PID only. Each carries a marker in its
// environment naming the process that started it; StartNode and
// StartCluster first kill the marked processes whose owner is gone (left
// behind by a test binary that was killed before its cleanups ran).
//
// In tests, use NewNode and NewCluster: they skip when rabbitmq-server is
// not installed (but fail when CI=true) and register the teardown with
// t.Cleanup.
package rabbitnode

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// DefaultBinDir is where Debian's rabbitmq-server package keeps the real
// server and CLI scripts.
const DefaultBinDir = "/usr/lib/rabbitmq/bin"

// ErrNotInstalled is returned when the rabbitmq-server scripts or Erlang's
// epmd cannot be found.
var ErrNotInstalled = errors.New("rabbitnode: rabbitmq-server is not installed (run scripts/ensure-rabbitmq.sh as root)")

// Options configure private nodes. The zero value is usable.
type Options struct {
	// BinDir holds rabbitmq-server, rabbitmqctl and rabbitmq-queues.
	// Default: $RABBITNODE_BIN_DIR, else DefaultBinDir.
	BinDir string
	// Dir is the parent of the temporary directory created for the nodes.
	// Default: os.TempDir().
	Dir string
	// BootTimeout bounds the boot of one node (and of a cluster join).
	// Default 90s.
	BootTimeout time.Duration
	// Config holds extra rabbitmq.conf lines ("key = value").
	Config []string
	// Management enables the rabbitmq_management plugin, its HTTP API
	// listening on a free loopback port (Node.ManagementURL).
	Management bool
	// Logf, when set, receives progress messages (t.Logf fits).
	Logf func(format string, args ...any)
}

func (o Options) withDefaults() Options {
	if o.BinDir == "" {
		o.BinDir = os.Getenv("RABBITNODE_BIN_DIR")
	}
	if o.BinDir == "" {
		o.BinDir = DefaultBinDir
	}
	if o.Dir == "" {
		o.Dir = os.TempDir()
	}
	if o.BootTimeout <= 0 {
		o.BootTimeout = 90 * time.Second
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	return o
}

// Installed reports whether the rabbitmq-server scripts and epmd are
// available, and if not, an error wrapping ErrNotInstalled that says what is
// missing.
func Installed(opts Options) error {
	o := opts.withDefaults()
	for _, name := range []string{"rabbitmq-server", "rabbitmqctl", "rabbitmq-queues"} {
		p := filepath.Join(o.BinDir, name)
		if fi, err := os.Stat(p); err != nil || fi.IsDir() {
			return fmt.Errorf("%w: %s not found", ErrNotInstalled, p)
		}
	}
	if _, err := findEpmd(); err != nil {
		return err
	}
	return nil
}

func findEpmd() (string, error) {
	if p, err := exec.LookPath("epmd"); err == nil {
		return p, nil
	}
	matches, _ := filepath.Glob("/usr/lib/erlang/erts-*/bin/epmd")
	if len(matches) > 0 {
		return matches[len(matches)-1], nil
	}
	return "", fmt.Errorf("%w: epmd (Erlang) not found in PATH or /usr/lib/erlang", ErrNotInstalled)
}

// ownerEnv is the environment marker carried by every process this package
// starts: "<pid>:<start time>" of the starting process.
const ownerEnv = "DISTRIBUTER_RABBITNODE_OWNER"

var (
	selfOwner     = sync.OnceValue(func() string { return ownerID(os.Getpid()) })
	envSeq        atomic.Int64
	reapOrphansMu sync.Mutex
)

// ownerID returns "<pid>:<start time in ticks>" or "" when pid is gone.
func ownerID(pid int) string {
	st, err := procStartTime(pid)
	if err != nil {
		return ""
	}
	return strconv.Itoa(pid) + ":" + st
}

func procStartTime(pid int) (string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", err
	}
	// The command name (field 2) may hold spaces: fields after ')' start at 3.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return "", errors.New("bad stat")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return "", errors.New("bad stat")
	}
	return f[19], nil // field 22: starttime
}

// reapOrphans kills (SIGKILL, by PID) the processes whose environment
// carries the owner marker of a process that no longer exists, and removes
// their directories. It returns how many processes it killed.
func reapOrphans(parent string) int {
	reapOrphansMu.Lock()
	defer reapOrphansMu.Unlock()
	killed := 0
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil {
			continue
		}
		for _, kv := range bytes.Split(env, []byte{0}) {
			v, ok := bytes.CutPrefix(kv, []byte(ownerEnv+"="))
			if !ok {
				continue
			}
			owner := string(v)
			opid, _, _ := strings.Cut(owner, ":")
			n, err := strconv.Atoi(opid)
			if err == nil && ownerID(n) != owner {
				if syscall.Kill(pid, syscall.SIGKILL) == nil {
					killed++
				}
			}
			break
		}
	}
	dirs, _ := filepath.Glob(filepath.Join(parent, "rabbitnode-*"))
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "owner"))
		if err != nil {
			continue
		}
		owner := strings.TrimSpace(string(b))
		opid, _, _ := strings.Cut(owner, ":")
		if n, err := strconv.Atoi(opid); err == nil && ownerID(n) != owner {
			_ = os.RemoveAll(d)
		}
	}
	return killed
}

// env is what the nodes of one cluster (or one lone node) share: a base
// directory, a HOME with the Erlang cookie, a private epmd and a port range
// for the CLI's own distribution.
type env struct {
	opts    Options
	dir     string
	home    string
	prefix  string // node name prefix, unique per env
	epmdPrt int
	ctlMin  int
	epmd    *exec.Cmd
	epmdErr chan error
}

func newEnv(ctx context.Context, opts Options) (*env, error) {
	o := opts.withDefaults()
	if err := Installed(o); err != nil {
		return nil, err
	}
	if n := reapOrphans(o.Dir); n > 0 {
		o.Logf("rabbitnode: killed %d process(es) left by an earlier run", n)
	}
	seq := envSeq.Add(1)
	dir, err := os.MkdirTemp(o.Dir, fmt.Sprintf("rabbitnode-%d-%d-", os.Getpid(), seq))
	if err != nil {
		return nil, fmt.Errorf("rabbitnode: %w", err)
	}
	e := &env{opts: o, dir: dir, home: filepath.Join(dir, "home"), prefix: fmt.Sprintf("dtr%d_%d", os.Getpid(), seq)}
	fail := func(err error) (*env, error) {
		e.teardown()
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "owner"), []byte(selfOwner()+"\n"), 0o644); err != nil {
		return fail(fmt.Errorf("rabbitnode: %w", err))
	}
	if err := os.MkdirAll(e.home, 0o700); err != nil {
		return fail(fmt.Errorf("rabbitnode: %w", err))
	}
	cookie := make([]byte, 24)
	for i := range cookie {
		n, _ := rand.Int(rand.Reader, big.NewInt(26))
		cookie[i] = byte('A' + n.Int64())
	}
	if err := os.WriteFile(filepath.Join(e.home, ".erlang.cookie"), cookie, 0o400); err != nil {
		return fail(fmt.Errorf("rabbitnode: write cookie: %w", err))
	}
	if e.epmdPrt, err = freePort(); err != nil {
		return fail(err)
	}
	if e.ctlMin, err = freePortRange(10); err != nil {
		return fail(err)
	}
	if err := e.startEpmd(ctx); err != nil {
		return fail(err)
	}
	return e, nil
}

func (e *env) startEpmd(ctx context.Context) error {
	bin, err := findEpmd()
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, "-port", strconv.Itoa(e.epmdPrt), "-address", "127.0.0.1")
	cmd.Env = e.baseEnv()
	cmd.Dir = e.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	logf, err := os.Create(filepath.Join(e.dir, "epmd.log"))
	if err != nil {
		return fmt.Errorf("rabbitnode: %w", err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("rabbitnode: start epmd: %w", err)
	}
	logf.Close()
	e.epmd = cmd
	e.epmdErr = make(chan error, 1)
	go func() { e.epmdErr <- cmd.Wait() }()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(e.epmdPrt))
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case err := <-e.epmdErr:
			e.epmdErr <- err
			return fmt.Errorf("rabbitnode: epmd on %s exited: %v (see %s)", addr, err, filepath.Join(e.dir, "epmd.log"))
		case <-ctx.Done():
			return fmt.Errorf("rabbitnode: waiting for epmd on %s: %w", addr, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("rabbitnode: epmd did not listen on %s within 10s", addr)
		}
	}
}

// baseEnv is the environment of every process of the env: a minimal
// inherited part (PATH, locale) and the private settings. Nothing else of the
// caller's environment (RABBITMQ_* in particular) leaks in.
func (e *env) baseEnv() []string {
	path := os.Getenv("PATH")
	if path == "" {
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	}
	return []string{
		"PATH=" + path,
		"LANG=C.UTF-8",
		"LC_ALL=C.UTF-8",
		"HOME=" + e.home,
		"ERL_EPMD_PORT=" + strconv.Itoa(e.epmdPrt),
		"ERL_EPMD_ADDRESS=127.0.0.1",
		"RABBITMQ_CONF_ENV_FILE=" + filepath.Join(e.dir, "rabbitmq-env.conf"),
		"RABBITMQ_CTL_DIST_PORT_MIN=" + strconv.Itoa(e.ctlMin),
		"RABBITMQ_CTL_DIST_PORT_MAX=" + strconv.Itoa(e.ctlMin+9),
		"RABBITMQ_CTL_ERL_ARGS=-kernel inet_dist_use_interface {127,0,0,1}",
		ownerEnv + "=" + selfOwner(),
	}
}

// ctlTimeout bounds a CLI call whose context has no deadline.
const ctlTimeout = 2 * time.Minute

// ctl runs one of the CLI scripts (rabbitmqctl, rabbitmq-queues, ...)
// against node, with the private HOME and epmd, and returns its stdout.
// Without a deadline in ctx a call is bounded by ctlTimeout: the CLI waits
// forever for a node that is paused.
func (e *env) ctl(ctx context.Context, tool, node string, args ...string) (string, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, ctlTimeout)
		defer cancel()
	}
	full := append([]string{"-n", node}, args...)
	cmd := exec.CommandContext(ctx, filepath.Join(e.opts.BinDir, tool), full...)
	cmd.Env = e.baseEnv()
	cmd.Dir = e.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		if msg == "" {
			msg = strings.TrimSpace(out.String())
		}
		if len(msg) > 2000 {
			msg = msg[:2000] + "..."
		}
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%v)", ctx.Err(), err)
		}
		return out.String(), fmt.Errorf("rabbitnode: %s -n %s %s: %w: %s", tool, node, strings.Join(args, " "), err, msg)
	}
	return out.String(), nil
}

func (e *env) teardown() {
	if e.epmd != nil && e.epmd.Process != nil {
		_ = e.epmd.Process.Signal(syscall.SIGKILL)
		select {
		case <-e.epmdErr:
		case <-time.After(5 * time.Second):
		}
		e.epmd = nil
	}
	if e.dir != "" {
		_ = os.RemoveAll(e.dir)
	}
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("rabbitnode: find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// freePortRange returns the first of n consecutive free loopback ports in
// 20000-29999 or 40000-59999 (away from the default RabbitMQ ports).
func freePortRange(n int) (int, error) {
	for try := 0; try < 200; try++ {
		r, _ := rand.Int(rand.Reader, big.NewInt(30000))
		base := int(r.Int64())
		if base < 10000 {
			base += 20000
		} else {
			base += 30000
		}
		if base+n > 59999 {
			continue
		}
		ok := true
		var ls []net.Listener
		for p := base; p < base+n; p++ {
			l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
			if err != nil {
				ok = false
				break
			}
			ls = append(ls, l)
		}
		for _, l := range ls {
			l.Close()
		}
		if ok {
			return base, nil
		}
	}
	return 0, errors.New("rabbitnode: no range of free ports found")
}
