package typed

import (
	"context"
	"fmt"
	"slices"

	"github.com/distributer/distributer"
)

// Router subscribes typed handlers to several topics with ONE subscription,
// which is what a group that consumes several topics needs (a group is one
// queue): the saver of the cortex pipeline handles "user" and the parsed
// topics in group "saver". Each delivery is validated against the schema of
// its topic (unless the Distributer skips receive validation), decoded into
// that topic's type and handed to that topic's handler.
//
//	r := typed.NewRouter()
//	typed.Route(r, cortex.Topics.User, saveUser)
//	typed.Route(r, cortex.Topics.ParsedPose, savePose)
//	sub, err := r.Subscribe(ctx, d, distributer.Group("saver"))
//
// Route is a function, not a method, so that the compiler checks that each
// handler's type is its topic's. Route every topic before Subscribe.
type Router struct {
	schemas *Schemas
	routes  dispatch
}

// NewRouter returns an empty Router.
func NewRouter() *Router {
	return &Router{routes: dispatch{}}
}

// Route sends the messages of topic t to h. It panics if t is routed twice
// or belongs to another schema set than the topics routed before: both are
// programming errors.
func Route[T any](r *Router, t Topic[T], h Handler[T]) {
	if _, dup := r.routes[t.name]; dup {
		panic(fmt.Sprintf("typed: Route: topic %q routed twice", t.name))
	}
	if r.schemas == nil {
		r.schemas = t.schemas
	} else if r.schemas != t.schemas {
		panic(fmt.Sprintf("typed: Route: topic %q is from another schema set than the topics routed before", t.name))
	}
	r.routes[t.name] = func(ctx context.Context, m *distributer.Message) error {
		v, err := t.Unmarshal(m.Body)
		if err != nil {
			return err
		}
		return h.Handle(ctx, v, m)
	}
}

// Topics returns the routed topics, sorted.
func (r *Router) Topics() []string {
	ts := make([]string, 0, len(r.routes))
	for t := range r.routes {
		ts = append(ts, t)
	}
	slices.Sort(ts)
	return ts
}

// Subscribe subscribes the routed topics, in one subscription, with opts
// (distributer.Group). A message on a topic that is not routed (possible
// only when other subscriptions share the group) is dead-lettered with a
// *MisroutedError.
func (r *Router) Subscribe(ctx context.Context, d *distributer.Distributer, opts ...distributer.SubscribeOption) (*distributer.Subscription, error) {
	if len(r.routes) == 0 {
		return nil, fmt.Errorf("typed: Router.Subscribe: no topics routed: %w", distributer.ErrInvalidTopic)
	}
	topics := r.Topics()
	return r.routes.subscribe(ctx, d, r.schemas, topics, fmt.Sprint(topics), opts)
}

// dispatch maps each topic of a subscription to the function that decodes
// and handles its messages: the receive side of Router and Family.
type dispatch map[string]func(ctx context.Context, m *distributer.Message) error

// subscribe subscribes patterns with s.Subscribe (which validates each
// delivery against the schema of its topic) and hands each delivery to the
// function of its topic. A delivery on a topic without one (possible only
// when other subscriptions share the group) is dead-lettered with a
// *MisroutedError naming want, what the subscription is for.
func (ds dispatch) subscribe(ctx context.Context, d *distributer.Distributer, s *Schemas, patterns []string, want string, opts []distributer.SubscribeOption) (*distributer.Subscription, error) {
	return s.Subscribe(ctx, d, patterns, distributer.HandlerFunc(func(ctx context.Context, m *distributer.Message) error {
		f, ok := ds[m.Topic]
		if !ok {
			return distributer.Reject(&MisroutedError{Topic: m.Topic, Want: want})
		}
		return f(ctx, m)
	}), opts...)
}
