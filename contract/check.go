package contract

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/drivers/memory"
	"github.com/distributer/distributer/schema"
	"github.com/distributer/distributer/typed"
)

// SeedEnv names the environment variable that sets the first seed of Check
// when Options.Seed is 0: DISTRIBUTER_CONTRACT_SEED=12345 go test ./...
const SeedEnv = "DISTRIBUTER_CONTRACT_SEED"

// Options configure Check.
type Options struct {
	// Seed is the seed of the first generated instance; instance i uses
	// Seed+i. 0 means the value of $DISTRIBUTER_CONTRACT_SEED, or 1.
	Seed uint64
	// N is how many instances are generated (default 25).
	N int
	// Mutants bounds how many mutants are sent through the publish and
	// receive paths (default 60); mutants are taken from the generated
	// instances, at most one per kind and schema location.
	Mutants int
	// Timeout bounds the wait for deliveries on the memory bus (default 10s).
	Timeout time.Duration

	// set, when not nil, replaces the topic's schema set as the source of
	// instances and mutants: for the tests of Check itself, which give the
	// topic schemas that disagree with it.
	set *Generator
}

func (o Options) withDefaults() Options {
	if o.Seed == 0 {
		o.Seed = 1
		if s := os.Getenv(SeedEnv); s != "" {
			if n, err := strconv.ParseUint(s, 10, 64); err == nil && n > 0 {
				o.Seed = n
			}
		}
	}
	if o.N <= 0 {
		o.N = 25
	}
	if o.Mutants <= 0 {
		o.Mutants = 60
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	return o
}

// Check runs the contract checks of one typed topic as subtests of t:
//
//   - examples: every `examples` entry of the topic's schema and of the
//     schemas it uses is valid for its own schema; placed into a generated
//     message at the location that schema describes, it validates against
//     the topic and round-trips losslessly through T (decode, encode:
//     semantically equal JSON, still valid).
//   - generated: N instances generated from the schema (seeds Seed..Seed+N-1)
//     are accepted by the topic's Schemas and round-trip through T.
//   - mutants: invalid variants of those instances are rejected by the
//     publish path (Topic.Publish returns a *typed.ValidationError and
//     nothing is sent; a mutant that T cannot represent, because it does not
//     decode into T or re-encodes to a valid body, is rejected by the type
//     system) and by the receive path (published raw, without validation,
//     to a typed subscriber on a private memory:// bus: dead-lettered, the
//     handler not called).
//
// Failures print the seed, the instance, the JSON pointer and how to
// reproduce.
func Check[T any](t *testing.T, topic typed.Topic[T], opts Options) {
	t.Helper()
	check(testingT{t}, topic, opts)
}

// reporter is the part of *testing.T that the checks use, so that they can
// be tested themselves.
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Fatal(args ...any)
	Logf(format string, args ...any)
	Run(name string, f func(reporter)) bool
}

type testingT struct{ *testing.T }

func (t testingT) Run(name string, f func(reporter)) bool {
	return t.T.Run(name, func(t *testing.T) { f(testingT{t}) })
}

func check[V any](t reporter, topic typed.Topic[V], opts Options) {
	t.Helper()
	opts = opts.withDefaults()
	c, err := newChecker(topic.Schemas(), topic.Name(), opts)
	if err != nil {
		t.Fatal(err)
	}
	// Generated instances are shared by the subtests.
	var insts []*Instance
	for i := 0; i < opts.N; i++ {
		seed := opts.Seed + uint64(i)
		in, err := c.set.Generate(c.ref, seed)
		if err != nil {
			t.Fatalf("contract %s: %v\nreproduce: contract.Options{Seed: %d, N: 1}", c.topic, err, seed)
		}
		insts = append(insts, in)
	}
	t.Run("examples", func(t reporter) {
		failures := 0
		exs := c.examples(t, insts)
		t.Logf("contract %s: %d examples checked in context", c.topic, len(exs))
		for _, ex := range exs {
			if !c.roundTrip(t, ex.what, ex.body, ex.repro, func(b []byte) ([]byte, error) { return rt(topic, b) }) {
				if failures++; failures == maxReported {
					t.Errorf("contract %s: more examples may fail; stopped after %d", c.topic, maxReported)
					break
				}
			}
		}
	})
	t.Run("generated", func(t reporter) {
		t.Logf("contract %s: %d generated instances (seeds %d..%d)", c.topic, len(insts), opts.Seed, opts.Seed+uint64(len(insts))-1)
		failures := 0
		for _, in := range insts {
			if failures == maxReported {
				t.Errorf("contract %s: more generated instances may fail; stopped after %d", c.topic, maxReported)
				break
			}
			what := fmt.Sprintf("generated instance (seed %d)", in.Seed)
			if err := topic.Schemas().Validate(c.topic, in.JSON()); err != nil {
				t.Errorf("contract %s: %s was refused by the topic's schemas although it is valid for %s: %v\ninstance: %s\nreproduce: %s",
					c.topic, what, c.ref, err, in.JSON(), c.reproduce(in.Seed))
				failures++
				continue
			}
			if !c.roundTrip(t, what, in.JSON(), c.reproduce(in.Seed), func(b []byte) ([]byte, error) { return rt(topic, b) }) {
				failures++
			}
		}
	})
	t.Run("mutants", func(t reporter) {
		checkMutants(t, c, topic, insts)
	})
}

// rt decodes body into a T through the topic and encodes it back.
func rt[T any](topic typed.Topic[T], body []byte) ([]byte, error) {
	v, err := topic.Decode(body)
	if err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	out, err := topic.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode again (the decoded value is invalid): %w", err)
	}
	return out, nil
}

type checker struct {
	schemas *typed.Schemas
	topic   string
	ref     string
	set     *Generator
	opts    Options
}

func newChecker(s *typed.Schemas, topic string, opts Options) (*checker, error) {
	ref, ok := s.Ref(topic)
	if !ok {
		return nil, fmt.Errorf("contract: topic %q has no schema", topic)
	}
	set := opts.set
	if set == nil {
		set = setOf(s)
	}
	return &checker{schemas: s, topic: topic, ref: ref, set: set, opts: opts}, nil
}

func (c *checker) reproduce(seed uint64) string {
	return fmt.Sprintf("contract.Options{Seed: %d, N: 1} (or %s=%d)", seed, SeedEnv, seed)
}

// maxReported bounds the failures reported per subtest, maxSameReported
// the mutants reported with the same problem.
const (
	maxReported     = 5
	maxSameReported = 3
)

// roundTrip checks that body survives f (decode into the Go type, encode)
// unchanged; it reports and returns false when not.
func (c *checker) roundTrip(t reporter, what string, body []byte, repro string, f func([]byte) ([]byte, error)) bool {
	t.Helper()
	if repro != "" {
		repro = "\nreproduce: " + repro
	}
	out, err := f(body)
	if err != nil {
		t.Errorf("contract %s: %s does not round-trip: %v\ninstance: %s%s", c.topic, what, err, body, repro)
		return false
	}
	a, _ := decodeJSON(body)
	b, err := decodeJSON(out)
	if err != nil {
		t.Errorf("contract %s: %s re-encoded to invalid JSON: %v\ninstance: %s\nencoded: %s%s", c.topic, what, err, body, out, repro)
		return false
	}
	if d := diffJSON(a, b, ""); d != "" {
		t.Errorf("contract %s: %s is not preserved by the Go type: at %s\ninstance: %s\nencoded:  %s%s", c.topic, what, d, body, out, repro)
		return false
	}
	return true
}

type example struct {
	what  string
	body  []byte
	repro string
}

// examples places every examples entry reachable from the topic's schema
// into a message: the entry itself for the topic's own schema, otherwise a
// generated instance with the entry at the location its schema describes.
func (c *checker) examples(t reporter, insts []*Instance) []example {
	t.Helper()
	var out []example
	done := map[schema.Loc]bool{}
	root := c.rootLoc()
	for _, in := range insts {
		for _, s := range in.sites {
			for _, p := range s.e.parts {
				m, ok := p.node.(map[string]any)
				if !ok {
					continue
				}
				exs, ok := m["examples"].([]any)
				if !ok || done[p.loc] {
					continue
				}
				done[p.loc] = true
				for i, ex := range exs {
					what := fmt.Sprintf("example %d of %s (placed at %s of a generated message, seed %d)", i, location(p.loc), ptrOrRoot(s.ptr), in.Seed)
					repro := c.reproduce(in.Seed)
					if s.ptr == "" {
						what, repro = fmt.Sprintf("example %d of %s", i, location(p.loc)), ""
					}
					if err := c.set.validAt(p.loc, ex); err != nil {
						t.Errorf("contract %s: example %d of %s is invalid for its own schema: %v\nexample: %s", c.topic, i, location(p.loc), err, compact(ex))
						continue
					}
					doc := replaceAt(in.Value, s.ptr, ex)
					b, _ := json.Marshal(doc)
					if err := c.set.validAt(root, doc); err != nil {
						if p.loc == root {
							t.Errorf("contract %s: %s is invalid: %v\nexample: %s", c.topic, what, err, b)
						}
						// Otherwise: valid for its own schema but not at
						// this place (a sibling constraint, an envelope
						// example showing another topic's payload): skipped.
						continue
					}
					if err := c.schemas.Validate(c.topic, b); err != nil {
						t.Errorf("contract %s: %s is refused by the topic's schemas: %v\nmessage: %s", c.topic, what, err, b)
						continue
					}
					out = append(out, example{what, b, repro})
				}
			}
		}
	}
	return out
}

func (c *checker) rootLoc() schema.Loc {
	s, _ := c.set.lookup(c.ref)
	return s.loc
}

// busSeq numbers the private memory buses of Check.
var busSeq atomic.Uint64

func checkMutants[V any](t reporter, c *checker, topic typed.Topic[V], insts []*Instance) {
	t.Helper()
	type mutant struct {
		Mutant
		seed     uint64
		instance []byte
		id       string
	}
	var muts []mutant
	seen := map[string]bool{}
	for _, in := range insts {
		if len(muts) >= c.opts.Mutants {
			break
		}
		for _, m := range in.Mutants() {
			key := string(m.Kind) + " " + shape(m.Pointer)
			if seen[key] || len(muts) >= c.opts.Mutants {
				continue
			}
			seen[key] = true
			muts = append(muts, mutant{Mutant: m, seed: in.Seed, instance: in.JSON(), id: fmt.Sprintf("mutant-%d", len(muts))})
		}
	}
	if len(muts) == 0 {
		t.Logf("contract %s: the schema allows no mutation (no required, enum, range, type or additionalProperties constraint)", c.topic)
		return
	}
	reported := map[string]int{} // per path and problem: the first few are shown
	report := func(m mutant, path, problem string) {
		t.Helper()
		key := path + ": " + problem
		if reported[key]++; reported[key] > maxSameReported {
			if reported[key] == maxSameReported+1 {
				t.Errorf("contract %s: %s path: more mutants with the same problem (%s); not shown", c.topic, path, problem)
			}
			return
		}
		t.Errorf("contract %s: %s path: %s\nmutation: %s\nJSON pointer: %s\nmutant:   %s\nfrom:     %s (seed %d)\nreproduce: %s",
			c.topic, path, problem, m.Description, ptrOrRoot(m.Pointer), m.JSON(), m.instance, m.seed, c.reproduce(m.seed))
	}

	// The schemas themselves.
	for _, m := range muts {
		err := c.schemas.Validate(c.topic, m.JSON())
		var ve *typed.ValidationError
		if !errors.As(err, &ve) {
			report(m, "validation", fmt.Sprintf("Schemas.Validate returned %v, want a *typed.ValidationError", err))
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), c.opts.Timeout)
	defer cancel()
	// Two Distributers on one private bus: "plain" has no validator (the
	// typed topic checks on its own; raw publishes go out unchecked),
	// "validated" is opened WithValidator(the topic's Schemas), as the
	// generated Open does.
	bus := fmt.Sprintf("contract-%d", busSeq.Add(1))
	quiet := distributer.WithLogger(slog.New(slog.DiscardHandler))
	d, err := distributer.Open(ctx, "memory://"+bus+"?max_attempts=1", quiet)
	if err != nil {
		t.Fatalf("contract %s: open memory bus: %v", c.topic, err)
	}
	defer d.Close()
	dv, err := distributer.Open(ctx, "memory://"+bus+"?max_attempts=1", quiet, distributer.WithValidator(topic.Schemas()))
	if err != nil {
		t.Fatalf("contract %s: open memory bus: %v", c.topic, err)
	}
	defer dv.Close()
	modes := []struct {
		name string
		d    *distributer.Distributer
	}{{"plain", d}, {"validated", dv}}
	describe := map[string]string{
		"plain":     "Distributer without a validator",
		"validated": "Distributer opened WithValidator(Schemas), as the generated Open does",
	}

	var mu sync.Mutex
	handled := map[string]bool{} // mode + " " + id: the typed handler of that mode saw it
	sent := map[string]bool{}    // ids that reached the bus
	sentinelSeen := make(chan struct{}, 1+len(modes))
	if _, err := d.Subscribe(ctx, []string{"#"}, distributer.HandlerFunc(func(_ context.Context, m *distributer.Message) error {
		mu.Lock()
		sent[m.ID] = true
		mu.Unlock()
		if m.ID == "sentinel" {
			sentinelSeen <- struct{}{}
		}
		return nil
	})); err != nil {
		t.Fatalf("contract %s: subscribe: %v", c.topic, err)
	}
	for _, md := range modes {
		mode := md.name
		if _, err := topic.Subscribe(ctx, md.d, typed.HandlerFunc[V](func(_ context.Context, _ V, m *distributer.Message) error {
			mu.Lock()
			handled[mode+" "+m.ID] = true
			mu.Unlock()
			if m.ID == "sentinel" {
				sentinelSeen <- struct{}{}
			}
			return nil
		})); err != nil {
			t.Fatalf("contract %s: typed subscribe (%s): %v", c.topic, describe[mode], err)
		}
	}

	// Publish path.
	publishedTyped := 0
	for _, m := range muts {
		var v V
		if err := json.Unmarshal(m.JSON(), &v); err != nil {
			continue // T cannot hold it: the type system rejects it
		}
		again, err := json.Marshal(v)
		if err != nil || c.set.Validate(c.ref, again) == nil {
			continue // T cannot express the mutation
		}
		publishedTyped++
		for _, md := range modes {
			err = topic.Publish(ctx, md.d, v, distributer.WithID("publish-"+md.name+"-"+m.id))
			var ve *typed.ValidationError
			if !errors.As(err, &ve) {
				report(m, "publish", fmt.Sprintf("Topic.Publish (%s) returned %v, want a *typed.ValidationError", describe[md.name], err))
			}
		}
	}
	// Receive path: raw, unchecked publishes reach both typed subscribers.
	for _, m := range muts {
		if err := d.Publish(ctx, c.topic, m.JSON(), distributer.WithID("receive-"+m.id)); err != nil {
			t.Fatalf("contract %s: raw publish of a mutant: %v", c.topic, err)
		}
	}
	// A valid message last: once every subscriber has seen it, they have
	// seen everything published before.
	if err := d.Publish(ctx, c.topic, insts[0].JSON(), distributer.WithID("sentinel")); err != nil {
		t.Fatalf("contract %s: publish a valid message: %v", c.topic, err)
	}
	for range 1 + len(modes) {
		select {
		case <-sentinelSeen:
		case <-ctx.Done():
			t.Fatalf("contract %s: a valid message (seed %d) was not delivered to every typed handler within %v: %s", c.topic, insts[0].Seed, c.opts.Timeout, insts[0].JSON())
		}
	}
	// Each mutant is dead-lettered once per typed subscription.
	dead := map[string]int{}
	var sentinelDead *memory.DeadLetter
	for {
		clear(dead)
		for _, dl := range memory.DeadLetters(bus) {
			dead[dl.Message.ID]++
			if dl.Message.ID == "sentinel" {
				sentinelDead = &dl
			}
		}
		missing := 0
		for _, m := range muts {
			if dead["receive-"+m.id] < len(modes) {
				missing++
			}
		}
		if missing == 0 || ctx.Err() != nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, m := range muts {
		for _, md := range modes {
			if sent["publish-"+md.name+"-"+m.id] {
				report(m, "publish", fmt.Sprintf("the invalid message was sent (%s)", describe[md.name]))
			}
		}
		id := "receive-" + m.id
		for _, md := range modes {
			if handled[md.name+" "+id] {
				report(m, "receive", fmt.Sprintf("the typed handler was called with the invalid message (%s)", describe[md.name]))
			}
		}
		if n := dead[id]; n < len(modes) {
			report(m, "receive", fmt.Sprintf("the invalid message was dead-lettered by %d of the %d typed subscriptions", n, len(modes)))
		}
	}
	if sentinelDead != nil {
		t.Errorf("contract %s: the valid message (seed %d) was dead-lettered: %s", c.topic, insts[0].Seed, sentinelDead.Reason)
	}
	t.Logf("contract %s: %d mutants checked by validation and the receive path, %d of them by the publish path (the others cannot be expressed by the Go type); each with and without a validating Distributer", c.topic, len(muts), publishedTyped)
}

// shape replaces array indexes in a JSON pointer by "*", so that mutants of
// the same schema location in different items count once.
func shape(ptr string) string {
	toks := strings.Split(ptr, "/")
	for i, tok := range toks {
		if _, err := strconv.Atoi(tok); err == nil {
			toks[i] = "*"
		}
	}
	return strings.Join(toks, "/")
}
