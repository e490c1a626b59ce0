package distributer_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"sync"

	"github.com/distributer/distributer"
)

// Publish to a topic and receive it through a pattern subscription.
func Example() {
	ctx := context.Background()
	d, err := distributer.Open(ctx, "memory://example")
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()

	received := make(chan string)
	sub, err := d.Subscribe(ctx, []string{"raw.*"}, distributer.HandlerFunc(func(ctx context.Context, m *distributer.Message) error {
		received <- fmt.Sprintf("%s %s (attempt %d)", m.Topic, m.Body, m.Attempt)
		return nil
	}))
	if err != nil {
		log.Fatal(err)
	}
	defer sub.Close()

	if err := d.Publish(ctx, "raw.pose", []byte(`{"x":1.5}`)); err != nil {
		log.Fatal(err)
	}
	fmt.Println(<-received)
	// Output: raw.pose {"x":1.5} (attempt 1)
}

// Members of a group share the work: each message goes to one of them.
func ExampleGroup() {
	ctx := context.Background()
	d, err := distributer.Open(ctx, "memory://example-group")
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()

	var (
		mu   sync.Mutex
		seen = map[string]int{}
		wg   sync.WaitGroup
	)
	wg.Add(10)
	worker := distributer.HandlerFunc(func(ctx context.Context, m *distributer.Message) error {
		mu.Lock()
		seen[string(m.Body)]++
		mu.Unlock()
		wg.Done()
		return nil
	})
	for range 3 {
		if _, err := d.Subscribe(ctx, []string{"jobs.#"}, worker, distributer.Group("resizers")); err != nil {
			log.Fatal(err)
		}
	}
	for i := range 10 {
		if err := d.Publish(ctx, "jobs.resize", fmt.Appendf(nil, `{"job":%d}`, i)); err != nil {
			log.Fatal(err)
		}
	}
	wg.Wait()
	fmt.Println(len(seen), "jobs, each handled once:", seen[`{"job":0}`] == 1 && seen[`{"job":9}`] == 1)
	// Output: 10 jobs, each handled once: true
}

// A handler error means "not processed": the message comes again with a
// higher Attempt. Reject gives up at once (the message is dead-lettered).
func ExampleReject() {
	ctx := context.Background()
	d, err := distributer.Open(ctx, "memory://example-reject?max_attempts=3")
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()

	done := make(chan struct{})
	_, err = d.Subscribe(ctx, []string{"orders.*"}, distributer.HandlerFunc(func(ctx context.Context, m *distributer.Message) error {
		fmt.Println("attempt", m.Attempt)
		if m.Attempt < 2 {
			return errors.New("database busy") // redelivered
		}
		defer close(done)
		return distributer.Reject(errors.New("order is malformed")) // dead-lettered
	}))
	if err != nil {
		log.Fatal(err)
	}
	if err := d.Publish(ctx, "orders.new", []byte(`{"id":7}`)); err != nil {
		log.Fatal(err)
	}
	<-done
	// Output:
	// attempt 1
	// attempt 2
}

// Invalid bodies and topics are refused before anything is sent.
func ExampleDistributer_Publish() {
	ctx := context.Background()
	d, err := distributer.Open(ctx, "memory://")
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()

	err = d.Publish(ctx, "raw.pose", []byte(`{"x":`))
	fmt.Println(errors.Is(err, distributer.ErrInvalidJSON))
	err = d.Publish(ctx, "raw.*", []byte(`{}`))
	fmt.Println(errors.Is(err, distributer.ErrInvalidTopic))
	err = d.Publish(ctx, "raw.pose", []byte(`{"x":1}`), distributer.WithHeaders(map[string]string{"trace-id": "abc"}))
	fmt.Println(err)
	// Output:
	// true
	// true
	// <nil>
}

// Opening an unregistered scheme says which schemes are available.
func ExampleOpen_unknownScheme() {
	_, err := distributer.Open(context.Background(), "nats://user:secret@localhost:4222")
	var use *distributer.UnknownSchemeError
	fmt.Println(errors.As(err, &use), use.Scheme)
	// Output: true nats
}

// Publish without waiting for each confirm, then wait for the results: one
// goroutine keeps many messages in flight. Invalid messages fail at once.
func ExampleDistributer_PublishAsync() {
	ctx := context.Background()
	d, err := distributer.Open(ctx, "memory://example-async",
		distributer.WithAsyncSettings(distributer.AsyncSettings{MaxOutstandingMessages: 500})) // optional
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close() // waits for outstanding results (at most the drain timeout)

	var results []*distributer.PublishResult
	for i := range 3 {
		results = append(results, d.PublishAsync(ctx, "raw.pose", fmt.Appendf(nil, `{"seq":%d}`, i),
			distributer.WithID(fmt.Sprintf("pose-%d", i))))
	}
	bad := d.PublishAsync(ctx, "raw.pose", []byte(`{not json`))
	<-bad.Done() // already closed: refused before anything was sent

	if err := d.Flush(ctx); err != nil { // every result above is resolved now
		log.Fatal(err)
	}
	for _, r := range results {
		id, err := r.Get(ctx)
		fmt.Println(id, err)
	}
	_, err = bad.Get(ctx)
	fmt.Println(errors.Is(err, distributer.ErrInvalidJSON))
	// Output:
	// pose-0 <nil>
	// pose-1 <nil>
	// pose-2 <nil>
	// true
}
