//go:build clustertest

package clustertest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/internal/rabbitnode"
)

// benchBody is a ~300-byte JSON message, like the driver's own benchmark.
var benchBody = []byte(`{"metadata":{"user_id":42,"datetime":1575446887339,"topic":"pose"},"data":{"translation":{"x":0.48,"y":0.007,"z":-1.13},"rotation":{"x":-0.108,"y":-0.267,"z":-0.021,"w":0.956},"pad":"` + strings.Repeat("x", 138) + `"}}`)

// BenchmarkClusterGroupQueue measures end-to-end group-queue throughput
// (publish with confirms, consume, ack; ~300-byte persistent JSON) through
// the driver on a private 3-node cluster with a quorum queue, beside the
// same workload on a private single node of the same run (quorum and
// classic queue). Publisher and subscriber connect to the queue's leader
// (cluster: node 1, the first in the URL).
//
//   - pub16: 16 goroutines calling Publish, one message each.
//
//   - batch1: 1 goroutine calling PublishBatch with batches of 256.
//
//     go test -tags clustertest -run '^$' -bench ClusterGroupQueue -benchtime 20000x ./drivers/amqp/clustertest/
func BenchmarkClusterGroupQueue(b *testing.B) {
	quiet := rabbitnode.Options{Logf: func(string, ...any) {}}
	c := rabbitnode.NewCluster(b, 3, quiet)
	single := rabbitnode.NewNode(b, quiet)
	for _, w := range []struct {
		name       string
		publishers int
		batch      int
	}{
		{"pub16", 16, 1},
		{"batch1", 1, 256},
	} {
		b.Run(w.name, func(b *testing.B) {
			n := max(b.N, 500)
			var classic, quorum, cluster float64
			const rounds = 2
			for range rounds { // interleaved: same conditions for all
				classic += runGroup(b, single.URL()+"?queue_type=classic", w.publishers, w.batch, n/rounds)
				quorum += runGroup(b, single.URL()+"?queue_type=quorum", w.publishers, w.batch, n/rounds)
				cluster += runGroup(b, c.URL()+"?queue_type=quorum", w.publishers, w.batch, n/rounds)
			}
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(classic/rounds, "single-classic-msg/s")
			b.ReportMetric(quorum/rounds, "single-quorum-msg/s")
			b.ReportMetric(cluster/rounds, "cluster3-quorum-msg/s")
			b.ReportMetric(cluster/quorum, "cluster/single-quorum")
		})
	}
}

var benchSeq atomic.Int64

// runGroup streams n messages through a group subscription on url and
// returns messages per second, from the first publish to the last handled.
func runGroup(b *testing.B, url string, publishers, batch, n int) float64 {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ns := fmt.Sprintf("bench%d-%d", time.Now().UnixNano(), benchSeq.Add(1))
	url += "&exchange=" + ns
	dp, err := distributer.Open(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer dp.Close()
	ds, err := distributer.Open(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer ds.Close()
	var got atomic.Int64
	done := make(chan struct{})
	if _, err := ds.Subscribe(ctx, []string{"bench.#"}, distributer.HandlerFunc(func(context.Context, *distributer.Message) error {
		if got.Add(1) == int64(n) {
			close(done)
		}
		return nil
	}), distributer.Group(ns)); err != nil {
		b.Fatal(err)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range publishers {
		wg.Go(func() {
			for {
				end := next.Add(int64(batch))
				first := end - int64(batch)
				if first >= int64(n) {
					return
				}
				k := min(end, int64(n)) - first
				if batch == 1 {
					if err := dp.Publish(ctx, "bench.msg", benchBody); err != nil {
						b.Error(err)
						return
					}
					continue
				}
				msgs := make([]*distributer.Message, k)
				for i := range msgs {
					msgs[i] = &distributer.Message{Topic: "bench.msg", Body: benchBody}
				}
				if err := dp.PublishBatch(ctx, msgs); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	select {
	case <-done:
	case <-ctx.Done():
		b.Fatalf("%d of %d messages handled", got.Load(), n)
	}
	return float64(n) / time.Since(start).Seconds()
}
