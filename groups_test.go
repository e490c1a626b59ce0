package distributer_test

import (
	"context"
	"errors"
	"testing"

	"github.com/distributer/distributer"
)

// The rule of a group whose member accepts only its own patterns: every
// pattern bound to the group must be covered by that member's patterns (the
// same pattern, or a literal topic one of them matches); subscriptions that
// accept anything may differ among themselves.
func TestGroupSharedRules(t *testing.T) {
	nop := distributer.HandlerFunc(func(context.Context, *distributer.Message) error { return nil })
	own := distributer.OnlyOwnPatterns()
	type sub struct {
		patterns []string
		own      bool
	}
	for _, tc := range []struct {
		name    string
		before  []sub
		next    sub
		refused bool
	}{
		{"same topic", []sub{{[]string{"a.x"}, true}}, sub{[]string{"a.x"}, true}, false},
		{"same set, other order, duplicates", []sub{{[]string{"a.x", "b.x"}, true}}, sub{[]string{"b.x", "a.x", "b.x"}, true}, false},
		{"other topic", []sub{{[]string{"a.x"}, true}}, sub{[]string{"b.x"}, true}, true},
		{"untyped other topic after typed", []sub{{[]string{"a.x"}, true}}, sub{[]string{"b.x"}, false}, true},
		{"typed after untyped other topic", []sub{{[]string{"b.x"}, false}}, sub{[]string{"a.x"}, true}, true},
		{"untyped members differ", []sub{{[]string{"a.x"}, false}}, sub{[]string{"b.x"}, false}, false},
		{"typed covers the untyped literal", []sub{{[]string{"a.x"}, false}}, sub{[]string{"a.*"}, true}, false},
		{"untyped literal covered by typed pattern", []sub{{[]string{"a.#"}, true}}, sub{[]string{"a.b.c"}, false}, false},
		{"a wildcard is not compared", []sub{{[]string{"a.#"}, true}}, sub{[]string{"a.*"}, false}, true},
		{"typed superset after untyped", []sub{{[]string{"a.x"}, false}, {[]string{"b.x"}, false}}, sub{[]string{"a.x", "b.x"}, true}, false},
		{"typed subset after typed superset", []sub{{[]string{"a.x", "b.x"}, true}}, sub{[]string{"a.x"}, true}, true},
		{"untyped subset after typed superset", []sub{{[]string{"a.x", "b.x"}, true}}, sub{[]string{"a.x"}, false}, false},
		{"other group", nil, sub{[]string{"b.x"}, true}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, _ := newURL("")
			d := open(t, u)
			ctx := context.Background()
			if _, err := d.Subscribe(ctx, []string{"b.x"}, nop, distributer.Group("other"), own); err != nil {
				t.Fatal(err)
			}
			opts := func(s sub) []distributer.SubscribeOption {
				if s.own {
					return []distributer.SubscribeOption{distributer.Group("g"), own}
				}
				return []distributer.SubscribeOption{distributer.Group("g")}
			}
			for _, s := range tc.before {
				if _, err := d.Subscribe(ctx, s.patterns, nop, opts(s)...); err != nil {
					t.Fatal(err)
				}
			}
			_, err := d.Subscribe(ctx, tc.next.patterns, nop, opts(tc.next)...)
			if got := errors.Is(err, distributer.ErrGroupShared); got != tc.refused || (err != nil && !got) {
				t.Errorf("Subscribe(%v) = %v, want refused %v", tc.next.patterns, err, tc.refused)
			}
			// Without a group nothing is checked.
			if _, err := d.Subscribe(ctx, []string{"z"}, nop, own); err != nil {
				t.Error(err)
			}
		})
	}
}

// A subscription the driver refuses leaves no trace in its group, and
// groups are per Distributer.
func TestGroupSharedReleasedOnFailure(t *testing.T) {
	d := open(t, "fake://x")
	ctx := context.Background()
	nop := distributer.HandlerFunc(func(context.Context, *distributer.Message) error { return nil })
	for _, p := range []string{"a", "b"} {
		_, err := d.Subscribe(ctx, []string{p}, nop, distributer.Group("g"), distributer.OnlyOwnPatterns())
		if err == nil || errors.Is(err, distributer.ErrGroupShared) {
			t.Fatalf("Subscribe(%s) = %v, want the fake driver's error", p, err)
		}
	}
	u, _ := newURL("")
	d1, d2 := open(t, u), open(t, u)
	if _, err := d1.Subscribe(ctx, []string{"a"}, nop, distributer.Group("g"), distributer.OnlyOwnPatterns()); err != nil {
		t.Fatal(err)
	}
	if _, err := d2.Subscribe(ctx, []string{"b"}, nop, distributer.Group("g"), distributer.OnlyOwnPatterns()); err != nil {
		t.Errorf("another Distributer: %v (the check is per Distributer)", err)
	}
}
