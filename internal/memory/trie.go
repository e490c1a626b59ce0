package memory

import "strings"

// node is a node of the routing trie, keyed by pattern words the way a
// broker's topic exchange indexes its bindings. A lookup walks the topic's
// words, so its cost depends on the topic and the wildcard bindings, not on
// the number of literal bindings.
type node struct {
	words  map[string]*node
	star   *node    // child for '*'
	hash   *node    // child for '#'
	queues []*queue // bindings whose pattern ends here (a queue may appear twice)
}

// cut splits the first word off s; rest is "" when s has one word.
func cut(s string) (word, rest string) {
	if i := strings.IndexByte(s, '.'); i >= 0 {
		return s[:i], s[i+1:]
	}
	return s, ""
}

// bind adds q under pattern p.
func (n *node) bind(p string, q *queue) {
	for p != "" {
		var w string
		w, p = cut(p)
		var next **node
		switch w {
		case "*":
			next = &n.star
		case "#":
			next = &n.hash
		default:
			c := n.words[w]
			if c == nil {
				if n.words == nil {
					n.words = map[string]*node{}
				}
				c = &node{}
				n.words[w] = c
			}
			n = c
			continue
		}
		if *next == nil {
			*next = &node{}
		}
		n = *next
	}
	n.queues = append(n.queues, q)
}

// unbind removes one binding of q under pattern p and prunes empty nodes. It
// reports whether n is now empty.
func (n *node) unbind(p string, q *queue) bool {
	if p == "" {
		for i, x := range n.queues {
			if x == q {
				n.queues = append(n.queues[:i], n.queues[i+1:]...)
				break
			}
		}
		if len(n.queues) == 0 {
			n.queues = nil
		}
		return n.empty()
	}
	w, rest := cut(p)
	switch w {
	case "*":
		if n.star != nil && n.star.unbind(rest, q) {
			n.star = nil
		}
	case "#":
		if n.hash != nil && n.hash.unbind(rest, q) {
			n.hash = nil
		}
	default:
		if c := n.words[w]; c != nil && c.unbind(rest, q) {
			delete(n.words, w)
		}
	}
	return n.empty()
}

func (n *node) empty() bool {
	return len(n.queues) == 0 && len(n.words) == 0 && n.star == nil && n.hash == nil
}

// match appends to out the queues bound to patterns that match the
// remaining words of a topic (rest, "" when none are left). out may hold
// duplicates.
func (n *node) match(rest string, out []*queue) []*queue {
	if rest == "" {
		out = append(out, n.queues...)
		if n.hash != nil { // '#' matches zero words
			out = n.hash.match("", out)
		}
		return out
	}
	w, tail := cut(rest)
	if c := n.words[w]; c != nil {
		out = c.match(tail, out)
	}
	if n.star != nil {
		out = n.star.match(tail, out)
	}
	if h := n.hash; h != nil {
		// '#' eats zero or more words: try every suffix.
		for r := rest; ; {
			out = h.match(r, out)
			if r == "" {
				break
			}
			_, r = cut(r)
		}
	}
	return out
}

// dedup removes duplicates from qs, keeping the first of each.
func dedup(qs []*queue) []*queue {
	if len(qs) < 2 {
		return qs
	}
	if len(qs) <= 32 {
		out := qs[:0]
		for _, q := range qs {
			dup := false
			for _, o := range out {
				if o == q {
					dup = true
					break
				}
			}
			if !dup {
				out = append(out, q)
			}
		}
		return out
	}
	seen := make(map[*queue]struct{}, len(qs))
	out := qs[:0]
	for _, q := range qs {
		if _, ok := seen[q]; !ok {
			seen[q] = struct{}{}
			out = append(out, q)
		}
	}
	return out
}
