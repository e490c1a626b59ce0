package main

import (
	"context"
	"strings"
	"testing"
)

// Every command and sub-command answers -h on stdout with exit 0; usage
// errors exit 2 with the usage on stderr.
func TestUsage(t *testing.T) {
	ctx := context.Background()
	c := newCLI(t)
	if r := c.run(ctx); r.code != exitUsage || !strings.Contains(r.stderr, "Commands:") {
		t.Errorf("no args: %+v", r)
	}
	if r := c.run(ctx, "frobnicate"); r.code != exitUsage || !strings.Contains(r.stderr, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: %+v", r)
	}
	if r := c.run(ctx, "help"); r.code != exitOK || !strings.Contains(r.stdout, "Exit codes:") {
		t.Errorf("help: %+v", r)
	}
	for _, args := range [][]string{
		{"tail", "-h"}, {"publish", "-h"}, {"help", "tail"}, {"help", "publish"},
		{"dead-letters", "-h"}, {"help", "dead-letters"}, {"dead-letters", "list", "-h"}, {"dead-letters", "show", "-h"},
		{"dead-letters", "replay", "-h"}, {"dead-letters", "purge", "-h"},
		{"groups", "-h"}, {"help", "groups"}, {"groups", "list", "-h"}, {"groups", "delete", "-h"},
	} {
		r := c.run(ctx, args...)
		if r.code != exitOK || !strings.HasPrefix(r.stdout, "Usage: distctl") || r.stderr != "" {
			t.Errorf("%v: %+v", args, r)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"tail"}, "give at least one PATTERN"},
		{[]string{"tail", "orders..x"}, `pattern "orders..x"`},
		{[]string{"tail", "-format", "yaml", "#"}, "want text or json"},
		{[]string{"tail", "-validate", "#"}, "-validate needs -schemas"},
		{[]string{"tail", "-nope", "#"}, "flag provided but not defined: -nope"},
		{[]string{"tail", "#"}, "no broker URL"},
		{[]string{"publish"}, "want TOPIC"},
		{[]string{"publish", "orders.*", "x"}, `topic "orders.*"`},
		{[]string{"publish", "orders.placed", "f"}, "give -schemas DIR"},
		{[]string{"publish", "-schemas", schemaDir, "orders.nope", "f"}, `topic "orders.nope" has no schema`},
		{[]string{"publish", "-schemas", "testdata/nonexistent", "orders.placed"}, "not a readable directory"},
		{[]string{"dead-letters"}, "Usage: distctl dead-letters"},
		{[]string{"dead-letters", "fix"}, `unknown command "fix"`},
		{[]string{"dead-letters", "list"}, "name the GROUPs, or give -management"},
		{[]string{"dead-letters", "show"}, "want one GROUP"},
		{[]string{"dead-letters", "replay", "g"}, "choose what to replay"},
		{[]string{"dead-letters", "replay", "-all", "-id", "x", "g"}, "do not combine"},
		{[]string{"dead-letters", "replay", "-all", "g"}, "give -schemas DIR"},
		{[]string{"dead-letters", "purge"}, "want one GROUP"},
		{[]string{"groups"}, "Usage: distctl groups"},
		{[]string{"groups", "list"}, "name the GROUPs, or give -management"},
		{[]string{"groups", "delete", "a", "b"}, "want one GROUP"},
		{[]string{"groups", "list", "-url", "memory://", "g"}, "memory:// keeps its groups and dead letters inside the process"},
		{[]string{"dead-letters", "show", "-url", "memory://", "g"}, "memory:// keeps its groups"},
		{[]string{"groups", "list", "-url", "amqp://127.0.0.1/?bogus=1", "g"}, "bogus"},
		{[]string{"groups", "list", "-url", "localhost:5672", "g"}, `unknown URL scheme "localhost"`},
		{[]string{"groups", "list", "-url", "nats://localhost:4222", "-format", "json", "g"}, "nats"},
	} {
		r := c.run(ctx, tc.args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, want 2 and stderr containing %q\nstderr: %s", tc.args, r.code, tc.want, r.stderr)
		}
	}
}

// Flags may come after the arguments; "--" ends the flags.
func TestFlagsAfterArguments(t *testing.T) {
	c := newCommand(&env{getenv: func(string) string { return "" }}, "x", "")
	n := c.fl.Int("n", 0, "")
	if _, done := c.parse([]string{"a", "-n", "3", "b", "--", "-c"}); done || *n != 3 || strings.Join(c.args, " ") != "a b -c" {
		t.Fatalf("n=%d args=%q", *n, c.args)
	}
}

func TestAddOptions(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"amqp://h/", "amqp://h/?open_wait=0s"},
		{"amqp://h/?", "amqp://h/?open_wait=0s"},
		{"amqp://h/?exchange=x", "amqp://h/?exchange=x&open_wait=0s"},
		{"amqp://h/?open_wait=5s", "amqp://h/?open_wait=5s"},
		{"amqp://u:p%zz@h/", "amqp://u:p%zz@h/"}, // does not parse: left to Open
		{"memory://", "memory://?open_wait=0s"},
	} {
		if got := addOptions(tc.in, "open_wait", "0s"); got != tc.want {
			t.Errorf("addOptions(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
