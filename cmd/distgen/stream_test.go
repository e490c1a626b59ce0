package main

import (
	"bytes"
	"context"
	"io"
	"runtime"
	"strings"
	"testing"
)

// TestValidateStreamsStdin: distgen validate reads stdin as a stream,
// holding one value at a time: 64 MiB of white space through a pipe, with
// values between, costs a few KiB, not the size of the input (issue 10,
// item 4; it read all of stdin first: 1 GiB of white space took 2.7 GB).
func TestValidateStreamsStdin(t *testing.T) {
	const total = 64 << 20
	pr, pw := io.Pipe()
	go func() {
		chunk := bytes.Repeat([]byte("  \t\r\n  \n"), 8<<10) // 64 KiB, reused
		body := []byte(`{"topic": "order.placed", "body": {"id": "o-1", "qty": 1}}` + "\n")
		bad := []byte(`{"topic": "order.placed", "body": {"id": "o-2", "qty": 0}}` + "\n")
		for i := 0; i < total/len(chunk); i++ {
			if _, err := pw.Write(chunk); err != nil {
				return
			}
			if i%256 == 0 {
				pw.Write(body)
			}
		}
		pw.Write(bad)
		pw.Close()
	}()
	var out, errb bytes.Buffer
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	code := run(context.Background(), []string{"validate", "-schemas", vdir + "/schemas"}, pr, &out, &errb)
	runtime.ReadMemStats(&after)
	if code != 1 || !strings.Contains(out.String(), "5 message(s) checked: 4 valid, 1 invalid") || !strings.Contains(out.String(), "at /qty: must be >= 1") {
		t.Fatalf("code %d\nstdout: %s\nstderr: %s", code, out.String(), errb.String())
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("%d MiB of input, %d KiB allocated in all", total>>20, alloc>>10)
	if alloc > 16<<20 {
		t.Errorf("allocated %d MiB for %d MiB of white space: stdin is not streamed", alloc>>20, total>>20)
	}
}
