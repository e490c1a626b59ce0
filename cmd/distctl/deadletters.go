package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/distributer/distributer/drivers/amqp"
	"github.com/distributer/distributer/internal/schemadir"
	"github.com/distributer/distributer/typed"
)

func init() {
	verbs["dead-letters"] = verb{summary: "list, show, replay and purge the dead letters of groups (RabbitMQ)", run: runDeadLetters}
}

const deadLettersUsage = `Usage: distctl dead-letters <list|show|replay|purge> [flags] [GROUP...]

A message that a group's members failed max_attempts times, or rejected,
is dead-lettered: the AMQP driver moves it to the group's dead-letter queue,
named <dead_letter_exchange>.<queue_prefix><group> (distributer.dlx.<group>
with the default options), with why, when, the attempts made and its
original topic. These commands find that queue from the group's name and
the URL's options (exchange, queue_prefix, dead_letter_exchange), as the
driver names it.

  list    [GROUP...]  dead-letter queues: count, age of the oldest
  show    GROUP       the dead letters, without removing them
  replay  GROUP       publish dead letters again with their original topic,
                      validated first; each is removed only once the broker
                      has confirmed its copy
  purge   GROUP       remove every dead letter of the group (prompt or -yes)

Run "distctl dead-letters <command> -h" for the flags of each.
`

func runDeadLetters(ctx context.Context, e *env, args []string) int {
	subs := map[string]func(context.Context, *env, []string) int{
		"list": runDLList, "show": runDLShow, "replay": runDLReplay, "purge": runDLPurge,
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		w, code := e.stdout, exitOK
		if len(args) == 0 {
			w, code = e.stderr, exitUsage
		}
		fmt.Fprint(w, deadLettersUsage)
		return code
	}
	f, ok := subs[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "distctl dead-letters: unknown command %q (want list, show, replay or purge)\n\n%s", args[0], deadLettersUsage)
		return exitUsage
	}
	return f(ctx, e, args[1:])
}

const dlListUsage = `Usage: distctl dead-letters list [-url URL] [-management URL] [-format text|json] [GROUP...]

For each GROUP, its dead-letter queue, the number of dead letters in it and
the age of the oldest (the one at the head of the queue, read without
removing it: see "dead-letters show"). Without GROUP arguments, every
dead-letter queue bound to the URL's dead-letter exchange, found through
RabbitMQ's management API (-management; AMQP cannot list queues), including
those of groups whose queue is gone.

Output (text): a table GROUP, QUEUE, MESSAGES, OLDEST. With -format json,
one object per line: {"group", "queue", "messages", "oldest"
(RFC 3339, absent when unknown), "age_seconds"}.

Exit status: 0 listed; 1 a GROUP has neither a queue nor a dead-letter
queue; 2 usage error; 3 broker or management API unreachable.
`

// dlRow is one line of dead-letters list.
type dlRow struct {
	Group    string   `json:"group"`
	Queue    string   `json:"queue"`
	Messages int      `json:"messages"`
	Oldest   string   `json:"oldest,omitempty"`
	Age      *float64 `json:"age_seconds,omitempty"`
}

func runDLList(ctx context.Context, e *env, args []string) int {
	c := newCommand(e, "dead-letters list", dlListUsage)
	format := c.fl.String("format", "text", "output format: text or json (one object per line)")
	mgmtURL := c.managementFlag()
	if code, done := c.parse(args); done {
		return code
	}
	if *format != "text" && *format != "json" {
		return c.usageErr("-format %q: want text or json", *format)
	}
	if len(c.args) == 0 && *mgmtURL == "" {
		return c.usageErr("name the GROUPs, or give -management URL (or $%s) to find every dead-letter queue: AMQP cannot list queues", envManagement)
	}
	d, a, code := c.admin(ctx)
	if d == nil {
		return code
	}
	defer d.Close()
	type target struct{ group, queue string }
	var targets []target
	if len(c.args) > 0 {
		for _, g := range c.args {
			targets = append(targets, target{g, a.DeadLetterQueue(g)})
		}
	} else {
		m, code := c.management(*mgmtURL, a)
		if m == nil {
			return code
		}
		found, err := m.deadLetterQueues(ctx, a.Topology())
		if err != nil {
			c.errorf("%v", err)
			return exitBroker
		}
		for _, f := range found {
			targets = append(targets, target{strings.TrimPrefix(f.groupQueue, a.Topology().QueuePrefix), f.queue})
		}
	}
	status := exitOK
	var rows []dlRow
	for _, t := range targets {
		row := dlRow{Group: t.group, Queue: t.queue}
		st, err := a.Stat(ctx, t.queue)
		switch {
		case errors.Is(err, amqp.ErrNoQueue):
			if _, gerr := a.Stat(ctx, a.GroupQueue(t.group)); gerr != nil {
				if !errors.Is(gerr, amqp.ErrNoQueue) {
					return c.brokerErr(ctx, gerr)
				}
				c.errorf("unknown group %q: neither its queue %q nor its dead-letter queue %q exists in vhost %q (check the name and the URL's queue_prefix and exchange)", t.group, a.GroupQueue(t.group), t.queue, a.Topology().VHost)
				status = exitFailure
				continue
			}
			// The group's queue was declared by another client (the driver
			// declares the dead-letter queue with it): no dead letters.
		case err != nil:
			return c.brokerErr(ctx, err)
		default:
			row.Messages = st.Messages
		}
		if row.Messages > 0 {
			err := a.Browse(ctx, t.queue, 1, func(dl *amqp.DeadLetter) error {
				if !dl.Time.IsZero() {
					row.Oldest = dl.Time.UTC().Format(timeLayout)
					age := e.now().Sub(dl.Time).Seconds()
					row.Age = &age
				}
				return nil
			})
			if err != nil && !errors.Is(err, amqp.ErrNoQueue) {
				return c.brokerErr(ctx, err)
			}
		}
		rows = append(rows, row)
	}
	if *format == "json" {
		for _, r := range rows {
			writeJSONLine(e.stdout, r)
		}
		return status
	}
	if len(rows) == 0 {
		if status == exitOK {
			fmt.Fprintln(e.stdout, "no dead-letter queues")
		}
		return status
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "GROUP\tQUEUE\tMESSAGES\tOLDEST")
	for _, r := range rows {
		oldest := "-"
		switch {
		case r.Age != nil:
			oldest = age(time.Duration(*r.Age * float64(time.Second)))
		case r.Messages > 0:
			oldest = "unknown"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", r.Group, r.Queue, r.Messages, oldest)
	}
	tw.Flush()
	return status
}

// age renders a duration the way people read ages: 45s, 3m12s, 5h4m, 3d2h.
func age(d time.Duration) string {
	d = max(d, 0).Round(time.Second)
	switch {
	case d < time.Minute:
		return d.String()
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%02dh", int(d.Hours())/24, int(d.Hours())%24)
}

// idFlags is a repeatable -id flag; a value may list ids separated by
// commas.
type idFlags []string

func (f *idFlags) String() string { return strings.Join(*f, ",") }

func (f *idFlags) Set(v string) error {
	for _, id := range strings.Split(v, ",") {
		if id = strings.TrimSpace(id); id != "" {
			*f = append(*f, id)
		}
	}
	return nil
}

// selection is the -id and -reason filters of show and replay.
type selection struct {
	ids    idFlags
	reason string
}

func (s *selection) flags(c *command, verb string) {
	c.fl.Var(&s.ids, "id", verb+" the dead letters with this message id (repeatable, or comma-separated)")
	c.fl.StringVar(&s.reason, "reason", "", verb+" the dead letters whose reason contains this text")
}

func (s *selection) any() bool { return len(s.ids) > 0 || s.reason != "" }

func (s *selection) match(dl *amqp.DeadLetter) bool {
	if len(s.ids) > 0 && !slices.Contains(s.ids, dl.ID) {
		return false
	}
	return s.reason == "" || strings.Contains(dl.Reason, s.reason)
}

const dlShowUsage = `Usage: distctl dead-letters show [-url URL] [-n N] [-id ID]... [-reason TEXT] [-format text|json] GROUP

Prints the dead letters of GROUP, from the head of its dead-letter queue:
id, original topic, reason, attempts, when, the queue and group it came
from, headers and body. -id and -reason choose which (the whole queue is
read to find them); -n bounds how many are printed.

Nothing is removed. The dead letters are received with basic.get and not
acknowledged, so that each is read once, then given back to the queue
(basic.nack with requeue) when show ends, or by the broker if distctl dies
first. RabbitMQ puts them back in place on classic queues (quorum queues
may change their order); their redelivered flag is set, and on quorum
queues their x-delivery-count grows (dead-letter queues have no delivery
limit). While show runs they are invisible to other readers of the queue.

Output (text): one block per dead letter. With -format json, one object per
line: {"id", "topic", "reason", "attempts", "queue", "group", "time",
"headers", "body" (or "body_text" when it is not JSON), "headers_dropped",
"undecodable"}.

Exit status: 0 shown (also when none matched); 1 unknown group; 2 usage
error; 3 broker unreachable or lost.
`

// dlRecord is a dead letter as show prints it with -format json.
type dlRecord struct {
	ID             string            `json:"id"`
	Topic          string            `json:"topic"`
	Reason         string            `json:"reason"`
	Attempts       int               `json:"attempts,omitempty"`
	Queue          string            `json:"queue,omitempty"`
	Group          string            `json:"group,omitempty"`
	Time           string            `json:"time,omitempty"`
	Headers        map[string]string `json:"headers,omitempty"`
	Body           json.RawMessage   `json:"body,omitempty"`
	BodyText       *string           `json:"body_text,omitempty"`
	HeadersDropped int               `json:"headers_dropped,omitempty"`
	Undecodable    string            `json:"undecodable,omitempty"`
}

func recordOf(dl *amqp.DeadLetter) dlRecord {
	r := dlRecord{ID: dl.ID, Topic: dl.Topic, Reason: dl.Reason, Attempts: dl.Attempts, Queue: dl.Queue, Group: dl.Group,
		Headers: dl.Headers, HeadersDropped: dl.HeadersDropped, Undecodable: dl.Undecodable}
	if !dl.Time.IsZero() {
		r.Time = dl.Time.UTC().Format(timeLayout)
	}
	if json.Valid(dl.Body) {
		r.Body = dl.Body
	} else {
		s := string(dl.Body)
		r.BodyText = &s
	}
	return r
}

// printDeadLetter writes one dead letter as a text block.
func printDeadLetter(w io.Writer, dl *amqp.DeadLetter, now time.Time) {
	var b strings.Builder
	when := "time unknown"
	if !dl.Time.IsZero() {
		when = fmt.Sprintf("%s (%s ago)", dl.Time.UTC().Format(timeLayout), age(now.Sub(dl.Time)))
	}
	topic := dl.Topic
	if topic == "" {
		topic = "(topic unknown)"
	}
	fmt.Fprintf(&b, "%s %s id=%s attempts=%d\n", when, topic, dl.ID, dl.Attempts)
	fmt.Fprintf(&b, "  reason %s\n", oneLine(dl.Reason))
	if dl.Queue != "" || dl.Group != "" {
		fmt.Fprintf(&b, "  from queue=%s group=%s\n", dl.Queue, dl.Group)
	}
	if dl.Undecodable != "" {
		fmt.Fprintf(&b, "  headers undecodable: %s\n", dl.Undecodable)
	}
	if dl.HeadersDropped > 0 {
		fmt.Fprintf(&b, "  headers dropped: %d (too large to keep)\n", dl.HeadersDropped)
	}
	writeHeaders(&b, "  ", dl.Headers)
	fmt.Fprintf(&b, "  body %s\n", indentBody(dl.Body, "  "))
	io.WriteString(w, b.String())
}

var errEnough = errors.New("enough")

func runDLShow(ctx context.Context, e *env, args []string) int {
	c := newCommand(e, "dead-letters show", dlShowUsage)
	n := c.fl.Int("n", 20, "print at most this many dead letters (0: all)")
	format := c.fl.String("format", "text", "output format: text or json (one object per line)")
	var sel selection
	sel.flags(c, "show")
	if code, done := c.parse(args); done {
		return code
	}
	if len(c.args) != 1 {
		return c.usageErr("want one GROUP")
	}
	if *format != "text" && *format != "json" {
		return c.usageErr("-format %q: want text or json", *format)
	}
	if *n < 0 {
		return c.usageErr("-n %d: want 0 or more", *n)
	}
	d, a, code := c.admin(ctx)
	if d == nil {
		return code
	}
	defer d.Close()
	group := c.args[0]
	queue, code := c.deadLetterQueue(ctx, a, group)
	if queue == "" {
		return code
	}
	limit := *n
	if sel.any() {
		limit = 0 // read on until enough match
	}
	shown, read := 0, 0
	err := a.Browse(ctx, queue, limit, func(dl *amqp.DeadLetter) error {
		read++
		if !sel.match(dl) {
			return nil
		}
		if *format == "json" {
			writeJSONLine(e.stdout, recordOf(dl))
		} else {
			printDeadLetter(e.stdout, dl, e.now())
		}
		if shown++; *n > 0 && shown >= *n {
			return errEnough
		}
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		return c.brokerErr(ctx, err)
	}
	if *format == "text" {
		fmt.Fprintf(e.stdout, "%d dead letter(s) shown from %s (%d read, all left in the queue)\n", shown, queue, read)
	}
	return exitOK
}

// deadLetterQueue returns the dead-letter queue of group, or "" with the
// exit code after printing why there is none (an unknown group).
func (c *command) deadLetterQueue(ctx context.Context, a *amqp.Admin, group string) (string, int) {
	q := a.DeadLetterQueue(group)
	_, err := a.Stat(ctx, q)
	if err == nil {
		return q, 0
	}
	if !errors.Is(err, amqp.ErrNoQueue) {
		return "", c.brokerErr(ctx, err)
	}
	if _, gerr := a.Stat(ctx, a.GroupQueue(group)); gerr == nil {
		c.errorf("group %q has no dead-letter queue %q: no member of the group subscribed through this driver with these URL options (dead_letter_exchange, queue_prefix)", group, q)
		return "", exitFailure
	} else if !errors.Is(gerr, amqp.ErrNoQueue) {
		return "", c.brokerErr(ctx, gerr)
	}
	c.errorf("unknown group %q: neither its queue %q nor its dead-letter queue %q exists in vhost %q (check the name and the URL's queue_prefix and exchange)", group, a.GroupQueue(group), q, a.Topology().VHost)
	return "", exitFailure
}

const dlReplayUsage = `Usage: distctl dead-letters replay [-url URL] (-all | -id ID... | -reason TEXT) [-schemas DIR | -no-validate] [-to-exchange] [-limit N] [-dry-run] GROUP

Publishes dead letters of GROUP again, with their original topic, and
removes each from the dead-letter queue once the broker has confirmed its
copy. Choose which: -all, or -id (repeatable) and/or -reason (a text the
reason contains). Each chosen dead letter is validated first against the
schema of its topic (-schemas DIR, as distgen validate reads it) unless
-no-validate: an invalid one stays where it is, and why is printed.

Where to: by default the copy goes to GROUP's queue only, with its original
topic (through the driver's retry exchange, as the driver's own retries
do), so the other groups subscribed to the topic, which handled the
message, do not get it twice; its members see a first attempt. With
-to-exchange the copy is published on the topic exchange, and every group
and subscriber of the topic gets it again. A copy that no queue takes
(GROUP's queue was deleted; with -to-exchange, nothing is bound to the
topic) is not counted as replayed, and its dead letter stays.

Nothing is lost if replay is interrupted (Ctrl-C, a lost connection, a
killed process): dead letters are replayed one at a time, each removed only
after its copy is confirmed, and those not yet replayed go back to the
queue. The one dead letter being replayed at the moment of the
interruption may have been published but not removed: the next replay
publishes it again, a duplicate with the same message id (at most one per
interruption; consumers that de-duplicate on the id see it once). Dead
letters not chosen stay in place (classic queues; quorum queues may change
their order).

-dry-run reads the queue (as show does) and says what would be replayed and
what is invalid, changing nothing.

Replay reads the queue until no ready dead letter is left, so dead letters
that arrive meanwhile are replayed too; a replayed message that fails again
and comes back while replay runs is recognised by its id and left for the
next replay ("dead-lettered again").

Output: a line on stderr for each dead letter not replayed and why, a
progress bar on a terminal, then a summary:

  replayed 41 of 45 dead letter(s) from distributer.dlx.workers to group workers; left in the queue: 3 invalid, 1 failed, 0 not chosen

Exit status: 0 every chosen dead letter was replayed (and every -id found);
1 some stayed (invalid, failed, -id not found) or GROUP is unknown or has
no queue to replay to; 2 usage error or invalid schemas; 3 broker
unreachable or lost; 130 interrupted (what was replayed is in the summary).
`

func runDLReplay(ctx context.Context, e *env, args []string) int {
	c := newCommand(e, "dead-letters replay", dlReplayUsage)
	all := c.fl.Bool("all", false, "replay every dead letter of the group")
	var sel selection
	sel.flags(c, "replay")
	schemaDir := c.fl.String("schemas", e.getenv(envSchemas), "directory of the JSON Schemas and distgen.json (default $"+envSchemas+")")
	noValidate := c.fl.Bool("no-validate", false, "replay without checking the bodies against their schemas")
	toExchange := c.fl.Bool("to-exchange", false, "publish on the topic exchange: every subscriber of the topic gets the message again, not only GROUP")
	limit := c.fl.Int("limit", 0, "replay at most this many (0: no limit)")
	dryRun := c.fl.Bool("dry-run", false, "say what would be replayed, change nothing")
	if code, done := c.parse(args); done {
		return code
	}
	if len(c.args) != 1 {
		return c.usageErr("want one GROUP")
	}
	switch {
	case *all && sel.any():
		return c.usageErr("-all replays every dead letter: do not combine it with -id or -reason")
	case !*all && !sel.any():
		return c.usageErr("choose what to replay: -all, -id ID or -reason TEXT")
	case *limit < 0:
		return c.usageErr("-limit %d: want 0 or more", *limit)
	}
	var schemas *typed.Schemas
	if !*noValidate {
		if *schemaDir == "" {
			return c.usageErr("give -schemas DIR (or $%s) to validate the dead letters before replaying them, or -no-validate", envSchemas)
		}
		var code int
		if schemas, code = c.compile(*schemaDir); schemas == nil {
			return code
		}
	}
	d, a, code := c.admin(ctx)
	if d == nil {
		return code
	}
	defer d.Close()
	group := c.args[0]
	queue, code := c.deadLetterQueue(ctx, a, group)
	if queue == "" {
		return code
	}
	if !*toExchange && !*dryRun {
		if _, err := a.Stat(ctx, a.GroupQueue(group)); errors.Is(err, amqp.ErrNoQueue) {
			c.errorf("group %q has no queue %q to replay to (it was deleted): start a member of the group, which declares it, or replay with -to-exchange", group, a.GroupQueue(group))
			return exitFailure
		} else if err != nil {
			return c.brokerErr(ctx, err)
		}
	}
	check := func(dl *amqp.DeadLetter) error {
		if schemas == nil {
			return nil
		}
		if err := schemas.Validate(dl.Topic, dl.Body); err != nil {
			rs := schemadir.Reasons(err, schemas, dl.Topic)
			parts := make([]string, len(rs))
			for i, r := range rs {
				parts[i] = r.String()
			}
			return errors.New(strings.Join(parts, "; "))
		}
		return nil
	}
	found := map[string]bool{}
	selectFn := func(dl *amqp.DeadLetter) bool {
		if !*all && !sel.match(dl) {
			return false
		}
		found[dl.ID] = true
		return true
	}
	where := "group " + group
	if *toExchange {
		where = "the exchange " + a.Topology().Exchange + " (every subscriber)"
	}
	notFound := func() int {
		missing := 0
		for _, id := range sel.ids {
			if !found[id] {
				c.errorf("id %q: no such dead letter in %s", id, queue)
				missing++
			}
		}
		return missing
	}

	if *dryRun {
		var res amqp.ReplayResult
		err := a.Browse(ctx, queue, 0, func(dl *amqp.DeadLetter) error {
			res.Examined++
			switch {
			case !selectFn(dl):
				res.NotSelected++
			case dl.Topic == "" || dl.Undecodable != "":
				res.Failed++
				fmt.Fprintf(e.stderr, "would not replay id=%s: its original topic is unknown or its headers undecodable\n", dl.ID)
			default:
				if err := check(dl); err != nil {
					res.Invalid++
					fmt.Fprintf(e.stderr, "would not replay id=%s topic=%s: invalid: %v\n", dl.ID, dl.Topic, err)
				} else if *limit == 0 || res.Replayed < *limit {
					res.Replayed++
				}
			}
			return nil
		})
		if err != nil {
			return c.brokerErr(ctx, err)
		}
		missing := notFound()
		fmt.Fprintf(e.stdout, "would replay %d of %d dead letter(s) from %s to %s; would leave %d invalid, %d failed, %d not chosen (nothing changed)\n",
			res.Replayed, res.Examined, queue, where, res.Invalid, res.Failed, res.NotSelected)
		if res.Invalid+res.Failed+missing > 0 {
			return exitFailure
		}
		return exitOK
	}

	st, _ := a.Stat(ctx, queue)
	bar := newProgress(e, "replaying", st.Messages)
	opts := amqp.ReplayOptions{
		Select:     selectFn,
		Check:      check,
		Limit:      *limit,
		ToExchange: *toExchange,
		Report: func(dl *amqp.DeadLetter, o amqp.ReplayOutcome, err error) {
			if e.stderrTTY && o != amqp.Replayed && o != amqp.NotSelected {
				fmt.Fprint(e.stderr, "\r\x1b[K")
			}
			switch o {
			case amqp.Invalid, amqp.Failed:
				fmt.Fprintf(e.stderr, "not replayed: id=%s topic=%s: %s: %v\n", dl.ID, dl.Topic, o, err)
			case amqp.Repeated:
				fmt.Fprintf(e.stderr, "dead-lettered again after its replay: id=%s topic=%s: %s (left for the next replay)\n", dl.ID, dl.Topic, oneLine(dl.Reason))
			}
			bar.add()
		},
	}
	res, err := a.Replay(ctx, queue, opts)
	bar.finish()
	fmt.Fprintf(e.stdout, "replayed %d of %d dead letter(s) from %s to %s; left in the queue: %d invalid, %d failed, %d not chosen",
		res.Replayed, res.Examined, queue, where, res.Invalid, res.Failed, res.NotSelected)
	if res.Repeated > 0 {
		fmt.Fprintf(e.stdout, ", %d replayed and dead-lettered again", res.Repeated)
	}
	fmt.Fprintln(e.stdout)
	if err != nil {
		return c.brokerErr(ctx, err)
	}
	if res.Invalid+res.Failed+notFound() > 0 {
		return exitFailure
	}
	return exitOK
}

const dlPurgeUsage = `Usage: distctl dead-letters purge [-url URL] [-yes] GROUP

Removes every dead letter of GROUP: its dead-letter queue stays, empty. It
asks first, on stderr, and reads the answer from stdin (y or yes purges);
-yes purges without asking. What it removed cannot be brought back: to keep
some, replay them first, or "show -format json" them to a file.

Exit status: 0 purged (or nothing to purge); 1 answered no, or unknown
group; 2 usage error; 3 broker unreachable or lost.
`

func runDLPurge(ctx context.Context, e *env, args []string) int {
	c := newCommand(e, "dead-letters purge", dlPurgeUsage)
	yes := c.fl.Bool("yes", false, "purge without asking")
	if code, done := c.parse(args); done {
		return code
	}
	if len(c.args) != 1 {
		return c.usageErr("want one GROUP")
	}
	d, a, code := c.admin(ctx)
	if d == nil {
		return code
	}
	defer d.Close()
	queue, code := c.deadLetterQueue(ctx, a, c.args[0])
	if queue == "" {
		return code
	}
	st, err := a.Stat(ctx, queue)
	if err != nil {
		return c.brokerErr(ctx, err)
	}
	if st.Messages == 0 {
		fmt.Fprintf(e.stdout, "%s is empty: nothing to purge\n", queue)
		return exitOK
	}
	if !*yes && !c.confirm(ctx, fmt.Sprintf("Purge %d dead letter(s) from %s? They cannot be brought back. [y/N] ", st.Messages, queue)) {
		c.errorf("not purged")
		return exitFailure
	}
	n, err := a.Purge(ctx, queue)
	if err != nil {
		return c.brokerErr(ctx, err)
	}
	fmt.Fprintf(e.stdout, "purged %d dead letter(s) from %s\n", n, queue)
	return exitOK
}

// confirm asks a yes/no question on stderr and reads the answer from
// stdin; anything but y or yes is no, and so are the end of the input and
// an interrupt.
func (c *command) confirm(ctx context.Context, question string) bool {
	fmt.Fprint(c.e.stderr, question)
	answer := make(chan string, 1)
	go func() { // stdin cannot be read with a context
		var line []byte
		buf := make([]byte, 1)
		for len(line) < 64 {
			n, err := c.e.stdin.Read(buf)
			if n == 1 {
				if buf[0] == '\n' {
					break
				}
				line = append(line, buf[0])
			}
			if err != nil {
				break
			}
		}
		answer <- string(line)
	}()
	var a string
	select {
	case a = <-answer:
	case <-ctx.Done():
	}
	if !c.e.stdinTTY || ctx.Err() != nil {
		fmt.Fprintln(c.e.stderr)
	}
	a = strings.ToLower(strings.TrimSpace(a))
	return a == "y" || a == "yes"
}
