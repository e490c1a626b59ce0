package typed_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/distributer/distributer/drivers/memory"
)

// deadLetter is a message the memory driver dead-lettered.
type deadLetter struct {
	Topic  string
	Body   []byte
	Reason string
}

// watchDeadLetters reports, from now on, the messages dead-lettered on the
// memory bus of rawURL, until the test ends.
func watchDeadLetters(t *testing.T, rawURL string) <-chan deadLetter {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	var after uint64
	if dls := memory.DeadLetters(u.Host); len(dls) > 0 {
		after = dls[len(dls)-1].Seq
	}
	ch := make(chan deadLetter, 100)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			dls, err := memory.WaitDeadLetters(ctx, u.Host, after)
			if err != nil {
				return
			}
			for _, dl := range dls {
				after = dl.Seq
				select {
				case ch <- deadLetter{Topic: dl.Message.Topic, Body: dl.Message.Body, Reason: dl.Reason}:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return ch
}
