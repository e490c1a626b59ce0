package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/distributer/distributer/drivers/amqp"
)

func init() {
	verbs["groups"] = verb{summary: "list the queues of subscriber groups, delete those that are gone (RabbitMQ)", run: runGroups}
}

const groupsUsage = `Usage: distctl groups <list|delete> [flags] [GROUP...]

The members of a subscriber group share a durable queue, named
<queue_prefix><group> (the URL's queue_prefix, empty by default), bound to
the exchange with the members' patterns. It outlives its members: when a
service is gone for good, its group's queue keeps collecting messages until
it is deleted.

  list    [GROUP...]  group queues: messages waiting, consumers, dead
                      letters, bindings
  delete  GROUP       delete a group's queue (refused while it has
                      consumers, unless -force)

Run "distctl groups <command> -h" for the flags of each.
`

func runGroups(ctx context.Context, e *env, args []string) int {
	subs := map[string]func(context.Context, *env, []string) int{"list": runGroupsList, "delete": runGroupsDelete}
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		w, code := e.stdout, exitOK
		if len(args) == 0 {
			w, code = e.stderr, exitUsage
		}
		fmt.Fprint(w, groupsUsage)
		return code
	}
	f, ok := subs[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "distctl groups: unknown command %q (want list or delete)\n\n%s", args[0], groupsUsage)
		return exitUsage
	}
	return f(ctx, e, args[1:])
}

const groupsListUsage = `Usage: distctl groups list [-url URL] [-management URL] [-format text|json] [GROUP...]

For each GROUP: its queue, the messages waiting in it (ready, not those
being handled), its consumers (the members connected now), the dead letters
in its dead-letter queue, and the patterns its queue is bound with.
Without GROUP arguments, every group queue of the URL's exchange and
queue_prefix, found through RabbitMQ's management API (-management; AMQP
cannot list queues). The bindings, too, need the management API: without
it they show as "?".

Output (text): a table GROUP, QUEUE, MESSAGES, CONSUMERS, DEAD LETTERS,
BINDINGS. With -format json, one object per line: {"group", "queue",
"messages", "consumers", "dead_letters", "bindings" (absent when unknown)}.

Exit status: 0 listed; 1 a GROUP has no queue; 2 usage error; 3 broker or
management API unreachable.
`

// groupRow is one line of groups list.
type groupRow struct {
	Group       string   `json:"group"`
	Queue       string   `json:"queue"`
	Messages    int      `json:"messages"`
	Consumers   int      `json:"consumers"`
	DeadLetters int      `json:"dead_letters"`
	Bindings    []string `json:"bindings,omitempty"`
	known       bool     // bindings known
}

func runGroupsList(ctx context.Context, e *env, args []string) int {
	c := newCommand(e, "groups list", groupsListUsage)
	format := c.fl.String("format", "text", "output format: text or json (one object per line)")
	mgmtURL := c.managementFlag()
	if code, done := c.parse(args); done {
		return code
	}
	if *format != "text" && *format != "json" {
		return c.usageErr("-format %q: want text or json", *format)
	}
	if len(c.args) == 0 && *mgmtURL == "" {
		return c.usageErr("name the GROUPs, or give -management URL (or $%s) to find every group queue: AMQP cannot list queues", envManagement)
	}
	d, a, code := c.admin(ctx)
	if d == nil {
		return code
	}
	defer d.Close()
	top := a.Topology()
	var m *mgmt
	if *mgmtURL != "" {
		if m, code = c.management(*mgmtURL, a); m == nil {
			return code
		}
	}
	groups := c.args
	if len(groups) == 0 {
		queues, err := m.groupQueues(ctx, top)
		if err != nil {
			c.errorf("%v", err)
			return exitBroker
		}
		for _, q := range queues {
			groups = append(groups, strings.TrimPrefix(q, top.QueuePrefix))
		}
	}
	status := exitOK
	var rows []groupRow
	for _, g := range groups {
		row := groupRow{Group: g, Queue: a.GroupQueue(g)}
		st, err := a.Stat(ctx, row.Queue)
		if errors.Is(err, amqp.ErrNoQueue) {
			c.errorf("unknown group %q: no queue %q in vhost %q (check the name and the URL's queue_prefix)", g, row.Queue, top.VHost)
			status = exitFailure
			continue
		}
		if err != nil {
			return c.brokerErr(ctx, err)
		}
		row.Messages, row.Consumers = st.Messages, st.Consumers
		if dst, err := a.Stat(ctx, a.DeadLetterQueue(g)); err == nil {
			row.DeadLetters = dst.Messages
		} else if !errors.Is(err, amqp.ErrNoQueue) {
			return c.brokerErr(ctx, err)
		}
		if m != nil {
			ps, err := m.patterns(ctx, row.Queue, top.Exchange)
			if err != nil {
				c.errorf("%v", err)
				return exitBroker
			}
			row.Bindings, row.known = ps, true
			if row.Bindings == nil {
				row.Bindings = []string{}
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
			fmt.Fprintf(e.stdout, "no group queues on exchange %s with queue_prefix %q\n", top.Exchange, top.QueuePrefix)
		}
		return status
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "GROUP\tQUEUE\tMESSAGES\tCONSUMERS\tDEAD LETTERS\tBINDINGS")
	for _, r := range rows {
		b := "?"
		if r.known {
			b = strings.Join(r.Bindings, " ")
			if b == "" {
				b = "(none)"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\n", r.Group, r.Queue, r.Messages, r.Consumers, r.DeadLetters, b)
	}
	tw.Flush()
	if m == nil {
		fmt.Fprintln(e.stdout, "(bindings: AMQP cannot list them; give -management URL to see them)")
	}
	return status
}

const groupsDeleteUsage = `Usage: distctl groups delete [-url URL] [-force] [-dead-letters] [-yes] GROUP

Deletes GROUP's queue, with the messages waiting in it and its bindings, so
that messages stop collecting for a group that is gone. It refuses while
the queue has consumers (members still running): stop them first, or pass
-force (a running member of this driver notices and declares the queue
again). The consumer check is made just before the delete, not in one
step with it (quorum queues cannot do that). It asks first, on stderr,
reading the answer from stdin (y or yes deletes); -yes deletes without
asking.

The group's dead-letter queue is kept (its dead letters can still be
shown, replayed with -to-exchange, or purged) unless -dead-letters is
given: then it is deleted too, with its dead letters.

Exit status: 0 deleted; 1 unknown group, the queue has consumers, or
answered no; 2 usage error; 3 broker unreachable or lost.
`

func runGroupsDelete(ctx context.Context, e *env, args []string) int {
	c := newCommand(e, "groups delete", groupsDeleteUsage)
	force := c.fl.Bool("force", false, "delete even while the queue has consumers")
	withDL := c.fl.Bool("dead-letters", false, "delete the group's dead-letter queue too, with its dead letters")
	yes := c.fl.Bool("yes", false, "delete without asking")
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
	g := c.args[0]
	q, dq := a.GroupQueue(g), a.DeadLetterQueue(g)
	st, err := a.Stat(ctx, q)
	if errors.Is(err, amqp.ErrNoQueue) {
		c.errorf("unknown group %q: no queue %q in vhost %q (check the name and the URL's queue_prefix)", g, q, a.Topology().VHost)
		return exitFailure
	}
	if err != nil {
		return c.brokerErr(ctx, err)
	}
	if st.Consumers > 0 && !*force {
		c.errorf("group %q has %d consumer(s) on %s: stop its members first, or pass -force", g, st.Consumers, q)
		return exitFailure
	}
	dlMessages, hasDL := 0, false
	if dst, err := a.Stat(ctx, dq); err == nil {
		dlMessages, hasDL = dst.Messages, true
	} else if !errors.Is(err, amqp.ErrNoQueue) {
		return c.brokerErr(ctx, err)
	}
	if !*yes {
		question := fmt.Sprintf("Delete the queue %s of group %q with %d message(s) (%d consumer(s))", q, g, st.Messages, st.Consumers)
		if *withDL && hasDL {
			question += fmt.Sprintf(", and its dead-letter queue %s with %d dead letter(s)", dq, dlMessages)
		}
		if !c.confirm(ctx, question+"? [y/N] ") {
			c.errorf("not deleted")
			return exitFailure
		}
	}
	n, err := a.DeleteQueue(ctx, q, *force)
	if err != nil {
		if errors.Is(err, amqp.ErrInUse) {
			c.errorf("group %q got a consumer meanwhile: not deleted (stop its members first, or pass -force)", g)
			return exitFailure
		}
		return c.brokerErr(ctx, err)
	}
	fmt.Fprintf(e.stdout, "deleted %s (group %q) with %d message(s)\n", q, g, n)
	if !hasDL {
		return exitOK
	}
	if !*withDL {
		if dlMessages > 0 {
			fmt.Fprintf(e.stdout, "kept its dead-letter queue %s with %d dead letter(s): see distctl dead-letters show %s, or delete it with -dead-letters\n", dq, dlMessages, g)
		}
		return exitOK
	}
	n, err = a.DeleteQueue(ctx, dq, true)
	if err != nil {
		return c.brokerErr(ctx, err)
	}
	fmt.Fprintf(e.stdout, "deleted %s with %d dead letter(s)\n", dq, n)
	return exitOK
}
