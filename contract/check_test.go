package contract

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/distributer/distributer/typed"
)

type money struct {
	Cents    uint64 `json:"cents"`
	Currency string `json:"currency"`
}

// order is a faithful Go type for testdata/check/order.json.
type order struct {
	ID     string     `json:"id"`
	Status string     `json:"status"`
	Qty    int64      `json:"qty"`
	Note   *string    `json:"note,omitempty"`
	At     *time.Time `json:"at,omitempty"`
	Price  *money     `json:"price,omitempty"`
}

// lossyOrder forgets the note.
type lossyOrder struct {
	ID     string     `json:"id"`
	Status string     `json:"status"`
	Qty    int64      `json:"qty"`
	At     *time.Time `json:"at,omitempty"`
	Price  *money     `json:"price,omitempty"`
}

var checkTopics = map[string]string{"order.created": "order.json"}

func TestCheckPasses(t *testing.T) {
	files := loadDir(t, "testdata/check")
	s := typed.MustCompile(files, checkTopics)
	Check(t, typed.NewTopic[order](s, "order.created"), Options{N: 30})
}

// fakeT records what a check reports.
type fakeT struct {
	name string
	out  *[]string
}

type fatal struct{}

func (f fakeT) Helper() {}
func (f fakeT) Errorf(format string, a ...any) {
	*f.out = append(*f.out, f.name+": "+fmt.Sprintf(format, a...))
}
func (f fakeT) Logf(string, ...any) {}
func (f fakeT) Fatalf(format string, a ...any) {
	f.Errorf(format, a...)
	panic(fatal{})
}
func (f fakeT) Fatal(a ...any) { f.Fatalf("%s", fmt.Sprint(a...)) }
func (f fakeT) Run(name string, fn func(reporter)) bool {
	n := len(*f.out)
	func() {
		defer func() {
			if r := recover(); r != nil {
				if _, ok := r.(fatal); !ok {
					panic(r)
				}
			}
		}()
		fn(fakeT{name: f.name + "/" + name, out: f.out})
	}()
	return len(*f.out) == n
}

func runFake[V any](topic typed.Topic[V], opts Options) []string {
	var out []string
	fakeT{name: "check", out: &out}.Run("topic", func(t reporter) { check(t, topic, opts) })
	return out
}

func TestCheckFindsLossyType(t *testing.T) {
	files := loadDir(t, "testdata/check")
	s := typed.MustCompile(files, checkTopics)
	out := runFake(typed.NewTopic[lossyOrder](s, "order.created"), Options{N: 30})
	joined := strings.Join(out, "\n")
	for _, want := range []string{"check/topic/examples", "example 0 of order.json", "/note: member lost", "check/topic/generated", "seed ", "reproduce: contract.Options{Seed: "} {
		if !strings.Contains(joined, want) {
			t.Errorf("report lacks %q:\n%s", want, joined)
		}
	}
	if strings.Contains(joined, "check/topic/mutants") {
		t.Errorf("mutants failed for a type that only loses data:\n%s", joined)
	}
}

func TestCheckFindsPermissiveSchemas(t *testing.T) {
	// The topic's compiled schemas accept anything; the files say otherwise:
	// every path lets the mutants through and Check says so.
	set, err := NewGenerator(loadDir(t, "testdata/check"))
	if err != nil {
		t.Fatal(err)
	}
	loose := typed.MustCompile(map[string]string{"order.json": `{"type": "object"}`}, checkTopics)
	out := runFake(typed.NewTopic[order](loose, "order.created"), Options{set: set, N: 5, Mutants: 20, Timeout: time.Second})
	joined := strings.Join(out, "\n")
	for _, want := range []string{
		"validation path: Schemas.Validate returned <nil>",
		"publish path: Topic.Publish (Distributer without a validator) returned <nil>",
		"publish path: Topic.Publish (Distributer opened WithValidator(Schemas), as the generated Open does) returned <nil>",
		"publish path: the invalid message was sent (Distributer without a validator)",
		"receive path: the typed handler was called with the invalid message (Distributer without a validator)",
		"receive path: the invalid message was dead-lettered by 0 of the 2 typed subscriptions",
		"JSON pointer: /",
		"mutant:   {",
		"more mutants with the same problem",
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("report lacks %q:\n%s", want, joined)
		}
	}
}

// Check needs nothing but the topic (the README's form), and the
// reproduce hint it prints, contract.Options{Seed: S, N: 1}, runs that one
// instance again.
func TestCheckTopicAlone(t *testing.T) {
	s := typed.MustCompile(loadDir(t, "testdata/check"), checkTopics)
	topic := typed.NewTopic[lossyOrder](s, "order.created")
	out := runFake(topic, Options{})
	joined := strings.Join(out, "\n")
	if strings.Contains(joined, "not available") || !strings.Contains(joined, "check/topic/generated") {
		t.Fatalf("Check(topic, Options{}) did not check the generated instances:\n%s", joined)
	}
	m := regexp.MustCompile(`reproduce: contract\.Options\{Seed: (\d+), N: 1\}`).FindStringSubmatch(joined)
	if m == nil {
		t.Fatalf("no reproduce hint in:\n%s", joined)
	}
	seed, _ := strconv.ParseUint(m[1], 10, 64)
	again := strings.Join(runFake(topic, Options{Seed: seed, N: 1}), "\n")
	if !strings.Contains(again, fmt.Sprintf("seed %d", seed)) || !strings.Contains(again, "member lost") {
		t.Fatalf("the reproduce hint did not reproduce the failure of seed %d:\n%s", seed, again)
	}
	Check(t, typed.NewTopic[order](s, "order.created"), Options{Seed: seed, N: 1})
}
