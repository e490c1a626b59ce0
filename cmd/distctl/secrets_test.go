package main

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"
)

// No output of any command holds the URL's password, whatever goes wrong:
// a broker that is down, a wrong password, an invalid option, a URL that
// does not parse, a management API that does not answer; and a broker that
// is down is said to be so, with exit 3.
func TestSecretsNeverPrinted(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const secret = "S3cr3t-Pw-zq"
	good := broker(t)
	u, _ := url.Parse(good)
	wrongPass := "amqp://guest:" + secret + "@" + u.Host + "/"
	down := "amqp://guest:" + secret + "@127.0.0.1:1/"
	for _, tc := range []struct {
		url  string
		args []string
		code int
		want string
	}{
		{down, []string{"tail", "#"}, exitBroker, "connection refused"},
		{down, []string{"tail", "#"}, exitBroker, "is the broker running?"},
		{down, []string{"publish", "-no-validate", "a.b"}, exitBroker, "connection refused"},
		{down, []string{"dead-letters", "list", "g"}, exitBroker, "connection refused"},
		{down, []string{"dead-letters", "replay", "-all", "-no-validate", "g"}, exitBroker, "connection refused"},
		{down, []string{"groups", "delete", "-yes", "g"}, exitBroker, "connection refused"},
		{wrongPass, []string{"groups", "list", "g"}, exitBroker, "access refused"},
		{wrongPass + "?bogus=1", []string{"groups", "list", "g"}, exitUsage, "bogus"},
		{"amqp://guest:" + secret + "%zz@127.0.0.1/", []string{"groups", "list", "g"}, exitUsage, "invalid %-escape"},
		{"amqp://guest:" + secret + "#x@127.0.0.1/", []string{"tail", "#"}, exitUsage, "xxxxx"},
		{"amqp://guest:" + secret + "@[::1/", []string{"tail", "#"}, exitUsage, "xxxxx"},
		{"amqp:guest:" + secret + "@127.0.0.1/", []string{"tail", "#"}, exitUsage, "//"},
		{good, []string{"groups", "list", "-management", "http://admin:" + secret + "@127.0.0.1:1"}, exitBroker, "rabbitmq_management"},
		{good, []string{"groups", "list", "-management", "ftp://admin:" + secret + "@127.0.0.1:1"}, exitUsage, "-management ftp://admin:xxxxx@"},
		{"amqp://guest:" + secret + "@127.0.0.1:5672/", []string{"dead-letters", "list", "-management", "http://127.0.0.1:1"}, exitBroker, "access refused"},
	} {
		c := newCLI(t, envURL, tc.url)
		c.stdin = "{}\n"
		r := c.run(ctx, tc.args...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v with %s: exit %d, want %d and stderr with %q\nstderr: %s", tc.args, "url", r.code, tc.code, tc.want, r.stderr)
		}
		if strings.Contains(r.stdout+r.stderr, secret) {
			t.Errorf("%v: the password was printed:\n%s%s", tc.args, r.stdout, r.stderr)
		}
	}
}

// -wait waits for a broker that is down (open_wait) and then says why it
// gave up.
func TestWaitForBroker(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := newCLI(t, envURL, "amqp://guest:guest@127.0.0.1:1/")
	start := time.Now()
	r := c.run(ctx, "groups", "list", "-wait", "700ms", "g").must(t, exitBroker, "wait")
	if el := time.Since(start); el < 400*time.Millisecond || !strings.Contains(r.stderr, "gave up") {
		t.Errorf("waited %v: %s", el, r.stderr)
	}
}
