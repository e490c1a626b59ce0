// Command distctl is the operator's tool for a Distributer bus: it watches
// the messages on a broker, publishes recorded ones, and inspects, replays
// and purges dead letters and the queues of subscriber groups.
//
// Usage:
//
//	distctl tail         [-validate -schemas DIR] [-format text|json] [-n N] PATTERN...
//	distctl publish      [-schemas DIR | -no-validate] [-header K=V]... [-skip N] [-dry-run] TOPIC [FILE|-]
//	distctl dead-letters list    [-format text|json] [GROUP...]
//	distctl dead-letters show    [-n N] [-id ID]... [-reason TEXT] [-format text|json] GROUP
//	distctl dead-letters replay  (-all | -id ID... | -reason TEXT) [-schemas DIR | -no-validate] [-to-exchange] [-limit N] [-dry-run] GROUP
//	distctl dead-letters purge   [-yes] GROUP
//	distctl groups list   [-format text|json] [GROUP...]
//	distctl groups delete [-force] [-dead-letters] [-yes] GROUP
//	distctl help [command]
//
// Every command takes -url, the broker's URL, as distributer.Open reads it
// (default: $DISTRIBUTER_URL; prefer the variable to the flag for URLs with
// a password, which the flag would show in the process list). Passwords are
// never printed: URLs appear only through distributer.RedactURL. -schemas
// defaults to $DISTRIBUTER_SCHEMAS and is read as distgen validate reads
// it. Run "distctl <command> -h" for the flags and the output of a command;
// docs/operating.md is the guide.
//
// tail and publish work on any driver's URL. On memory:// they run within
// distctl's own process, whose bus nobody else shares: publish is then a
// dry run that validates and counts. dead-letters and groups need the AMQP
// driver (amqp://, amqps://): they read and manage the RabbitMQ queues that
// the driver names after groups (drivers/amqp.Admin). AMQP 0-9-1 cannot
// list queues, so without GROUP arguments the list commands need
// RabbitMQ's management API: -management URL (default
// $DISTRIBUTER_MANAGEMENT_URL), for example http://127.0.0.1:15672 (the
// rabbitmq_management plugin); with GROUP arguments they need nothing but
// the AMQP connection.
//
// Exit codes: 0 done; 1 done in part or refused (invalid messages, dead
// letters left unreplayed, a group that does not exist or still has
// consumers, a prompt answered no); 2 usage error (flags, arguments, URL,
// schemas); 3 the broker cannot be reached, refuses the URL's credentials
// or was lost; 130 interrupted (SIGINT, SIGTERM) before the work was done,
// except tail, for which an interrupt is the normal end (0).
//
// The name follows the Go ecosystem's CLIs that operate a system as its
// control program (etcdctl, kubectl, consul's and nomad's operator
// commands): distgen generates code at build time, distctl acts on a
// running bus. Install it with
//
//	go install github.com/distributer/distributer/cmd/distctl@latest
//
// or run it from a module that requires the SDK with a tool directive:
// go tool distctl.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/driver"
	"github.com/distributer/distributer/drivers/amqp"
)

// Exit codes.
const (
	exitOK          = 0
	exitFailure     = 1   // done in part, or refused
	exitUsage       = 2   // flags, arguments, URL, schemas
	exitBroker      = 3   // unreachable, access refused, connection lost
	exitInterrupted = 130 // SIGINT or SIGTERM before the work was done
)

// Environment variables that give flags their defaults.
const (
	envURL        = "DISTRIBUTER_URL"
	envSchemas    = "DISTRIBUTER_SCHEMAS"
	envManagement = "DISTRIBUTER_MANAGEMENT_URL"
)

// env holds what a command reads from its surroundings, so that tests can
// run commands in-process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// terminal reports whether stderr is a terminal (progress bars) and
	// stdin one (prompts).
	stderrTTY, stdinTTY bool
	now                 func() time.Time
}

// verb is a sub-command.
type verb struct {
	summary string
	run     func(ctx context.Context, e *env, args []string) int
}

// verbs are the sub-commands; files register theirs from init.
var verbs = map[string]verb{}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	e := &env{
		stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv,
		stderrTTY: isTerminal(os.Stderr), stdinTTY: isTerminal(os.Stdin), now: time.Now,
	}
	go func() {
		<-ctx.Done()
		stop() // a second Ctrl-C ends distctl at once
	}()
	code := run(ctx, e, os.Args[1:])
	stop()
	os.Exit(code)
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		usage(e.stderr)
		return exitUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			if v, ok := verbs[args[1]]; ok {
				return v.run(ctx, e, append(args[2:], "-h"))
			}
		}
		usage(e.stdout)
		return exitOK
	}
	v, ok := verbs[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "distctl: unknown command %q\n\n", args[0])
		usage(e.stderr)
		return exitUsage
	}
	return v.run(ctx, e, args[1:])
}

func usage(w io.Writer) {
	fmt.Fprint(w, `distctl operates a Distributer bus: watch and publish messages, inspect and
replay dead letters, list and delete subscriber groups.

Usage:
  distctl <command> [flags] [arguments]

Commands:
`)
	names := make([]string, 0, len(verbs))
	for n := range verbs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-13s %s\n", n, verbs[n].summary)
	}
	fmt.Fprint(w, `
The broker's URL comes from -url or $`+envURL+` (the variable keeps a password
out of the process list); passwords are never printed.

Run "distctl <command> -h" for the flags of a command.

Exit codes:
  0    done
  1    done in part or refused (invalid messages, dead letters not replayed,
       unknown group, group still has consumers, prompt answered no)
  2    usage error (flags, arguments, URL, schemas)
  3    the broker cannot be reached, refused the credentials, or was lost
  130  interrupted before the work was done (tail: 0)
`)
}

// command is the flag set of one command, with the flags every command
// shares and its usage text.
type command struct {
	name string // "tail", "dead-letters replay", ...
	e    *env
	fl   *flag.FlagSet
	text string // usage text, before the flags
	url  *string
	wait *time.Duration
	args []string // the positional arguments
}

func newCommand(e *env, name, text string) *command {
	c := &command{name: name, e: e, fl: flag.NewFlagSet("distctl "+name, flag.ContinueOnError), text: text}
	c.fl.SetOutput(io.Discard)
	c.url = c.fl.String("url", e.getenv(envURL), "broker URL (default $"+envURL+")")
	c.wait = c.fl.Duration("wait", 0, "how long to wait for a broker that is down or starting (the URL's open_wait, if it has one, wins)")
	return c
}

func (c *command) usage(w io.Writer) {
	fmt.Fprint(w, c.text)
	fmt.Fprint(w, "\nFlags:\n")
	c.fl.SetOutput(w)
	c.fl.PrintDefaults()
	c.fl.SetOutput(io.Discard)
}

// parse parses args; done is true when the command must return code (-h,
// a usage error).
func (c *command) parse(args []string) (code int, done bool) {
	// Flags may follow the arguments (distctl tail 'orders.#' -n 1): parse
	// them wherever they are, up to "--".
	var pos []string
	for {
		if err := c.fl.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				c.usage(c.e.stdout)
				return exitOK, true
			}
			fmt.Fprintf(c.e.stderr, "distctl %s: %v\n\n", c.name, err)
			c.usage(c.e.stderr)
			return exitUsage, true
		}
		rest := c.fl.Args()
		if len(rest) == 0 {
			break
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	c.args = pos
	return 0, false
}

// fail prints a usage error and returns exitUsage.
func (c *command) usageErr(format string, a ...any) int {
	fmt.Fprintf(c.e.stderr, "distctl %s: %s\n\n", c.name, fmt.Sprintf(format, a...))
	c.usage(c.e.stderr)
	return exitUsage
}

// errorf prints an error of the command.
func (c *command) errorf(format string, a ...any) {
	fmt.Fprintf(c.e.stderr, "distctl %s: %s\n", c.name, fmt.Sprintf(format, a...))
}

// brokerURL returns -url, with open_wait=-wait added when the URL has no
// open_wait, and extra query options added when absent; "" with a usage
// error when there is none.
func (c *command) brokerURL(extra ...string) (string, int) {
	raw := strings.TrimSpace(*c.url)
	if raw == "" {
		return "", c.usageErr("no broker URL: pass -url or set $%s (for example amqp://guest:guest@127.0.0.1:5672/)", envURL)
	}
	return addOptions(raw, append([]string{"open_wait", c.wait.String()}, extra...)...), 0
}

// addOptions appends the query options (name, value pairs) that raw does
// not set. A URL that does not parse is returned as it is: Open says what
// is wrong with it.
func addOptions(raw string, opts ...string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Fragment != "" || strings.Contains(raw, "#") {
		return raw
	}
	q := u.Query()
	for i := 0; i+1 < len(opts); i += 2 {
		if _, ok := q[opts[i]]; ok {
			continue
		}
		sep := "&"
		switch {
		case !strings.Contains(raw, "?"):
			sep = "?"
		case strings.HasSuffix(raw, "?"), strings.HasSuffix(raw, "&"):
			sep = ""
		}
		raw += sep + url.QueryEscape(opts[i]) + "=" + url.QueryEscape(opts[i+1])
	}
	return raw
}

// open connects to the broker. On failure it prints why and returns the
// exit code.
func (c *command) open(ctx context.Context, extra ...string) (*distributer.Distributer, int) {
	raw, code := c.brokerURL(extra...)
	if raw == "" {
		return nil, code
	}
	log := slog.New(slog.NewTextHandler(c.e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	d, err := distributer.Open(ctx, raw, distributer.WithLogger(log))
	if err != nil {
		return nil, c.openErr(err)
	}
	return d, 0
}

// openErr prints an Open error and returns its exit code: a URL the
// runtime or driver refuses is a usage error; the rest is the broker's.
func (c *command) openErr(err error) int {
	var se *distributer.UnknownSchemeError
	var qe *driver.QueryError
	switch {
	case errors.As(err, &se), errors.As(err, &qe), errors.Is(err, driver.ErrInvalidURL):
		c.errorf("%v", err)
		return exitUsage
	case errors.Is(err, context.Canceled):
		c.errorf("interrupted while connecting")
		return exitInterrupted
	}
	hint := ""
	if !errors.Is(err, amqp.ErrCredentials) && (errors.Is(err, distributer.ErrUnavailable) || errors.Is(err, amqp.ErrUnreachable)) {
		hint = " (is the broker running? -wait 30s waits for one that is starting)"
	}
	c.errorf("%v%s", err, hint)
	return exitBroker
}

// admin opens the broker and its amqp.Admin; memory:// and other drivers
// are refused.
func (c *command) admin(ctx context.Context) (*distributer.Distributer, *amqp.Admin, int) {
	raw := strings.TrimSpace(*c.url)
	if scheme, _, ok := strings.Cut(raw, ":"); ok && strings.EqualFold(scheme, "memory") {
		c.errorf("memory:// keeps its groups and dead letters inside the process that opened it: distctl cannot see them from its own process (in that process, read them with drivers/memory.DeadLetters); give an amqp:// URL")
		return nil, nil, exitUsage
	}
	d, code := c.open(ctx)
	if d == nil {
		return nil, nil, code
	}
	a, err := amqp.NewAdmin(d.DriverConn())
	if err != nil {
		d.Close()
		c.errorf("%s works on RabbitMQ only (amqp:// or amqps:// URLs), not on %s", c.name, d.URL())
		return nil, nil, exitUsage
	}
	return d, a, 0
}

// brokerErr prints an error met while working with the broker and returns
// its exit code.
func (c *command) brokerErr(ctx context.Context, err error) int {
	switch {
	case ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)):
		c.errorf("interrupted")
		return exitInterrupted
	case errors.Is(err, amqp.ErrNoQueue), errors.Is(err, amqp.ErrInUse):
		c.errorf("%v", err)
		return exitFailure
	}
	c.errorf("%v", err)
	return exitBroker
}
