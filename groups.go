package distributer

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/distributer/distributer/topic"
)

// ErrGroupShared: a subscription would share its group with a subscription
// to other patterns, and one of them accepts only messages of its own
// patterns (OnlyOwnPatterns; every typed subscription). The members of a
// group share one queue, bound with the union of their patterns, so such a
// subscription would be handed the other's messages and dead-letter them.
// The error is a *GroupSharedError.
var ErrGroupShared = errors.New("group shared by subscriptions to different topics")

// GroupSharedError reports a subscription refused because its group is
// already used, in the same Distributer, by a subscription to other
// patterns, and one of the two accepts only its own patterns.
type GroupSharedError struct {
	Group    string   // the group
	Patterns []string // the refused subscription's patterns
	Other    []string // the patterns the group is already subscribed to that conflict
}

// Error names the group, both pattern sets and the fix.
func (e *GroupSharedError) Error() string {
	return fmt.Sprintf("distributer: subscribe to %v in group %q: %v: the group is already subscribed in this Distributer to %v, "+
		"and the members of a group share one queue, so a handler that accepts only its own topics (a typed one) would be handed the others' messages "+
		"and dead-letter them; subscribe once to all of the group's topics (typed.Router, or Schemas.Subscribe with every pattern), "+
		"or give each its own group", e.Patterns, e.Group, ErrGroupShared, e.Other)
}

// Unwrap returns ErrGroupShared.
func (e *GroupSharedError) Unwrap() error { return ErrGroupShared }

// groupKey is one way a group is subscribed: a pattern set (sorted,
// without duplicates) and whether its handler accepts only those patterns.
type groupKey struct {
	patterns string // joined with " ", which no pattern contains
	strict   bool
}

func (k groupKey) list() []string { return strings.Split(k.patterns, " ") }

// groupUses counts, per group, the subscriptions made in it by this
// Distributer, by groupKey. A closed subscription stays counted: its
// group's queue keeps its bindings (on every driver), so its patterns'
// messages still reach the group's other members.
type groupUses map[string]map[groupKey]int

// reserve records a subscription of group to patterns, or returns a
// *GroupSharedError if a subscription of the group that accepts only its
// own patterns (strict) would not cover every pattern of the group. d.mu
// held. Undo with release if the subscription is not made.
func (g groupUses) reserve(group string, patterns []string, strict bool) (groupKey, error) {
	ps := slices.Clone(patterns)
	slices.Sort(ps)
	ps = slices.Compact(ps)
	key := groupKey{patterns: strings.Join(ps, " "), strict: strict}
	uses := g[group]
	if uses[key] == 0 {
		for k := range uses {
			other := k.list()
			if (strict && !coversAll(ps, other)) || (k.strict && !coversAll(other, ps)) {
				return key, &GroupSharedError{Group: group, Patterns: slices.Clone(patterns), Other: other}
			}
		}
	}
	if uses == nil {
		uses = map[groupKey]int{}
		g[group] = uses
	}
	uses[key]++
	return key, nil
}

// release undoes a reserve whose subscription failed. d.mu held.
func (g groupUses) release(group string, key groupKey) {
	uses := g[group]
	if uses[key]--; uses[key] <= 0 {
		delete(uses, key)
	}
	if len(uses) == 0 {
		delete(g, group)
	}
}

// coversAll reports whether every message matching one of others matches
// one of set too, as far as can be told without comparing wildcards: each
// of others is in set, or is a literal topic that a pattern of set matches.
func coversAll(set, others []string) bool {
	for _, p := range others {
		if slices.Contains(set, p) {
			continue
		}
		if topic.IsPattern(p) || !slices.ContainsFunc(set, func(s string) bool { return topic.Match(s, p) }) {
			return false
		}
	}
	return true
}
