package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/internal/schemadir"
	"github.com/distributer/distributer/topic"
	"github.com/distributer/distributer/typed"
)

func init() {
	verbs["tail"] = verb{summary: "print the messages published on topics, as they arrive", run: runTail}
}

const tailUsage = `Usage: distctl tail [-url URL] [-validate -schemas DIR] [-format text|json] [-n N] PATTERN...

Subscribes to the patterns (topics, or patterns with * for one word and #
for any number of words) without a group, so it takes nothing from the
services' groups: it gets its own copy of every matching message published
from now on, in a queue that goes away with it. It prints each message: its
topic, id, attempt, headers and body; with -validate, also whether the body
is valid for its topic's schema and, if not, what is wrong. It runs until
interrupted (Ctrl-C) or -n messages were printed.

Output (text): one block per message

  2026-12-03T07:58:39.123Z orders.placed id=6f1c... attempt=1
    header tenant=t1
    body {"id": "o-1", "qty": 0}
    INVALID at /qty: must be >= 1 (minimum)

With -format json, one JSON object per line: {"time", "topic", "id",
"attempt", "headers", "body"} and with -validate "valid" and "errors"
([{"pointer", "keyword", "schema", "message"}]). The lines are records that
"distgen validate" reads, so a recording can be checked later:

  distctl tail -format json 'orders.#' > orders.jsonl
  distgen validate -schemas schemas orders.jsonl

Messages larger than the URL's max_message_bytes are printed too (tail
sets it to 0, no limit, unless the URL sets it). Bodies that are not JSON
never reach it (the AMQP driver dead-letters them from tail's own queue,
where they are dropped). A "ready" line on stderr says when the subscription
is in place.

Exit status: 0 after -n messages or an interrupt; 2 usage error; 3 the
broker cannot be reached or was lost.
`

func runTail(ctx context.Context, e *env, args []string) int {
	c := newCommand(e, "tail", tailUsage)
	schemaDir := c.fl.String("schemas", e.getenv(envSchemas), "directory of the JSON Schemas and distgen.json, for -validate (default $"+envSchemas+")")
	validate := c.fl.Bool("validate", false, "check each body against its topic's schema and show what is wrong")
	format := c.fl.String("format", "text", "output format: text or json (one object per line)")
	limit := c.fl.Int("n", 0, "stop after this many messages (0: run until interrupted)")
	if code, done := c.parse(args); done {
		return code
	}
	if len(c.args) == 0 {
		return c.usageErr("give at least one PATTERN, for example 'orders.#' or '#' for everything")
	}
	for _, p := range c.args {
		if err := topic.ValidatePattern(p); err != nil {
			return c.usageErr("pattern %q: %v", p, err)
		}
	}
	if *format != "text" && *format != "json" {
		return c.usageErr("-format %q: want text or json", *format)
	}
	if *limit < 0 {
		return c.usageErr("-n %d: want 0 or more", *limit)
	}
	var schemas *typed.Schemas
	if *validate {
		if *schemaDir == "" {
			return c.usageErr("-validate needs -schemas DIR (or $%s)", envSchemas)
		}
		var code int
		if schemas, code = c.compile(*schemaDir); schemas == nil {
			return code
		}
	}
	d, code := c.open(ctx, "max_message_bytes", "0")
	if d == nil {
		return code
	}
	defer d.Close()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p := &tailPrinter{w: e.stdout, json: *format == "json", schemas: schemas, now: e.now}
	var (
		mu sync.Mutex
		n  int
	)
	sub, err := d.Subscribe(ctx, c.args, distributer.HandlerFunc(func(_ context.Context, m *distributer.Message) error {
		mu.Lock()
		defer mu.Unlock()
		if *limit > 0 && n >= *limit {
			return nil
		}
		p.print(m)
		if n++; *limit > 0 && n == *limit {
			cancel()
		}
		return nil
	}))
	if err != nil {
		return c.brokerErr(ctx, err)
	}
	fmt.Fprintf(e.stderr, "distctl tail: ready: %s on %s (Ctrl-C to stop)\n", strings.Join(c.args, " "), d.URL())
	select {
	case <-ctx.Done():
	case <-sub.Done():
		if err := sub.Err(); err != nil {
			c.errorf("subscription ended: %v", err)
			return exitBroker
		}
	}
	_ = sub.Close()
	return exitOK
}

// compile loads the schema directory; on failure it prints why and
// returns exitUsage.
func (c *command) compile(dir string) (*typed.Schemas, int) {
	s, err := schemadir.Compile(dir)
	if err != nil {
		if schemadir.IsLoadError(err) {
			fmt.Fprintf(c.e.stderr, "%v\n", err)
		} else {
			c.errorf("%v", err)
		}
		return nil, exitUsage
	}
	return s, 0
}

// tailPrinter prints delivered messages.
type tailPrinter struct {
	w       io.Writer
	json    bool
	schemas *typed.Schemas // nil: no validation
	now     func() time.Time
}

// tailRecord is a message as tail -format json prints it.
type tailRecord struct {
	Time    string             `json:"time"`
	Topic   string             `json:"topic"`
	ID      string             `json:"id"`
	Attempt int                `json:"attempt"`
	Headers map[string]string  `json:"headers,omitempty"`
	Body    json.RawMessage    `json:"body"`
	Valid   *bool              `json:"valid,omitempty"`
	Errors  []schemadir.Reason `json:"errors,omitempty"`
}

func (p *tailPrinter) print(m *distributer.Message) {
	rec := tailRecord{Time: p.now().UTC().Format(timeLayout), Topic: m.Topic, ID: m.ID, Attempt: m.Attempt, Headers: m.Headers, Body: m.Body}
	if p.schemas != nil {
		rec.Errors = schemadir.Reasons(p.schemas.Validate(m.Topic, m.Body), p.schemas, m.Topic)
		valid := len(rec.Errors) == 0
		rec.Valid = &valid
	}
	if p.json {
		writeJSONLine(p.w, rec)
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s id=%s attempt=%d\n", rec.Time, rec.Topic, rec.ID, rec.Attempt)
	writeHeaders(&b, "  ", m.Headers)
	fmt.Fprintf(&b, "  body %s\n", indentBody(m.Body, "  "))
	switch {
	case rec.Valid == nil:
	case *rec.Valid:
		b.WriteString("  valid\n")
	default:
		for _, r := range rec.Errors {
			fmt.Fprintf(&b, "  INVALID %s\n", r)
		}
	}
	io.WriteString(p.w, b.String())
}

// timeLayout is how distctl prints times: RFC 3339, UTC, milliseconds.
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

// writeJSONLine writes v as one line of JSON.
func writeJSONLine(w io.Writer, v any) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		fmt.Fprintf(&b, "{\"error\": %q}\n", err.Error())
	}
	_, _ = w.Write(b.Bytes())
}

// writeHeaders writes "header k=v" lines, sorted by name.
func writeHeaders(b *strings.Builder, indent string, h map[string]string) {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(b, "%sheader %s=%s\n", indent, k, oneLine(h[k]))
	}
}

// oneLine quotes a value that would break the line layout.
func oneLine(s string) string {
	if strings.ContainsAny(s, "\n\r\t") || strings.TrimSpace(s) != s {
		return fmt.Sprintf("%q", s)
	}
	return s
}

// indentBody pretty-prints a JSON body (two spaces a level), each line
// after the first starting with indent; a body that is not JSON is quoted.
func indentBody(body []byte, indent string) string {
	if !json.Valid(body) {
		return fmt.Sprintf("(not JSON) %q", body)
	}
	var b bytes.Buffer
	if err := json.Indent(&b, body, indent, "  "); err != nil {
		return string(body)
	}
	return b.String()
}
