package memory

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/distributer/distributer/driver"
	"github.com/distributer/distributer/topic"
)

// The trie agrees with topic.Match on random patterns and topics, and
// unbinding everything leaves it empty.
func TestTrieMatchesTopicMatch(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	words := []string{"a", "b", "c"}
	randWords := func(wild bool) string {
		n := 1 + r.IntN(4)
		w := make([]string, n)
		for i := range w {
			w[i] = words[r.IntN(len(words))]
			if wild {
				switch r.IntN(5) {
				case 0:
					w[i] = "*"
				case 1:
					w[i] = "#"
				}
			}
		}
		return strings.Join(w, ".")
	}
	var root node
	queues := make([]*queue, 200)
	patterns := make([]string, len(queues))
	for i := range queues {
		queues[i] = newQueue("", 1)
		patterns[i] = randWords(true)
		root.bind(patterns[i], queues[i])
	}
	for range 2000 {
		tp := randWords(false)
		got := dedup(root.match(tp, nil))
		var want []*queue
		for i, p := range patterns {
			if topic.Match(p, tp) {
				want = append(want, queues[i])
			}
		}
		if len(got) != len(want) {
			t.Fatalf("topic %q: trie matched %d queues, topic.Match %d", tp, len(got), len(want))
		}
		for _, q := range want {
			if !slices.Contains(got, q) {
				i := slices.Index(queues, q)
				t.Fatalf("topic %q: trie missed pattern %q", tp, patterns[i])
			}
		}
	}
	for i, q := range queues {
		root.unbind(patterns[i], q)
	}
	if !root.empty() {
		t.Errorf("trie not empty after unbinding everything: %+v", root)
	}
}

func TestDedup(t *testing.T) {
	qs := make([]*queue, 40)
	for i := range qs {
		qs[i] = newQueue("", 1)
	}
	for _, n := range []int{0, 1, 5, 40} {
		in := append(slices.Clone(qs[:n]), qs[:n]...)
		got := dedup(in)
		if !slices.Equal(got, qs[:n]) {
			t.Errorf("dedup of %d queues twice: got %d", n, len(got))
		}
	}
}

// The route cache is bounded and dropped when bindings change.
func TestRouteCacheBounded(t *testing.T) {
	b := acquire("cache-test")
	defer b.release()
	q := newQueue("", 1)
	b.bind(q, []string{"t.#"})
	for i := range maxCached + 10 {
		if got := b.route(fmt.Sprintf("t.%d", i), nil).queues; len(got) != 1 || got[0] != q {
			t.Fatalf("route(t.%d) = %v", i, got)
		}
	}
	if n := b.cache.Load().n; n > maxCached {
		t.Errorf("cache holds %d routes, max %d", n, maxCached)
	}
	last := b.route("t.1", nil)
	if b.route("t.1", last) != last {
		t.Error("the last route was not reused")
	}
	b.unbind(q)
	if got := b.route("t.1", last).queues; len(got) != 0 {
		t.Errorf("route after unbind = %v, want none (stale last route used)", got)
	}
}

// The dead-letter log keeps the last MaxDeadLetters, numbered.
func TestDeadLetterLogBounded(t *testing.T) {
	var d deadLetters
	d.changed = make(chan struct{})
	for i := range MaxDeadLetters + 5 {
		d.add(&driver.Message{ID: fmt.Sprint(i)}, "g", "e", errors.New("e"))
	}
	all, _ := d.since(0)
	if len(all) != MaxDeadLetters || all[0].Seq != 6 || all[len(all)-1].Seq != MaxDeadLetters+5 {
		t.Errorf("kept %d, seq %d..%d", len(all), all[0].Seq, all[len(all)-1].Seq)
	}
	tail, changed := d.since(MaxDeadLetters + 3)
	if len(tail) != 2 || tail[0].Message.ID != fmt.Sprint(MaxDeadLetters+3) {
		t.Errorf("since: %+v", tail)
	}
	d.add(&driver.Message{}, "", "x", nil)
	select {
	case <-changed:
	default:
		t.Error("changed not closed by add")
	}

	// Bodies are bounded in total too; the newest is always kept.
	big := make([]byte, MaxDeadLetterBytes/3+1)
	for range 3 {
		d.add(&driver.Message{Body: big}, "", "big", nil)
	}
	all, _ = d.since(0)
	if len(all) != 2 || d.bytes != 2*len(big) {
		t.Errorf("after 3 bodies of a third of the limit: kept %d, %d bytes", len(all), d.bytes)
	}
	huge := make([]byte, MaxDeadLetterBytes+1)
	d.add(&driver.Message{Body: huge}, "", "huge", nil)
	if all, _ = d.since(0); len(all) != 1 || len(all[0].Message.Body) != len(huge) {
		t.Errorf("a body over the limit: kept %d", len(all))
	}
}

// A bus disappears with its last connection.
func TestBusReleased(t *testing.T) {
	b := acquire("release-test")
	b2 := acquire("release-test")
	if b != b2 {
		t.Fatal("same name, different buses")
	}
	q := b.groupQueue("g", 4)
	b.release()
	if lookupBus("release-test") == nil {
		t.Fatal("bus gone while referenced")
	}
	b2.release()
	if lookupBus("release-test") != nil {
		t.Fatal("bus kept after the last release")
	}
	if !q.closed {
		t.Error("group queue not closed with its bus")
	}
}
