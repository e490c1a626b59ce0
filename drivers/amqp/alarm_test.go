package amqp_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/drivers/amqp"
	"github.com/distributer/distributer/internal/rabbitnode"
)

// A memory alarm (vm_memory_high_watermark 0) makes the broker block
// publishing connections until it clears. Publish returns when its context
// ends, with ErrNotConfirmed and the context's error, also when it is
// writing a large batch the broker no longer reads; once the alarm clears
// publishing works again and every message whose Publish returned nil is
// handled.
func testMemoryAlarm(t *testing.T, node *rabbitnode.Node, base string) {
	raw, _ := newNamespace(t, base, []string{"g"}, "reconnect_min", "100ms", "reconnect_max", "500ms")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d, err := distributer.Open(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	var (
		mu      sync.Mutex
		handled = map[string]bool{}
		ok      []string // ids whose Publish returned nil
	)
	if _, err := d.Subscribe(ctx, []string{"alarm.*"}, distributer.HandlerFunc(func(_ context.Context, m *distributer.Message) error {
		mu.Lock()
		handled[m.ID] = true
		mu.Unlock()
		return nil
	}), distributer.Group("g")); err != nil {
		t.Fatal(err)
	}
	if err := d.Publish(ctx, "alarm.x", []byte(`{"n":0}`), distributer.WithID("before")); err != nil {
		t.Fatal(err)
	}
	ok = append(ok, "before")

	setWatermark := func(v string) {
		t.Helper()
		if out, err := node.Ctl(ctx, "set_vm_memory_high_watermark", v); err != nil {
			t.Fatalf("set_vm_memory_high_watermark %s: %v\n%s", v, err, out)
		}
	}
	setWatermark("0")
	cleared := false
	defer func() {
		if !cleared {
			if _, err := node.Ctl(context.Background(), "set_vm_memory_high_watermark", "0.4"); err != nil {
				t.Errorf("clearing the alarm: %v", err)
			}
		}
	}()

	// checkCtxErr publishes with a ctx of timeout and wants it to fail
	// with the context's error within timeout + 1s.
	checkCtxErr := func(name string, timeout time.Duration, publish func(context.Context) error) {
		t.Helper()
		pctx, pcancel := context.WithTimeout(ctx, timeout)
		defer pcancel()
		t0 := time.Now()
		err := publish(pctx)
		el := time.Since(t0)
		t.Logf("%s during the alarm: %v after %v", name, err, el.Round(time.Millisecond))
		if !errors.Is(err, context.DeadlineExceeded) || el > timeout+3*time.Second {
			t.Errorf("%s during the alarm = %v after %v, want a deadline error within %v", name, err, el, timeout+3*time.Second)
		}
	}

	// A batch far larger than the socket buffers: once the broker stops
	// reading, its writes block; Publish must still return in time.
	const big = 64
	pad := bytes.Repeat([]byte("x"), 256<<10)
	batch := make([]*distributer.Message, big)
	for i := range batch {
		batch[i] = &distributer.Message{
			Topic: "alarm.x", ID: fmt.Sprintf("big-%d", i),
			Body: fmt.Appendf(nil, `{"n":%d,"pad":"%s"}`, i, pad),
		}
	}
	checkCtxErr("PublishBatch of 16 MB", 2*time.Second, func(c context.Context) error {
		err := d.PublishBatch(c, batch)
		var be *distributer.BatchError
		if errors.As(err, &be) {
			for i, e := range be.Errs {
				if e == nil {
					mu.Lock()
					ok = append(ok, batch[i].ID)
					mu.Unlock()
				} else if !errors.Is(e, amqp.ErrNotConfirmed) {
					t.Errorf("batch message %d: %v, want ErrNotConfirmed", i, e)
				}
			}
			for _, e := range be.Errs {
				if e != nil {
					return e
				}
			}
		}
		return err
	})
	// Once the broker has told the connection it is blocked, a new
	// Publish waits instead of writing.
	var last error
	for i := range 3 {
		checkCtxErr("Publish", time.Second, func(c context.Context) error {
			last = d.Publish(c, "alarm.x", []byte(`{"n":1}`), distributer.WithID(fmt.Sprintf("small-%d", i)))
			if last != nil && !errors.Is(last, amqp.ErrNotConfirmed) {
				t.Errorf("Publish during the alarm = %v, want ErrNotConfirmed", last)
			}
			return last
		})
	}
	if last == nil || !strings.Contains(last.Error(), "blocked by the broker") {
		t.Errorf("Publish on a blocked connection = %v, want it to say it waited for the blocked connection", last)
	}

	setWatermark("0.4")
	cleared = true
	if err := d.Publish(ctx, "alarm.x", []byte(`{"n":2}`), distributer.WithID("after")); err != nil {
		t.Fatalf("Publish after the alarm cleared: %v", err)
	}
	ok = append(ok, "after")
	for {
		mu.Lock()
		var missing []string
		for _, id := range ok {
			if !handled[id] {
				missing = append(missing, id)
			}
		}
		mu.Unlock()
		if len(missing) == 0 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("messages confirmed by Publish but never handled: %v", missing)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
