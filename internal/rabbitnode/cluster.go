package rabbitnode

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Cluster is a set of private nodes clustered together. They share one
// cookie, one HOME and one private epmd.
type Cluster struct {
	env   *env
	nodes []*Node
	once  sync.Once
}

// StartCluster starts n private nodes, joins nodes 2..n to node 1 and waits
// until every node runs and the cluster reports no partition. On failure it
// tears down what it started. Call Teardown when done; NewCluster does it
// for tests.
func StartCluster(ctx context.Context, n int, opts Options) (*Cluster, error) {
	if n < 1 {
		return nil, fmt.Errorf("rabbitnode: cluster of %d nodes", n)
	}
	e, err := newEnv(ctx, opts)
	if err != nil {
		return nil, err
	}
	c := &Cluster{env: e}
	for i := 1; i <= n; i++ {
		nd, err := e.newNode(i)
		if err != nil {
			c.Teardown()
			return nil, err
		}
		c.nodes = append(c.nodes, nd)
	}
	start := time.Now()
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, nd := range c.nodes {
		wg.Go(func() { errs[i] = nd.Start(ctx) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		c.Teardown()
		return nil, err
	}
	first := c.nodes[0]
	for _, nd := range c.nodes[1:] {
		jctx, cancel := context.WithTimeout(ctx, e.opts.BootTimeout)
		err := nd.join(jctx, first)
		cancel()
		if err != nil {
			c.Teardown()
			return nil, err
		}
	}
	if err := c.WaitHealthy(ctx); err != nil {
		c.Teardown()
		return nil, err
	}
	e.opts.Logf("rabbitnode: cluster of %d nodes up in %v", n, time.Since(start).Round(10*time.Millisecond))
	return c, nil
}

func (n *Node) join(ctx context.Context, to *Node) error {
	if err := n.StopApp(ctx); err != nil {
		return err
	}
	if _, err := n.Ctl(ctx, "join_cluster", to.name); err != nil {
		return err
	}
	return n.StartApp(ctx)
}

// Nodes returns the cluster's nodes, node 1 first.
func (c *Cluster) Nodes() []*Node { return slices.Clone(c.nodes) }

// Node returns node i, counting from 0.
func (c *Cluster) Node(i int) *Node { return c.nodes[i] }

// Addrs returns the AMQP addresses of the nodes, node 1 first.
func (c *Cluster) Addrs() []string {
	a := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		a[i] = n.Addr()
	}
	return a
}

// URL returns a multi-node AMQP URL with the guest user and every node's
// address, comma-separated: "amqp://guest:guest@127.0.0.1:p1,127.0.0.1:p2/".
// Append a query ("?queue_type=quorum") as needed.
func (c *Cluster) URL() string {
	return "amqp://guest:guest@" + strings.Join(c.Addrs(), ",") + "/"
}

// ByName returns the node with the Erlang node name name.
func (c *Cluster) ByName(name string) (*Node, bool) {
	for _, n := range c.nodes {
		if n.name == name {
			return n, true
		}
	}
	return nil, false
}

// ByAddr returns the node whose AMQP address ("127.0.0.1:port") is addr.
func (c *Cluster) ByAddr(addr string) (*Node, bool) {
	for _, n := range c.nodes {
		if n.Addr() == addr {
			return n, true
		}
	}
	return nil, false
}

// clusterStatus is the part of `rabbitmqctl cluster_status --formatter json`
// that WaitHealthy reads.
type clusterStatus struct {
	RunningNodes []string          `json:"running_nodes"`
	DiskNodes    []string          `json:"disk_nodes"`
	Partitions   map[string]any    `json:"partitions"`
	Alarms       []json.RawMessage `json:"alarms"`
}

// WaitHealthy waits until every node's process runs, accepts AMQP
// connections, and the cluster status (asked of a running node) lists every
// node as running with no partition.
func (c *Cluster) WaitHealthy(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.env.opts.BootTimeout)
	defer cancel()
	want := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		want[i] = n.name
	}
	slices.Sort(want)
	for _, n := range c.nodes {
		if err := n.WaitReady(ctx); err != nil {
			return err
		}
	}
	var last string
	for {
		for _, n := range c.nodes {
			out, err := n.Ctl(ctx, "cluster_status", "--formatter", "json")
			if err != nil {
				last = err.Error()
				continue
			}
			var st clusterStatus
			if err := json.Unmarshal([]byte(out), &st); err != nil {
				last = fmt.Sprintf("cluster_status: %v: %q", err, out)
				continue
			}
			running := slices.Sorted(slices.Values(st.RunningNodes))
			if slices.Equal(running, want) && len(st.Partitions) == 0 {
				return nil
			}
			last = fmt.Sprintf("running %v, partitions %v", running, st.Partitions)
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("rabbitnode: cluster not healthy: %w (last status: %s)", ctx.Err(), last)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// QueueLeader returns the node that leads the quorum queue (or hosts the
// classic queue) named queue in vhost "/", asking a running node.
func (c *Cluster) QueueLeader(ctx context.Context, queue string) (*Node, error) {
	var lastErr error
	for _, n := range c.nodes {
		if !n.Running() {
			continue
		}
		name, err := n.queueLeader(ctx, queue)
		if err != nil {
			lastErr = err
			continue
		}
		if nd, ok := c.ByName(name); ok {
			return nd, nil
		}
		return nil, fmt.Errorf("rabbitnode: queue %q led by unknown node %q", queue, name)
	}
	if lastErr == nil {
		lastErr = fmt.Errorf("%w: no node of the cluster", ErrNotRunning)
	}
	return nil, lastErr
}

// ErrNoQueue is returned by QueueLeader when the queue does not exist.
var ErrNoQueue = errors.New("rabbitnode: no such queue")

func (n *Node) queueLeader(ctx context.Context, queue string) (string, error) {
	out, err := n.Ctl(ctx, "list_queues", "--formatter", "json", "name", "type", "leader", "pid")
	if err != nil {
		return "", err
	}
	var rows []struct {
		Name   string `json:"name"`
		Type   string `json:"type"`
		Leader string `json:"leader"`
		PID    string `json:"pid"`
	}
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		return "", fmt.Errorf("rabbitnode: list_queues on %s: %v: %q", n.name, err, out)
	}
	for _, r := range rows {
		if r.Name != queue {
			continue
		}
		if r.Leader != "" {
			return r.Leader, nil
		}
		// A classic queue: its pid "<node.x.y.z>" names its node.
		p := strings.Trim(r.PID, "<>")
		if i := strings.LastIndex(p, "@"); i >= 0 {
			if j := strings.Index(p[i:], "."); j >= 0 {
				return p[:i+j], nil
			}
		}
		return "", fmt.Errorf("rabbitnode: queue %q has no leader yet (pid %q)", queue, r.PID)
	}
	return "", fmt.Errorf("%w: %q on %s", ErrNoQueue, queue, n.name)
}

// Teardown kills every node of the cluster (SIGKILL by PID), stops the
// private epmd and removes the cluster's directory. It is idempotent and
// safe to call after any failure.
func (c *Cluster) Teardown() {
	c.once.Do(func() {
		var wg sync.WaitGroup
		for _, n := range c.nodes {
			wg.Go(func() { _ = n.Kill() })
		}
		wg.Wait()
		c.env.teardown()
	})
}
