package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const (
	bkManifest = `{"topics": {"orders": {"schema": "order.json"}, "audit": {"schema": "audit.json", "compatibility": "NONE"}}}`
	bkOrderV1  = `{"type": "object", "properties": {"id": {"type": "string"}, "qty": {"type": "integer", "maximum": 100}}, "required": ["id"], "additionalProperties": false}`
	bkOrderV2  = `{"type": "object", "properties": {"id": {"type": "string"}, "qty": {"type": "integer", "maximum": 10}}, "required": ["id"], "additionalProperties": false}`
	bkAuditV1  = `{"type": "string"}`
	bkAuditV2  = `{"type": "integer"}`
)

func gitRun(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "commit.gpgsign=false"}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// bkRepo makes a git repository with two commits of schemas/ (v1 tagged
// v1, then v2) and returns its schema directory.
func bkRepo(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	repo := t.TempDir()
	dir := filepath.Join(repo, "schemas")
	gitRun(t, repo, "init", "-q")
	writeFile(t, filepath.Join(dir, "distgen.json"), bkManifest)
	writeFile(t, filepath.Join(dir, "order.json"), bkOrderV1)
	writeFile(t, filepath.Join(dir, "audit.json"), bkAuditV1)
	gitRun(t, repo, "add", ".")
	gitRun(t, repo, "commit", "-q", "-m", "v1")
	gitRun(t, repo, "tag", "v1")
	writeFile(t, filepath.Join(dir, "order.json"), bkOrderV2)
	writeFile(t, filepath.Join(dir, "audit.json"), bkAuditV2)
	gitRun(t, repo, "commit", "-q", "-am", "v2")
	return dir
}

func TestBreakingGitRevision(t *testing.T) {
	dir := bkRepo(t)
	// Work tree changes must be seen for -schemas and left alone.
	before, _ := os.ReadFile(filepath.Join(dir, "order.json"))

	code, out, errOut := runCLI(t, "breaking", "-schemas", dir, "-against", "HEAD~1")
	if code != exitFailure {
		t.Fatalf("against HEAD~1: code %d, stdout %s, stderr %s", code, out, errOut)
	}
	wantLine := filepath.Join(dir, "order.json") + `:1: topic "orders": at /qty: MAXIMUM_DECREASED: bound <= 100 -> <= 10; breaks new readers`
	if !strings.Contains(out, wantLine) || !strings.Contains(out, "witness: {") || !strings.Contains(out, "1 breaking change(s)") {
		t.Errorf("output lacks %q, a witness or the summary:\n%s", wantLine, out)
	}
	if strings.Contains(out, "audit") {
		t.Errorf("topic audit has compatibility NONE but was reported:\n%s", out)
	}
	after, _ := os.ReadFile(filepath.Join(dir, "order.json"))
	if string(after) != string(before) {
		t.Error("the work tree changed")
	}
	// Against itself (HEAD) and against a tag.
	if code, out, _ := runCLI(t, "breaking", "-schemas", dir, "-against", "HEAD"); code != exitOK || !strings.Contains(out, "compatible: 1 topic(s) compared") {
		t.Errorf("against HEAD: code %d\n%s", code, out)
	}
	if code, _, _ := runCLI(t, "breaking", "-schemas", dir, "-against", "v1", "-mode", "FORWARD"); code != exitOK {
		t.Errorf("FORWARD against v1 (a lower maximum breaks no old reader): code %d", code)
	}
	if code, _, _ := runCLI(t, "breaking", "-schemas", dir, "-against-transitive", "tags", "-mode", "BACKWARD_TRANSITIVE"); code != exitFailure {
		t.Errorf("BACKWARD_TRANSITIVE against tags: code %d", code)
	}
}

func TestBreakingJSON(t *testing.T) {
	dir := bkRepo(t)
	code, out, errOut := runCLI(t, "breaking", "-schemas", dir, "-against", "v1", "-format", "json")
	if code != exitFailure {
		t.Fatalf("code %d, stderr %s", code, errOut)
	}
	var rep struct {
		Compatible bool
		Breaking   int
		Findings   []struct {
			File, Topic, Pointer, Rule, Severity, Breaks, Change, Why string
			Line                                                      int
			Witness                                                   json.RawMessage
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	// The audit topic (compatibility NONE) changed type: no wire finding,
	// but its generated Go type changed, a warning.
	if rep.Compatible || rep.Breaking != 1 || len(rep.Findings) != 2 || rep.Findings[1].Rule != "API_CHANGED" || rep.Findings[1].Severity != "warning" {
		t.Fatalf("report %+v", rep)
	}
	f := rep.Findings[0]
	if f.Rule != "MAXIMUM_DECREASED" || f.Topic != "orders" || f.Pointer != "/qty" || f.Breaks != "new readers" || f.Line != 1 || f.Severity != "breaking" || f.Why == "" {
		t.Errorf("finding %+v", f)
	}
	var w map[string]any
	if err := json.Unmarshal(f.Witness, &w); err != nil || w["qty"] == nil {
		t.Errorf("witness %s", f.Witness)
	}
}

func TestBreakingDirectoryAndUsage(t *testing.T) {
	old, nw := t.TempDir(), t.TempDir()
	for _, d := range []string{old, nw} {
		writeFile(t, filepath.Join(d, "distgen.json"), `{"topics": {"orders": {"schema": "order.json"}}}`)
	}
	writeFile(t, filepath.Join(old, "order.json"), bkOrderV1)
	writeFile(t, filepath.Join(nw, "order.json"), bkOrderV1)
	if code, out, _ := runCLI(t, "breaking", "-schemas", nw, "-against", old); code != exitOK || !strings.Contains(out, "compatible") {
		t.Errorf("same schemas: code %d\n%s", code, out)
	}
	writeFile(t, filepath.Join(nw, "order.json"), strings.Replace(bkOrderV1, `"required": ["id"]`, `"required": ["id", "qty"]`, 1))
	code, out, _ := runCLI(t, "breaking", "-schemas", nw, "-against", old, "-policy", "lenient")
	if code != exitFailure || !strings.Contains(out, "REQUIRED_ADDED") {
		t.Errorf("required added: code %d\n%s", code, out)
	}
	for _, args := range [][]string{
		{"-schemas", nw},
		{"-schemas", nw, "-against", old, "-mode", "SIDEWAYS"},
		{"-schemas", nw, "-against", old, "-policy", "loose"},
		{"-schemas", nw, "-against", old, "-format", "xml"},
		{"-schemas", nw, "-against", "no-such-dir-or-rev"},
		{"-schemas", filepath.Join(nw, "missing"), "-against", old},
	} {
		if code, _, errOut := runCLI(t, append([]string{"breaking"}, args...)...); code != exitUsage || errOut == "" {
			t.Errorf("%v: code %d, stderr %q", args, code, errOut)
		}
	}
	writeFile(t, filepath.Join(nw, "order.json"), `{"type": "object",`)
	if code, _, errOut := runCLI(t, "breaking", "-schemas", nw, "-against", old); code != exitUsage || !strings.Contains(errOut, "order.json") {
		t.Errorf("invalid schema: code %d, stderr %q", code, errOut)
	}
	if code, out, _ := runCLI(t, "breaking", "-h"); code != exitOK || !strings.Contains(out, "BACKWARD") {
		t.Errorf("-h: code %d", code)
	}
}

// The cortex example's schemas are compatible with themselves.
func TestBreakingCortexSelf(t *testing.T) {
	dir := filepath.Join("..", "..", "examples", "cortex", "schema")
	if code, out, errOut := runCLI(t, "breaking", "-schemas", dir, "-against", dir); code != exitOK || !strings.Contains(out, "compatible: 9 topic(s)") {
		t.Errorf("code %d\n%s%s", code, out, errOut)
	}
}

// Making a required field optional is wire-compatible for readers
// (BACKWARD) but changes the generated Go type: a warning, exit 1 only
// with -fail-on-api.
func TestBreakingFailOnAPI(t *testing.T) {
	old, nw := t.TempDir(), t.TempDir()
	for _, d := range []string{old, nw} {
		writeFile(t, filepath.Join(d, "distgen.json"), `{"topics": {"orders": {"schema": "order.json"}}}`)
	}
	writeFile(t, filepath.Join(old, "order.json"), `{"type": "object", "properties": {"paid": {"type": "boolean"}}, "required": ["paid"]}`)
	writeFile(t, filepath.Join(nw, "order.json"), `{"type": "object", "properties": {"paid": {"type": "boolean"}}}`)
	code, out, _ := runCLI(t, "breaking", "-schemas", nw, "-against", old, "-mode", "BACKWARD")
	if code != exitOK || !strings.Contains(out, "API_CHANGED: field Order.Paid: bool -> *bool; warning") {
		t.Errorf("code %d\n%s", code, out)
	}
	if code, _, _ := runCLI(t, "breaking", "-schemas", nw, "-against", old, "-mode", "BACKWARD", "-fail-on-api"); code != exitFailure {
		t.Errorf("-fail-on-api: code %d", code)
	}
}
