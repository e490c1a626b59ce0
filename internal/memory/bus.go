package memory

import (
	"sync"
	"sync/atomic"
)

// maxCached bounds the per-bus cache of routes for literal topics.
const maxCached = 4096

// bus is one named in-process broker: its routing trie, group queues and
// dead letters. It lives while a connection (or a dead-letter waiter) uses
// it.
type bus struct {
	name string
	refs int // guarded by busesMu

	mu     sync.Mutex // guards root, groups, queues' patterns, cache stores
	root   node
	groups map[string]*queue
	// cache maps literal topics to their routes; replaced (emptied) when
	// bindings change. Reads take no lock.
	cache atomic.Pointer[routeCache]

	dead deadLetters
}

var (
	busesMu sync.Mutex
	buses   = map[string]*bus{}
)

// acquire returns the bus named name, creating it, and takes a reference.
func acquire(name string) *bus {
	busesMu.Lock()
	defer busesMu.Unlock()
	b := buses[name]
	if b == nil {
		b = &bus{name: name, groups: map[string]*queue{}}
		b.cache.Store(&routeCache{})
		b.dead.changed = make(chan struct{})
		buses[name] = b
	}
	b.refs++
	return b
}

// release drops a reference; the last one deletes the bus and its queues.
func (b *bus) release() {
	busesMu.Lock()
	b.refs--
	last := b.refs == 0
	if last {
		delete(buses, b.name)
	}
	busesMu.Unlock()
	if !last {
		return
	}
	b.mu.Lock()
	groups := b.groups
	b.groups = map[string]*queue{}
	b.root = node{}
	b.cache.Store(&routeCache{})
	b.mu.Unlock()
	for _, q := range groups {
		q.mu.Lock()
		q.close()
		q.mu.Unlock()
	}
}

// lookupBus returns the bus named name if it exists, without a reference.
func lookupBus(name string) *bus {
	busesMu.Lock()
	defer busesMu.Unlock()
	return buses[name]
}

// routeCache maps topics to their routes.
type routeCache struct {
	m sync.Map // string -> *route
	n int      // entries; guarded by bus.mu
}

// route is the cached result of routing a topic: immutable.
type route struct {
	rc     *routeCache // the cache it belongs to: stale once that is replaced
	topic  string
	queues []*queue // matching queues, deduplicated
}

// route returns the route of topic t. last, when it is t's route from the
// current cache, is returned without a lookup: publishers often repeat a
// topic.
func (b *bus) route(t string, last *route) *route {
	rc := b.cache.Load()
	if last != nil && last.rc == rc && last.topic == t {
		return last
	}
	if r, ok := rc.m.Load(t); ok {
		return r.(*route)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	rc = b.cache.Load()
	if r, ok := rc.m.Load(t); ok {
		return r.(*route)
	}
	if rc.n >= maxCached {
		rc = &routeCache{}
		b.cache.Store(rc)
	}
	r := &route{rc: rc, topic: t, queues: dedup(b.root.match(t, nil))}
	rc.m.Store(t, r)
	rc.n++
	return r
}

// bind binds q under patterns. For group queues, patterns already bound
// are skipped: the queue is bound with the union of its members' patterns.
func (b *bus) bind(q *queue, patterns []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range patterns {
		if q.hasPattern(p) {
			continue
		}
		q.patterns = append(q.patterns, p)
		b.root.bind(p, q)
	}
	b.cache.Store(&routeCache{})
}

// unbind removes all of q's bindings.
func (b *bus) unbind(q *queue) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range q.patterns {
		b.root.unbind(p, q)
	}
	q.patterns = nil
	b.cache.Store(&routeCache{})
}

// groupQueue returns the queue of group, creating it with capacity.
func (b *bus) groupQueue(group string, capacity int) *queue {
	b.mu.Lock()
	defer b.mu.Unlock()
	q := b.groups[group]
	if q == nil {
		q = newQueue(group, capacity)
		b.groups[group] = q
	}
	return q
}
