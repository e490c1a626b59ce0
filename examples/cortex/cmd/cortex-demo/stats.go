package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// stats counts what each stage of the pipeline did, per topic.
type stats struct {
	start time.Time

	mu        sync.Mutex
	published map[string]int // by the server and the parsers
	parsed    map[string]int // raw messages a parser turned into results
	saved     map[string]int // messages the saver stored
	invalid   map[string]int // deliveries rejected by validation
	failed    []string       // handler errors that are not validation errors

	injected atomic.Int64 // invalid messages the demo sent on purpose
	foreign  atomic.Int64 // deliveries that belong to another run
}

func newStats() *stats {
	return &stats{
		start:     time.Now(),
		published: map[string]int{},
		parsed:    map[string]int{},
		saved:     map[string]int{},
		invalid:   map[string]int{},
	}
}

func (s *stats) add(m map[string]int, topic string) {
	s.mu.Lock()
	m[topic]++
	s.mu.Unlock()
}

func (s *stats) fail(format string, args ...any) {
	s.mu.Lock()
	if len(s.failed) < 100 {
		s.failed = append(s.failed, fmt.Sprintf(format, args...))
	}
	s.mu.Unlock()
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// snapshot returns the totals: published, parsed, saved, invalid.
func (s *stats) totals() (pub, parsed, saved, invalid int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return total(s.published), total(s.parsed), total(s.saved), total(s.invalid)
}

// progress prints one line of totals against what is expected.
func (s *stats) progress(w io.Writer, exp expected) {
	pub, parsed, saved, invalid := s.totals()
	fmt.Fprintf(w, "[%5.1fs] published %d/%d  parsed %d/%d  saved %d/%d  invalid %d\n",
		time.Since(s.start).Seconds(), pub, exp.published(), parsed, exp.raw(), saved, exp.saved(), invalid)
}

// summary prints a table of messages per topic and the run's totals, and
// returns the problems found: missing or extra messages, unexpected invalid
// ones, handler failures.
func (s *stats) summary(w io.Writer, exp expected, elapsed time.Duration) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	topics := map[string]bool{}
	for _, m := range []map[string]int{exp.perTopic, s.published, s.saved, s.invalid} {
		for t := range m {
			topics[t] = true
		}
	}
	names := make([]string, 0, len(topics))
	for t := range topics {
		names = append(names, t)
	}
	slices.Sort(names)

	fmt.Fprintf(w, "\n%-20s %9s %9s %9s %9s %9s\n", "topic", "expected", "published", "parsed", "saved", "invalid")
	for _, t := range names {
		saved := "-"
		if t == "user" || strings.HasPrefix(t, "parsed.") {
			saved = fmt.Sprint(s.saved[t])
		}
		parsed := "-"
		if strings.HasPrefix(t, "raw.") {
			parsed = fmt.Sprint(s.parsed[t])
		}
		fmt.Fprintf(w, "%-20s %9d %9d %9s %9s %9d\n", t, exp.perTopic[t], s.published[t], parsed, saved, s.invalid[t])
	}
	pub := total(s.published)
	delivered := total(s.parsed) + total(s.saved)
	fmt.Fprintf(w, "\nmessages published %d, handled %d, invalid %d (injected on purpose %d), from other runs %d\n",
		pub, delivered, total(s.invalid), s.injected.Load(), s.foreign.Load())
	secs := elapsed.Seconds()
	fmt.Fprintf(w, "elapsed %.2fs, throughput %.0f messages/s published, %.0f messages/s handled\n",
		secs, float64(pub)/secs, float64(delivered)/secs)

	var problems []string
	for _, t := range names {
		want := exp.perTopic[t]
		if got := s.published[t]; got != want {
			problems = append(problems, fmt.Sprintf("%s: published %d, want %d", t, got, want))
		}
		switch {
		case strings.HasPrefix(t, "raw."):
			if got := s.parsed[t]; got != want {
				problems = append(problems, fmt.Sprintf("%s: parsed %d, want %d", t, got, want))
			}
		default:
			if got := s.saved[t]; got != want {
				problems = append(problems, fmt.Sprintf("%s: saved %d, want %d", t, got, want))
			}
		}
	}
	if inv := int64(total(s.invalid)); inv != s.injected.Load() {
		problems = append(problems, fmt.Sprintf("%d invalid messages received, %d injected", inv, s.injected.Load()))
	}
	problems = append(problems, s.failed...)
	return problems
}

// expected is what a run must produce.
type expected struct {
	perTopic map[string]int // messages per topic: user, raw.*, parsed.*
}

func (e expected) sum(prefix string) int {
	n := 0
	for t, v := range e.perTopic {
		if strings.HasPrefix(t, prefix) {
			n += v
		}
	}
	return n
}

func (e expected) raw() int       { return e.sum("raw.") }
func (e expected) published() int { return e.sum("") }
func (e expected) saved() int     { return e.perTopic["user"] + e.sum("parsed.") }
