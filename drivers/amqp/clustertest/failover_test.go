//go:build clustertest

package clustertest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/distributer/distributer"
	_ "github.com/distributer/distributer/drivers/amqp"
	"github.com/distributer/distributer/internal/rabbitnode"
	"go.uber.org/goleak"
)

// Workload of each scenario.
const (
	minMessages  = 10_000 // published (Publish returned nil) per scenario, at least
	maxMessages  = 60_000 // hard cap
	publishRate  = 1500   // messages per second, all publishers together
	publishers   = 24     // publishing goroutines, each waiting for its confirm
	faultAfter   = 2_500  // the fault starts once this many were sent
	publishAfter = time.Second
	publishLimit = 60 * time.Second // context of each Publish
	drainLimit   = 90 * time.Second // time allowed to deliver the rest after publishing
	topicName    = "cluster.msg"
)

// clusterURL lists every node, starting with node first: the driver dials
// the first that answers, so the clients sit on node first until it fails.
func clusterURL(c *rabbitnode.Cluster, first int, query string) string {
	addrs := c.Addrs()
	order := append(slices.Clone(addrs[first:]), addrs[:first]...)
	return "amqp://guest:guest@" + strings.Join(order, ",") + "/?" + query
}

// scenario is one failure injected while clients publish and consume.
type scenario struct {
	name string
	// client is the node the clients are connected to (first in their URL).
	client int
	// leader is the node through which the group queue is declared first,
	// and so its quorum leader.
	leader int
	// fanoutLossless: the fan-out subscriber's node stays up, so it must
	// miss nothing.
	fanoutLossless bool
	// query holds extra URL options of the clients ("&heartbeat=2s").
	query string
	// maxStall bounds the longest Publish: a publisher must recover by
	// itself within seconds (generous: the machine is shared).
	maxStall time.Duration
	// fault injects the failure and undoes it (restarts the node), returning
	// when the cluster is whole again.
	fault func(ctx context.Context, c *rabbitnode.Cluster, client, leader *rabbitnode.Node) error
}

var scenarios = []scenario{
	{
		name: "KillClientNode", client: 0, leader: 0, maxStall: 10 * time.Second,
		fault: func(ctx context.Context, c *rabbitnode.Cluster, client, _ *rabbitnode.Node) error {
			if err := client.Kill(); err != nil {
				return err
			}
			if err := client.Start(ctx); err != nil {
				return err
			}
			return c.WaitHealthy(ctx)
		},
	},
	{
		name: "KillLeaderNodeElsewhere", client: 1, leader: 2, fanoutLossless: true, maxStall: 10 * time.Second,
		fault: func(ctx context.Context, c *rabbitnode.Cluster, _, leader *rabbitnode.Node) error {
			if err := leader.Kill(); err != nil {
				return err
			}
			if err := leader.Start(ctx); err != nil {
				return err
			}
			return c.WaitHealthy(ctx)
		},
	},
	{
		name: "StopStartAppClientNode", client: 2, leader: 2, maxStall: 10 * time.Second,
		fault: func(ctx context.Context, c *rabbitnode.Cluster, client, _ *rabbitnode.Node) error {
			if err := client.StopApp(ctx); err != nil {
				return err
			}
			time.Sleep(2 * time.Second)
			if err := client.StartApp(ctx); err != nil {
				return err
			}
			return c.WaitHealthy(ctx)
		},
	},
	{
		// rabbitmqctl stop: the whole node (the Erlang VM too) shuts down
		// gracefully, handing over its quorum leaderships, then starts
		// again.
		name: "StopStartClientNode", client: 1, leader: 1, maxStall: 10 * time.Second,
		fault: func(ctx context.Context, c *rabbitnode.Cluster, client, _ *rabbitnode.Node) error {
			if err := client.Stop(ctx); err != nil {
				return err
			}
			if err := client.Start(ctx); err != nil {
				return err
			}
			return c.WaitHealthy(ctx)
		},
	},
	{
		// A hung node (SIGSTOP): its sockets stay open, it answers nothing.
		// The clients notice through heartbeats (3 intervals of 2s) and move
		// on; until the node resumes, the other nodes still count it as a
		// member (net_ticktime is 60s), so declares and binds that need it
		// wait, bounded by topology_timeout, and retry. The pause is shorter
		// than net_ticktime, so the cluster does not partition.
		name: "PauseClientNode", client: 0, leader: 1, query: "&heartbeat=2s", maxStall: pauseFor + 10*time.Second,
		fault: func(ctx context.Context, c *rabbitnode.Cluster, client, _ *rabbitnode.Node) error {
			if err := client.Pause(); err != nil {
				return err
			}
			time.Sleep(pauseFor)
			if err := client.Resume(); err != nil {
				return err
			}
			return c.WaitHealthy(ctx)
		},
	},
}

// pauseFor is how long PauseClientNode keeps the node stopped.
const pauseFor = 12 * time.Second

// TestClusterFailover starts a private 3-node cluster and runs every
// scenario on it: a quorum group queue with two members and a fan-out
// subscriber, fed continuously by several publishers, while a node fails.
// Every message whose Publish returned nil must reach the group.
func TestClusterFailover(t *testing.T) {
	c := rabbitnode.NewCluster(t, 3, rabbitnode.Options{})
	// Every client is closed at the end of its scenario: after all the
	// failovers, no goroutine of the driver may be left (the cluster's own
	// process watchers are).
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent(),
		goleak.IgnoreAnyFunction("github.com/distributer/distributer/internal/rabbitnode.(*Node).Start.func1"))
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			// A failed scenario may leave a node down: bring it back.
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			for _, n := range c.Nodes() {
				if !n.Running() {
					if err := n.Start(ctx); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := c.WaitHealthy(ctx); err != nil {
				t.Fatal(err)
			}
			runScenario(t, c, sc)
		})
	}
}

// tracker records deliveries by sequence number.
type tracker struct {
	mu      sync.Mutex
	count   []int32
	ids     []string
	total   int
	last    time.Time
	maxGap  time.Duration
	gapAt   time.Time
	idClash string
}

func newTracker() *tracker {
	return &tracker{count: make([]int32, maxMessages), ids: make([]string, maxMessages)}
}

type body struct {
	Seq int    `json:"seq"`
	Pad string `json:"pad"`
}

func (tr *tracker) handle(_ context.Context, m *distributer.Message) error {
	var b body
	if err := json.Unmarshal(m.Body, &b); err != nil || b.Seq < 0 || b.Seq >= maxMessages {
		return distributer.Reject(fmt.Errorf("bad body %q: %v", m.Body, err))
	}
	now := time.Now()
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if !tr.last.IsZero() {
		if g := now.Sub(tr.last); g > tr.maxGap {
			tr.maxGap, tr.gapAt = g, tr.last
		}
	}
	tr.last = now
	tr.total++
	tr.count[b.Seq]++
	switch {
	case tr.ids[b.Seq] == "":
		tr.ids[b.Seq] = m.ID
	case tr.ids[b.Seq] != m.ID && tr.idClash == "":
		tr.idClash = fmt.Sprintf("seq %d delivered with ids %q and %q", b.Seq, tr.ids[b.Seq], m.ID)
	}
	return nil
}

// missing returns the sequence numbers in ok that were not delivered, and
// how many duplicate deliveries there were.
func (tr *tracker) missing(ok []atomic.Bool) (missing []int, dups int) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	for i := range ok {
		if ok[i].Load() && tr.count[i] == 0 {
			missing = append(missing, i)
		}
		if tr.count[i] > 1 {
			dups += int(tr.count[i] - 1)
		}
	}
	return missing, dups
}

func runScenario(t *testing.T, c *rabbitnode.Cluster, sc scenario) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	nodes := c.Nodes()
	clientNode, leaderNode := nodes[sc.client], nodes[sc.leader]
	run := fmt.Sprintf("ct%d", time.Now().UnixNano())
	group := run + "-group"
	query := "queue_type=quorum&exchange=" + run + sc.query
	open := func(url string) *distributer.Distributer {
		t.Helper()
		octx, ocancel := context.WithTimeout(ctx, 30*time.Second)
		defer ocancel()
		d, err := distributer.Open(octx, url)
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		t.Cleanup(func() {
			if err := d.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
		})
		return d
	}

	// Declare the group queue through the leader node alone: it becomes the
	// queue's quorum leader.
	pre := open(clusterURL(c, sc.leader, query))
	s, err := pre.Subscribe(ctx, []string{"cluster.#"}, distributer.HandlerFunc(func(context.Context, *distributer.Message) error { return nil }), distributer.Group(group))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := pre.Close(); err != nil {
		t.Fatal(err)
	}
	if l, err := c.QueueLeader(ctx, group); err != nil {
		t.Fatal(err)
	} else if l != leaderNode {
		t.Fatalf("queue %s led by %s, want %s", group, l.Name(), leaderNode.Name())
	}

	// The clients: a publisher, two group members, a fan-out subscriber,
	// each its own connection, all to the client node first.
	url := clusterURL(c, sc.client, query)
	pub := open(url)
	groupTr, fanTr := newTracker(), newTracker()
	var subs []*distributer.Subscription
	for i := 0; i < 2; i++ {
		d := open(url)
		s, err := d.Subscribe(ctx, []string{"cluster.#"}, distributer.HandlerFunc(groupTr.handle), distributer.Group(group))
		if err != nil {
			t.Fatal(err)
		}
		subs = append(subs, s)
	}
	fan := open(url)
	fs, err := fan.Subscribe(ctx, []string{"cluster.*"}, distributer.HandlerFunc(fanTr.handle))
	if err != nil {
		t.Fatal(err)
	}
	subs = append(subs, fs)
	conns, err := clientNode.Connections(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(conns) != 4 {
		t.Fatalf("%d connections on the client node %s, want the 4 clients", len(conns), clientNode.Name())
	}
	if leaderNode != clientNode {
		if conns, err := leaderNode.Connections(ctx); err != nil {
			t.Fatal(err)
		} else if len(conns) != 0 {
			t.Fatalf("%d connections on the leader node %s, want none", len(conns), leaderNode.Name())
		}
	}

	// Publish continuously; inject the fault once faultAfter were sent.
	var (
		next        atomic.Int64
		ok          = make([]atomic.Bool, maxMessages)
		nOK, nErr   atomic.Int64
		maxStall    atomic.Int64
		faultDone   atomic.Int64 // unix nanos when the fault was undone
		errMu       sync.Mutex
		firstErrs   []string
		faultErr    error
		faultTiming string
	)
	pad := strings.Repeat("x", 200)
	start := time.Now()
	var wg sync.WaitGroup
	for range publishers {
		wg.Go(func() {
			for {
				seq := int(next.Add(1) - 1)
				if seq >= maxMessages {
					return
				}
				if fd := faultDone.Load(); fd != 0 && int(nOK.Load()) >= minMessages && time.Since(time.Unix(0, fd)) > publishAfter {
					return
				}
				if d := time.Until(start.Add(time.Duration(float64(seq) / publishRate * float64(time.Second)))); d > 0 {
					time.Sleep(d)
				}
				b, _ := json.Marshal(body{Seq: seq, Pad: pad})
				t0 := time.Now()
				pctx, pcancel := context.WithTimeout(ctx, publishLimit)
				err := pub.Publish(pctx, topicName, b)
				pcancel()
				lat := time.Since(t0)
				for {
					m := maxStall.Load()
					if int64(lat) <= m || maxStall.CompareAndSwap(m, int64(lat)) {
						break
					}
				}
				if err != nil {
					nErr.Add(1)
					errMu.Lock()
					if len(firstErrs) < 5 {
						firstErrs = append(firstErrs, fmt.Sprintf("seq %d after %v: %v", seq, lat.Round(time.Millisecond), err))
					}
					errMu.Unlock()
					continue
				}
				ok[seq].Store(true)
				nOK.Add(1)
			}
		})
	}
	wg.Go(func() {
		defer faultDone.Store(time.Now().UnixNano())
		for next.Load() < faultAfter && ctx.Err() == nil {
			time.Sleep(10 * time.Millisecond)
		}
		t0 := time.Now()
		t.Logf("fault at message %d (%v after start)", next.Load(), t0.Sub(start).Round(time.Millisecond))
		faultErr = sc.fault(ctx, c, clientNode, leaderNode)
		faultTiming = fmt.Sprintf("fault injected and undone, cluster whole again, in %v", time.Since(t0).Round(time.Millisecond))
	})
	wg.Wait()
	pubDur := time.Since(start)
	if faultErr != nil {
		t.Fatalf("fault: %v", faultErr)
	}

	// Wait until the group has every confirmed message.
	var missing []int
	var dups int
	deadline := time.Now().Add(drainLimit)
	for {
		missing, dups = groupTr.missing(ok)
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(missing) == 0 && sc.fanoutLossless {
		// Give the fan-out subscriber the same chance.
		for d := time.Now().Add(10 * time.Second); time.Now().Before(d); time.Sleep(100 * time.Millisecond) {
			if m, _ := fanTr.missing(ok); len(m) == 0 {
				break
			}
		}
	}
	fanMissing, fanDups := fanTr.missing(ok)

	groupTr.mu.Lock()
	gTotal, gGap, gGapAt, gClash := groupTr.total, groupTr.maxGap, groupTr.gapAt, groupTr.idClash
	groupTr.mu.Unlock()
	fanTr.mu.Lock()
	fTotal, fGap, fClash := fanTr.total, fanTr.maxGap, fanTr.idClash
	fanTr.mu.Unlock()

	t.Logf("%s", faultTiming)
	t.Logf("published %d confirmed, %d failed in %v (%.0f msg/s); longest publish stall %v",
		nOK.Load(), nErr.Load(), pubDur.Round(time.Millisecond), float64(nOK.Load())/pubDur.Seconds(), time.Duration(maxStall.Load()).Round(time.Millisecond))
	t.Logf("group: %d deliveries, %d confirmed messages missing, %d duplicates; longest delivery gap %v (at +%v)",
		gTotal, len(missing), dups, gGap.Round(time.Millisecond), gGapAt.Sub(start).Round(time.Millisecond))
	t.Logf("fan-out: %d deliveries, %d confirmed messages missed, %d duplicates; longest delivery gap %v",
		fTotal, len(fanMissing), fanDups, fGap.Round(time.Millisecond))

	if n := nErr.Load(); n > 0 {
		t.Errorf("%d publishes failed within %v (a nack or lost confirm must be retried): %s", n, publishLimit, strings.Join(firstErrs, "; "))
	}
	if st := time.Duration(maxStall.Load()); st > sc.maxStall {
		t.Errorf("a Publish took %v, want at most %v", st.Round(time.Millisecond), sc.maxStall)
	}
	if n := nOK.Load(); n < minMessages {
		t.Errorf("only %d messages confirmed, want at least %d", n, minMessages)
	}
	if len(missing) > 0 {
		t.Errorf("%d confirmed messages never reached the group, e.g. %v", len(missing), head(missing))
	}
	if gClash != "" || fClash != "" {
		t.Errorf("message ids not stable across redeliveries: %s %s", gClash, fClash)
	}
	if sc.fanoutLossless && len(fanMissing) > 0 {
		t.Errorf("fan-out subscriber on a surviving node missed %d messages, e.g. %v", len(fanMissing), head(fanMissing))
	}
	if len(fanMissing) == int(nOK.Load()) {
		t.Errorf("fan-out subscriber received nothing: it did not resume")
	}
	for i, s := range subs {
		select {
		case <-s.Done():
			t.Errorf("subscription %d ended: %v", i, s.Err())
		default:
		}
	}
}

func head(s []int) string {
	if len(s) > 10 {
		s = s[:10]
	}
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = strconv.Itoa(v)
	}
	return strings.Join(parts, ",")
}
