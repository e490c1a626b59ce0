package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/internal/jsonstream"
	"github.com/distributer/distributer/internal/schemadir"
	"github.com/distributer/distributer/topic"
	"github.com/distributer/distributer/typed"
)

func init() {
	verbs["publish"] = verb{summary: "publish the JSON messages of a file (JSON, JSON Lines) or stdin to a topic, validated first", run: runPublish}
}

const publishUsage = `Usage: distctl publish [-url URL] [-schemas DIR | -no-validate] [-header K=V]... [-skip N] [-dry-run] TOPIC [FILE|-]

Publishes each JSON value of FILE (no FILE or "-": stdin) as one message on
TOPIC. The input is one JSON document, JSON Lines (*.jsonl, *.ndjson and
stdin: one value per line), or concatenated documents; it is read as a
stream, so its size does not matter.

Every value is checked first, before anything is published: JSON syntax,
and the schema of TOPIC (from -schemas DIR, as distgen validate reads it)
unless -no-validate. If one is wrong, nothing is published: each failure is
printed ("FILE:LINE: at /pointer: what is wrong (keyword)") and the exit
status is 1. Then the messages are published in batches, each confirmed
by the broker (publisher confirms on RabbitMQ) before the next, with a
progress bar on a terminal, and a summary:

  published 12000 message(s) to orders.placed in 3.2s (3750/s)

Publishing is at least once: each message gets a new id. If publishing
stops part-way (interrupt, lost broker), the summary says how many messages
from the start of the input were confirmed; "-skip N" with that number
publishes the rest (a message of the batch in flight may then be published
twice). -dry-run checks and counts without connecting to a broker.

On memory:// the messages go to distctl's own in-process bus, which nobody
else shares: a dry run with a connection.

Exit status: 0 all published; 1 some value is invalid (nothing published)
or publishing stopped part-way; 2 usage error, unreadable input, no
messages, invalid schemas; 3 the broker cannot be reached or was lost;
130 interrupted.
`

// headerFlags is a repeatable -header K=V flag.
type headerFlags map[string]string

func (h headerFlags) String() string { return "" }

func (h headerFlags) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("want NAME=VALUE, got %q", v)
	}
	if strings.HasPrefix(k, "x-distributer-") || k == "x-death" || k == "x-delivery-count" {
		return fmt.Errorf("header %q is the driver's or the broker's own: receivers never see it", k)
	}
	h[k] = val
	return nil
}

func runPublish(ctx context.Context, e *env, args []string) int {
	c := newCommand(e, "publish", publishUsage)
	schemaDir := c.fl.String("schemas", e.getenv(envSchemas), "directory of the JSON Schemas and distgen.json (default $"+envSchemas+")")
	noValidate := c.fl.Bool("no-validate", false, "publish without checking the bodies against the schema (JSON syntax is still checked)")
	headers := headerFlags{}
	c.fl.Var(headers, "header", "header NAME=VALUE on every message (repeatable)")
	skip := c.fl.Int("skip", 0, "skip the first N messages of the input (those a stopped run confirmed)")
	batch := c.fl.Int("batch", 100, "messages per confirmed batch")
	dryRun := c.fl.Bool("dry-run", false, "check and count the messages, publish nothing")
	if code, done := c.parse(args); done {
		return code
	}
	if len(c.args) < 1 || len(c.args) > 2 {
		return c.usageErr("want TOPIC [FILE|-]")
	}
	top := c.args[0]
	if err := topic.ValidateTopic(top); err != nil {
		return c.usageErr("topic %q: %v", top, err)
	}
	if *skip < 0 || *batch < 1 {
		return c.usageErr("-skip wants 0 or more, -batch 1 or more")
	}
	var schemas *typed.Schemas
	if !*noValidate {
		if *schemaDir == "" {
			return c.usageErr("give -schemas DIR (or $%s) to validate the messages, or -no-validate", envSchemas)
		}
		var code int
		if schemas, code = c.compile(*schemaDir); schemas == nil {
			return code
		}
		if !schemas.Has(top) {
			return c.usageErr("topic %q has no schema in %s (topics: %s)", top, *schemaDir, strings.Join(schemas.Topics(), ", "))
		}
	}
	in := "-"
	if len(c.args) == 2 {
		in = c.args[1]
	}
	src, code := c.openInput(in)
	if src == nil {
		return code
	}
	defer src.close()

	// Pass 1: every value checked; stdin is spooled for pass 2.
	total, invalid := 0, 0
	err := src.each(func(v jsonstream.Value) bool {
		total++
		var reasons []schemadir.Reason
		switch {
		case v.Syntax != "":
			reasons = []schemadir.Reason{{Pointer: "(root)", Message: v.Syntax}}
		case schemas != nil:
			reasons = schemadir.Reasons(schemas.Validate(top, v.Raw), schemas, top)
		}
		if len(reasons) > 0 {
			invalid++
			for _, r := range reasons {
				fmt.Fprintf(e.stderr, "%s:%d: %s\n", src.name, v.Line, r)
			}
		}
		return ctx.Err() == nil
	})
	if err != nil {
		c.errorf("reading %s: %v", src.name, err)
		return exitUsage
	}
	if ctx.Err() != nil {
		c.errorf("interrupted while checking %s: nothing published", src.name)
		return exitInterrupted
	}
	switch {
	case total == 0:
		c.errorf("no messages in %s", src.name)
		return exitUsage
	case invalid > 0:
		c.errorf("%d of %d message(s) in %s are invalid: nothing published", invalid, total, src.name)
		return exitFailure
	case *skip >= total:
		c.errorf("-skip %d: %s has %d message(s): nothing to publish", *skip, src.name, total)
		return exitUsage
	}
	what := "valid"
	if schemas == nil {
		what = "JSON (not validated)"
	}
	if *dryRun {
		fmt.Fprintf(e.stdout, "%d message(s) in %s are %s; would publish %d to %s\n", total, src.name, what, total-*skip, top)
		return exitOK
	}

	d, code := c.open(ctx)
	if d == nil {
		return code
	}
	defer d.Close()
	bar := newProgress(e, "publishing", total)
	bar.set(*skip)
	start := e.now()
	var (
		pending []*distributer.Message
		seen    int
		done    = *skip // confirmed from the start of the input
		pubErr  error
	)
	flush := func() bool {
		if len(pending) == 0 {
			return true
		}
		err := d.PublishBatch(ctx, pending)
		if err != nil {
			var be *distributer.BatchError
			if errors.As(err, &be) {
				for _, berr := range be.Errs { // the leading confirmed ones count
					if berr != nil {
						break
					}
					done++
				}
			}
			pubErr = err
			return false
		}
		done += len(pending)
		pending = pending[:0]
		bar.set(done)
		return true
	}
	if err := src.rewind(); err != nil {
		c.errorf("reading %s again: %v", src.name, err)
		return exitUsage
	}
	err = src.each(func(v jsonstream.Value) bool {
		if seen++; seen <= *skip {
			return true
		}
		m := &distributer.Message{Topic: top, Body: v.Raw}
		if len(headers) > 0 {
			m.Headers = make(map[string]string, len(headers))
			for k, v := range headers {
				m.Headers[k] = v
			}
		}
		pending = append(pending, m)
		if len(pending) >= *batch {
			return flush()
		}
		return true
	})
	if err == nil && pubErr == nil {
		flush()
	}
	bar.finish()
	elapsed := e.now().Sub(start)
	if err != nil {
		c.errorf("reading %s again: %v", src.name, err)
		return exitUsage
	}
	if pubErr != nil {
		fmt.Fprintf(e.stdout, "published %d of %d message(s) to %s; stopped: rerun with -skip %d to publish the rest\n", done, total, top, done)
		return c.brokerErr(ctx, pubErr)
	}
	fmt.Fprintf(e.stdout, "published %d message(s) to %s in %s (%s)\n", done-*skip, top, elapsed.Round(time.Millisecond), rate(done-*skip, elapsed))
	return exitOK
}

func rate(n int, d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f/s", float64(n)/d.Seconds())
}

// input is the file publish reads, read twice: to check it, then to
// publish it. Stdin is copied to a temporary file as it is checked.
type input struct {
	name  string
	lines bool // JSON Lines: resume after a syntax error on the next line
	f     *os.File
	spool *os.File // stdin's copy
	stdin io.Reader
	read  bool
}

func (c *command) openInput(in string) (*input, int) {
	if in == "-" {
		sp, err := os.CreateTemp("", "distctl-publish-*.jsonl")
		if err != nil {
			c.errorf("spooling stdin: %v", err)
			return nil, exitUsage
		}
		return &input{name: "<stdin>", lines: true, spool: sp, stdin: c.e.stdin}, 0
	}
	f, err := os.Open(in)
	if err != nil {
		c.errorf("%v", err)
		return nil, exitUsage
	}
	if st, err := f.Stat(); err == nil && st.IsDir() {
		f.Close()
		c.errorf("%s is a directory: give a file of JSON messages", in)
		return nil, exitUsage
	}
	return &input{name: in, lines: strings.HasSuffix(in, ".jsonl") || strings.HasSuffix(in, ".ndjson"), f: f}, 0
}

// each calls fn with every value of the input until fn returns false.
func (in *input) each(fn func(jsonstream.Value) bool) error {
	var r io.Reader = in.f
	if in.spool != nil {
		r = in.spool
		if !in.read {
			r = io.TeeReader(in.stdin, in.spool)
		}
	}
	in.read = true
	s := jsonstream.New(r, in.lines)
	for {
		v, ok, err := s.Next()
		if err != nil || !ok {
			return err
		}
		if !fn(v) {
			return nil
		}
	}
}

// rewind prepares the second reading.
func (in *input) rewind() error {
	f := in.f
	if in.spool != nil {
		f = in.spool
	}
	_, err := f.Seek(0, io.SeekStart)
	return err
}

func (in *input) close() {
	if in.f != nil {
		in.f.Close()
	}
	if in.spool != nil {
		in.spool.Close()
		os.Remove(in.spool.Name())
	}
}
