package doccheck

import (
	"strings"
	"testing"
)

// A guide with one mistake of each kind: the check reports each, at its
// line, and nothing else.
func TestCatchesMistakes(t *testing.T) {
	c := newChecker(t)
	const guide = "# Title\n" + // 1
		"\n" + // 2
		"```go\n" + // 3
		"d, err := distributer.Open(ctx, \"memory://\")\n" + // 4
		"d.Publsh(ctx, \"a\", nil)\n" + // 5
		"```\n" + // 6
		"```go\n" + // 7
		"c := cortex.User{Nme: \"x\"}\n" + // 8
		"```\n" + // 9
		"<!-- fragment -->\n" + // 10
		"```go\n" + // 11
		"x := ) (\n" + // 12
		"```\n" + // 13
		"```sh\n" + // 14
		"make demo nosuchtarget\n" + // 15
		"go run ./examples/cortex/cmd/cortex-demo -users 3 -nosuchflag\n" + // 16
		"go tool distgen generate -schemas s -out o -pkg x\n" + // 17
		"go run ./cmd/distgen frobnicate\n" + // 18
		"go test -run NoSuchTestAnywhere ./typed\n" + // 19
		"(cd examples/shipping && go vet ./nosuchdir)\n" + // 20
		"```\n" + // 21
		"```\n" + // 22
		"$ distgen validate -schemas s -bogus x\n" + // 23
		"```\n" + // 24
		"See [a](docs/nosuch.md), [b](docs/runtime.md#no-such-heading), [c](#title), [d](https://example.com/x), [e](#nope).\n" + // 25
		"Run `distgen check -schemas s -stale`, `make nosuch` or `go run ./cmd/fulfilment`.\n" + // 26
		"Names: `typed.NoSuchThing`, `distributer.Message.Topik`, `distributer.Message.Topic`, `orders.TestContract`.\n" + // 27
		"```json\n" + // 28
		"{\"a\": 1,}\n" + // 29
		"```\n" // 30
	d, err := Parse("guide.md", []byte(guide))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"guide.md:5: go block does not compile: d.Publsh undefined",
		"guide.md:8: go block does not compile: unknown field Nme",
		"guide.md:12: go block does not parse",
		"guide.md:15: make nosuchtarget: no such target",
		"guide.md:16: cortex-demo has no flag -nosuchflag",
		"guide.md:17: distgen generate has no flag -pkg",
		"guide.md:18: distgen has no command \"frobnicate\"",
		"guide.md:19: go test -run \"NoSuchTestAnywhere\" matches no test",
		"guide.md:20: go vet ./nosuchdir: no directory examples/shipping/nosuchdir",
		"guide.md:23: distgen validate has no flag -bogus",
		"guide.md:25: link \"docs/nosuch.md\": docs/nosuch.md does not exist",
		"guide.md:25: link \"docs/runtime.md#no-such-heading\": docs/runtime.md has no heading with anchor #no-such-heading",
		"guide.md:25: link \"#nope\": guide.md has no heading with anchor #nope",
		"guide.md:26: distgen check has no flag -stale",
		"guide.md:26: make nosuch: no such target",
		"guide.md:27: typed.NoSuchThing: package github.com/distributer/distributer/typed declares no NoSuchThing",
		"guide.md:27: distributer.Message.Topik: distributer.Message has no field or method Topik",
		"guide.md:29: json block does not parse",
	}
	var got []string
	for _, p := range c.Check([]*Doc{d}) {
		got = append(got, p.String())
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			if strings.HasPrefix(g, w) {
				found = true
			}
		}
		if !found {
			t.Errorf("no problem reported starting with %q", w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d problems, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
}

// What guides do on purpose is not reported: names the reader supplies,
// variables shown but not used, values shown as expressions, a local
// variable named like a package, a declarations-only block, a block with its
// own imports, a marked fragment, a console transcript, commands in
// another module's directory.
func TestAllowsWhatGuidesDoOnPurpose(t *testing.T) {
	c := newChecker(t)
	const guide = "# Guide\n" +
		"```go\n" +
		"import \"github.com/distributer/distributer\"\n" +
		"\n" +
		"d, err := distributer.Open(ctx, url) // ctx and url are the reader's\n" +
		"sub, err := d.Subscribe(ctx, []string{\"a.*\"}, handler)\n" +
		"err.Error() // shown\n" +
		"topic := \"a.b\"                           // not the package topic\n" +
		"_ = topic\n" +
		"```\n" +
		"```go\n" +
		"type Order struct{ ID string }\n" +
		"\n" +
		"func (o Order) Valid() bool { return o.ID != \"\" }\n" +
		"```\n" +
		"<!-- fragment -->\n" +
		"```go\n" +
		"c.Publish(ctx, cortex.NoSuchThing{})\n" +
		"```\n" +
		"```console\n" +
		"$ go run ./cmd/distgen help\n" +
		"output lines are not commands -nosuchflag\n" +
		"```\n" +
		"<!-- cwd: examples/shipping -->\n" +
		"```sh\n" +
		"go vet ./... && (cd orders && go test -run TestContract .)\n" +
		"```\n" +
		"Inline: `go run ./cmd/fulfilment` runs in examples/shipping, [up](#guide).\n"
	d, err := Parse("guide.md", []byte(guide))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range c.Check([]*Doc{d}) {
		t.Error(p)
	}
}
