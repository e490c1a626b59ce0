package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/distributer/distributer/drivers/amqp"
)

// A replay interrupted half-way, by SIGKILL (nothing runs after it) or by
// SIGINT (distctl stops, says what it did, exits 130), loses nothing: every
// dead letter was either handled by the group or is still in the
// dead-letter queue, and a second replay finishes the work. Duplicates: at
// most one message per interruption, the one whose copy was confirmed but
// whose dead letter was not yet removed.
func TestReplayInterrupted(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
			defer cancel()
			raw := namespace(t, "workers")
			w := newWorkers(t, ctx, raw)
			const n = 1000
			msgs := make([][3]string, n)
			for i := range msgs {
				msgs[i] = [3]string{"orders.placed", fmt.Sprintf("m%04d", i), fmt.Sprintf(`{"id": "o-%d", "qty": 1}`, i)}
			}
			w.deadLetter(t, ctx, n, msgs...)
			dlq := w.a.DeadLetterQueue("workers")
			w.broken.Store(false)

			cmd := exec.CommandContext(ctx, os.Args[0], "dead-letters", "replay", "-all", "-schemas", schemaDir, "workers")
			cmd.Env = append(os.Environ(), "DISTCTL_TEST_MAIN=1", envURL+"="+raw)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			waitFor(t, ctx, "a third replayed", func() bool { return w.distinct() >= n/3 })
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			err := cmd.Wait()
			code := cmd.ProcessState.ExitCode()
			t.Logf("%v after %d handled: exit %d (%v)\nstdout: %sstderr: %s", sig, w.distinct(), code, err, stdout.String(), stderr.String())
			if w.distinct() == n {
				t.Fatalf("the replay ended before the signal: make n larger")
			}
			if sig == syscall.SIGINT && (code != exitInterrupted || !strings.HasPrefix(stdout.String(), "replayed ") || !strings.Contains(stderr.String(), "interrupted")) {
				t.Errorf("SIGINT: exit %d, want %d and a summary", code, exitInterrupted)
			}

			// Nothing lost: each id handled or waiting in the queue (the
			// broker requeues the killed client's unacked dead letters).
			var waiting map[string]bool
			waitFor(t, ctx, "every message handled or dead-lettered", func() bool {
				waiting = map[string]bool{}
				err := w.a.Browse(ctx, dlq, 0, func(dl *amqp.DeadLetter) error { waiting[dl.ID] = true; return nil })
				if err != nil {
					t.Fatal(err)
				}
				for _, m := range msgs {
					if !waiting[m[1]] && w.handled(m[1]) == 0 {
						return false
					}
				}
				return true
			})
			t.Logf("%d handled, %d still dead letters", w.distinct(), len(waiting))

			// The rest, replayed again (once the broker has requeued the
			// ones the last Browse held).
			waitMessages(t, ctx, w.a, dlq, len(waiting))
			c := newCLI(t, envURL, raw, envSchemas, schemaDir)
			r := c.run(ctx, "dead-letters", "replay", "-all", "workers").must(t, exitOK, "second replay")
			if !strings.HasPrefix(r.stdout, fmt.Sprintf("replayed %d of %d", len(waiting), len(waiting))) {
				t.Errorf("second replay: %s", r.stdout)
			}
			waitFor(t, ctx, "every message handled", func() bool { return w.distinct() == n })
			waitMessages(t, ctx, w.a, dlq, 0)
			time.Sleep(200 * time.Millisecond)
			w.mu.Lock()
			dups := 0
			for id, at := range w.got {
				dups += len(at) - 1
				if len(at) > 1 {
					t.Logf("duplicate: %s handled %d times", id, len(at))
				}
			}
			w.mu.Unlock()
			if dups > 1 {
				t.Errorf("%d duplicates, want at most 1 (the message in flight)", dups)
			}
		})
	}
}
