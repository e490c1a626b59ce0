package main

import (
	"strings"
	"testing"
)

// A message holding a number the validator cannot represent is reported
// invalid (exit 1) with its JSON pointer; it used to panic distgen (exit 2,
// no report).
func TestValidateHugeNumbers(t *testing.T) {
	in := `{"topic": "order.placed", "body": {"qty": 1e9999999}}
{"topic": "order.placed", "body": {"qty": -1E+99999999, "lines": []}}
`
	code, out, errs := runCmd(t, in, "validate", "-schemas", vdir+"/schemas")
	if code != 1 || !strings.Contains(out, "<stdin>:1: topic \"order.placed\": at /qty: number 1e9999999 is outside the supported range") ||
		!strings.Contains(out, "<stdin>:2: topic \"order.placed\": at /qty: number -1E+99999999 is outside") ||
		!strings.Contains(out, "2 message(s) checked: 0 valid, 2 invalid") {
		t.Fatalf("code %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
}
