package rabbitnode

import (
	"context"
	"errors"
	"os"
	"testing"
)

// InCI reports whether the tests run in CI (CI=true or CI=1), where broker
// tests must fail rather than skip.
func InCI() bool {
	v := os.Getenv("CI")
	return v == "true" || v == "1"
}

// Require skips t when rabbitmq-server is not installed, or fails it when
// running in CI.
func Require(t testing.TB, opts Options) {
	t.Helper()
	if err := Installed(opts); err != nil {
		if InCI() {
			t.Fatalf("CI=true and no RabbitMQ to start private nodes: %v", err)
		}
		t.Skipf("skipping: %v", err)
	}
}

// NewNode starts a lone private node for t (see Require for when it skips)
// and tears it down when t ends, whatever happened. When t failed, the tail
// of the node's log is logged first. Progress goes to t.Logf unless
// opts.Logf is set.
func NewNode(t testing.TB, opts Options) *Node {
	t.Helper()
	Require(t, opts)
	if opts.Logf == nil {
		opts.Logf = t.Logf
	}
	n, err := StartNode(context.Background(), opts)
	if err != nil {
		t.Fatalf("start private RabbitMQ node: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("log of %s:\n%s", n.Name(), n.LogTail(40))
		}
		n.Teardown()
	})
	return n
}

// NewCluster starts a private cluster of n nodes for t (see Require for when
// it skips) and tears it down when t ends, whatever happened.
func NewCluster(t testing.TB, n int, opts Options) *Cluster {
	t.Helper()
	Require(t, opts)
	if opts.Logf == nil {
		opts.Logf = t.Logf
	}
	c, err := StartCluster(context.Background(), n, opts)
	if err != nil {
		if errors.Is(err, ErrNotInstalled) && !InCI() {
			t.Skipf("skipping: %v", err)
		}
		t.Fatalf("start private RabbitMQ cluster: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, nd := range c.Nodes() {
				t.Logf("log of %s:\n%s", nd.Name(), nd.LogTail(40))
			}
		}
		c.Teardown()
	})
	return c
}
