package cortextest

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The typed API turns misuse into compile errors. Each program below is
// built in a temporary module that uses this repository (replace
// directive); the test asserts the build fails with the compiler's message
// for that misuse, and that a correct program builds.
var misuse = []struct {
	name string
	body string
	want []string // regular expressions the compiler output must match
}{
	{
		name: "ok",
		body: `
	_ = c.PublishUser(ctx, cortex.User{ID: 1})
	_ = cortex.Topics.User.Publish(ctx, c.Distributer, cortex.UserEnvelope[cortex.User]{})
	_, _ = c.ParsedPose.Subscribe(ctx, typed.HandlerFunc[cortex.Envelope[cortex.Pose]](func(context.Context, cortex.Envelope[cortex.Pose], *distributer.Message) error { return nil }))`,
	},
	{
		name: "pose on the user topic (handle)",
		body: `
	_ = cortex.Topics.User.Publish(ctx, c.Distributer, cortex.Envelope[cortex.Pose]{})`,
		want: []string{`cannot use cortex\.Envelope\[cortex\.Pose\]\{\} .* as cortex\.UserEnvelope\[cortex\.User\] value`},
	},
	{
		name: "pose on the user topic (method)",
		body: `
	_ = c.PublishUser(ctx, cortex.Pose{})`,
		want: []string{`cannot use cortex\.Pose\{\} .* as cortex\.User value`},
	},
	{
		name: "pose on the user topic (Conn's handle)",
		body: `
	_ = c.User.Publish(ctx, cortex.Envelope[cortex.Pose]{})`,
		want: []string{`cannot use cortex\.Envelope\[cortex\.Pose\]\{\} .* as cortex\.UserEnvelope\[cortex\.User\] value`},
	},
	{
		name: "user handler on parsed.pose",
		body: `
	h := cortex.UserHandlerFunc(func(context.Context, cortex.UserEnvelope[cortex.User], *distributer.Message) error { return nil })
	_, _ = c.ParsedPose.Subscribe(ctx, h)
	_, _ = cortex.Topics.ParsedPose.Subscribe(ctx, c.Distributer, h)`,
		want: []string{
			`cannot use h .* as typed\.Handler\[cortex\.Envelope\[cortex\.Pose\]\] value`,
		},
	},
	{
		name: "undeclared topic",
		body: `
	_ = cortex.Topics.RawMood
	_ = cortex.TopicParsedMood
	_ = c.RawMood.Publish(ctx, nil)`,
		want: []string{
			`cortex\.Topics\.RawMood undefined \(type cortex\.TopicHandles has no field or method RawMood\)`,
			`undefined: cortex\.TopicParsedMood`,
			`c\.RawMood undefined \(type \*cortex\.Conn has no field or method RawMood\)`,
		},
	},
}

func TestMisuseDoesNotCompile(t *testing.T) {
	goBin := filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		if goBin, err = exec.LookPath("go"); err != nil {
			t.Fatal("no go command to build with")
		}
	}
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	mod := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(mod, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(mod, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module misuse\n\ngo 1.26\n\nrequire github.com/distributer/distributer v0.0.0\n\nreplace github.com/distributer/distributer => "+root+"\n")
	write("go.sum", string(sum))
	for i, m := range misuse {
		write(filepath.Join("p"+string(rune('a'+i)), "main.go"), `package main

import (
	"context"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/typed"
	"github.com/distributer/distributer/examples/cortex/cortex"
)

var (
	_ = distributer.Open
	_ typed.Schemas
)

func main() {
	ctx := context.Background()
	c, _ := cortex.Open(ctx, "")
`+m.body+`
}
`)
	}
	for i, m := range misuse {
		t.Run(m.name, func(t *testing.T) {
			cmd := exec.Command(goBin, "build", "-o", os.DevNull, "./p"+string(rune('a'+i)))
			cmd.Dir = mod
			cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off")
			out, err := cmd.CombinedOutput()
			if m.want == nil {
				if err != nil {
					t.Fatalf("correct program does not build: %v\n%s", err, out)
				}
				return
			}
			if err == nil {
				t.Fatalf("misuse compiled:%s", m.body)
			}
			for _, w := range m.want {
				if !regexp.MustCompile(w).Match(out) {
					t.Errorf("compiler output lacks %s:\n%s", w, out)
				}
			}
			if strings.Contains(string(out), "go: ") && !strings.Contains(string(out), ".go:") {
				t.Errorf("build failed for another reason:\n%s", out)
			}
		})
	}
}
