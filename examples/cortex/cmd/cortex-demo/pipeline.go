package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/distributer/distributer"
	"github.com/distributer/distributer/examples/cortex/cortex"
	"github.com/distributer/distributer/typed"
)

// parts are the snapshot's parts, in fan-out order.
var parts = []string{"pose", "color_image", "depth_image", "feelings"}

// runState is what the stages of one run share.
type runState struct {
	cfg   config
	stats *stats
	users map[uint64]bool // the users of this run; others are from an earlier run on the same broker

	mu   sync.Mutex
	seen map[string]bool // saved messages, for duplicates
	dups int

	lost atomic.Int64 // messages dropped on purpose (config.loseSaves)
}

// pipeline runs the server, the parsers and the saver, waits until every
// message has gone through, and returns the problems found.
func pipeline(ctx context.Context, cfg config, out, logOut io.Writer) ([]string, error) {
	if cfg.workDir == "" {
		dir, err := os.MkdirTemp("", "cortex-demo-work-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		cfg.workDir = dir
	}
	if cfg.outDir == "" {
		dir, err := os.MkdirTemp("", "cortex-demo-out-")
		if err != nil {
			return nil, err
		}
		cfg.outDir = dir
		// Removes the directory only if nothing was saved in it (a run that
		// failed before the saver wrote anything); a non-empty one is kept.
		defer os.Remove(dir)
	}
	rs := &runState{cfg: cfg, stats: newStats(), users: map[uint64]bool{}, seen: map[string]bool{}}
	users, snaps := synthesize(cfg)
	for _, u := range users {
		rs.users[u.ID] = true
	}
	exp := expect(users, snaps)

	logger := slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: slog.LevelWarn}))
	opts := []distributer.Option{
		distributer.WithLogger(logger),
		distributer.OnInvalid(func(_ context.Context, m *distributer.Message, _ error) { rs.stats.add(rs.stats.invalid, m.Topic) }),
	}
	var conns []*cortex.Conn
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	connect := func() (*cortex.Conn, error) {
		c, err := cortex.Open(ctx, cfg.url, opts...)
		if err != nil {
			return nil, err
		}
		conns = append(conns, c)
		return c, nil
	}

	fmt.Fprintf(out, "cortex pipeline on %s: %d users x %d snapshots, %d parser workers per part\n", distributer.RedactURL(cmp.Or(cfg.url, distributer.DefaultURL)), cfg.users, cfg.snapshots, cfg.workers)
	fmt.Fprintf(out, "images in %s, saver output in %s\n", cfg.workDir, cfg.outDir)

	// Consumers first, so that their queues exist before anything is sent.
	saverConn, err := connect()
	if err != nil {
		return nil, err
	}
	if err := rs.startSaver(ctx, saverConn); err != nil {
		return nil, err
	}
	for i := 0; i < cfg.workers; i++ {
		c, err := connect()
		if err != nil {
			return nil, err
		}
		if err := rs.startParsers(ctx, c); err != nil {
			return nil, err
		}
	}
	serverConn, err := connect()
	if err != nil {
		return nil, err
	}

	start := time.Now()
	rs.stats.start = start
	stopProgress := make(chan struct{})
	var progressDone sync.WaitGroup
	if cfg.progress > 0 {
		progressDone.Add(1)
		go func() {
			defer progressDone.Done()
			t := time.NewTicker(cfg.progress)
			defer t.Stop()
			for {
				select {
				case <-t.C:
					rs.stats.progress(out, exp)
				case <-stopProgress:
					return
				}
			}
		}()
	}

	serverErr := make(chan error, 1)
	go func() { serverErr <- rs.serve(ctx, serverConn, users, snaps) }()
	if cfg.invalid > 0 {
		if err := rs.inject(ctx, users[0]); err != nil {
			close(stopProgress)
			progressDone.Wait()
			return nil, err
		}
	}
	if err := <-serverErr; err != nil {
		rs.stats.fail("server: %v", err)
	}

	// Wait until every message is through, or the timeout.
	deadline := time.NewTimer(cfg.timeout)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
wait:
	for {
		_, parsed, saved, invalid := rs.stats.totals()
		if parsed >= exp.raw() && saved >= exp.saved() && int64(invalid) >= rs.stats.injected.Load() {
			break
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			rs.stats.fail("timed out after %v waiting for the pipeline", cfg.timeout)
			break wait
		case <-ctx.Done():
			rs.stats.fail("interrupted: %v", ctx.Err())
			break wait
		}
	}
	elapsed := time.Since(start)
	close(stopProgress)
	progressDone.Wait()
	for _, c := range conns {
		if err := c.Close(); err != nil {
			rs.stats.fail("close: %v", err)
		}
	}
	conns = nil
	rs.stats.progress(out, exp)
	problems := rs.stats.summary(out, exp, elapsed)
	if rs.dups > 0 {
		fmt.Fprintf(out, "duplicates delivered (at-least-once) and ignored by the saver: %d\n", rs.dups)
	}
	if n := rs.stats.foreign.Load(); n > 0 {
		fmt.Fprintf(out, "messages of earlier runs on this broker, acknowledged and ignored: %d\n", n)
	}
	fmt.Fprintf(out, "saved to %s\n", cfg.outDir)
	return problems, nil
}

// synthesize makes the run's users and snapshots. User ids are new for each
// run, so that leftovers of an earlier run on a shared broker are told apart.
// Some snapshots lack a part, as real ones do: only present parts are
// published.
func synthesize(cfg config) ([]cortex.User, map[uint64][]cortex.Snapshot) {
	base := uint64(time.Now().UnixNano()/1000%1_000_000_000) * 1000
	names := []string{"Dan Gittik", "Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra", "Barbara Liskov"}
	genders := []cortex.Gender{cortex.GenderMale, cortex.GenderFemale, cortex.GenderMale, cortex.GenderFemale, cortex.GenderMale, cortex.GenderOther}
	rng := rand.New(rand.NewPCG(base, 7))
	var users []cortex.User
	snaps := map[uint64][]cortex.Snapshot{}
	t0 := uint64(1575446887339)
	for i := 0; i < cfg.users; i++ {
		u := cortex.User{
			ID:       base + uint64(i) + 1,
			Name:     names[i%len(names)],
			Birthday: uint64(315532800 + rng.IntN(900_000_000)),
			Gender:   genders[i%len(genders)],
		}
		users = append(users, u)
		for j := 0; j < cfg.snapshots; j++ {
			s := cortex.Snapshot{Datetime: t0 + uint64(j)*1000/30 + uint64(i)*100_000}
			s.Pose = &cortex.Pose{
				Translation: cortex.Translation{X: rng.Float64() - 0.5, Y: rng.Float64() * 0.1, Z: -1 - rng.Float64()*0.5},
				Rotation:    cortex.Rotation{X: -0.1, Y: -0.27, Z: -0.02, W: 0.957},
			}
			if j%7 != 6 { // every seventh snapshot has no colour image
				s.ColorImage = &cortex.Image{Width: uint64(cfg.colorW), Height: uint64(cfg.colorH)}
			}
			s.DepthImage = &cortex.Image{Width: uint64(cfg.depthW), Height: uint64(cfg.depthH)}
			if j%5 != 4 { // every fifth has no feelings
				f := func() float64 { return float64(rng.IntN(2001)-1000) / 1000 }
				s.Feelings = &cortex.Feelings{Hunger: f(), Thirst: f(), Exhaustion: f(), Happiness: f()}
			}
			snaps[u.ID] = append(snaps[u.ID], s)
		}
	}
	return users, snaps
}

// expect counts the messages a run must produce per topic.
func expect(users []cortex.User, snaps map[uint64][]cortex.Snapshot) expected {
	e := expected{perTopic: map[string]int{"user": len(users)}}
	for _, ss := range snaps {
		for _, s := range ss {
			for _, p := range presentParts(s) {
				e.perTopic["raw."+p]++
				e.perTopic["parsed."+p]++
			}
		}
	}
	return e
}

func presentParts(s cortex.Snapshot) []string {
	var out []string
	for _, p := range parts {
		switch {
		case p == "pose" && s.Pose != nil,
			p == "color_image" && s.ColorImage != nil,
			p == "depth_image" && s.DepthImage != nil,
			p == "feelings" && s.Feelings != nil:
			out = append(out, p)
		}
	}
	return out
}

// serve is the server stage: for each user, PublishServer({user}), then for
// each snapshot the raw image files and PublishServer({user, snapshot}),
// which fans out to the raw topics.
func (rs *runState) serve(ctx context.Context, c *cortex.Conn, users []cortex.User, snaps map[uint64][]cortex.Snapshot) error {
	for _, u := range users {
		if err := c.PublishServer(ctx, cortex.Server{User: u}); err != nil {
			return fmt.Errorf("publish user %d: %w", u.ID, err)
		}
		rs.stats.add(rs.stats.published, cortex.TopicUser)
	}
	for _, u := range users {
		for _, s := range snaps[u.ID] {
			dir := filepath.Join(rs.cfg.workDir, strconv.FormatUint(u.ID, 10), strconv.FormatUint(s.Datetime, 10))
			if s.ColorImage != nil {
				s.ColorImage.Data = filepath.Join(dir, "color_image.raw")
				if err := writeColorRaw(s.ColorImage.Data, rs.cfg.colorW, rs.cfg.colorH, int64(s.Datetime)); err != nil {
					return err
				}
			}
			if s.DepthImage != nil {
				s.DepthImage.Data = filepath.Join(dir, "depth_image.raw")
				if err := writeDepthRaw(s.DepthImage.Data, rs.cfg.depthW, rs.cfg.depthH, int64(s.Datetime)); err != nil {
					return err
				}
			}
			if err := c.PublishServer(ctx, cortex.Server{User: u, Snapshot: &s}); err != nil {
				return fmt.Errorf("publish snapshot %d of user %d: %w", s.Datetime, u.ID, err)
			}
			for _, p := range presentParts(s) {
				rs.stats.add(rs.stats.published, "raw."+p)
			}
		}
	}
	return nil
}

// inject publishes invalid messages, as a buggy producer that does not use
// the schemas would: with a plain Distributer, no validator. They must be
// rejected by the receivers' validation and dead-lettered, never handled.
func (rs *runState) inject(ctx context.Context, u cortex.User) error {
	d, err := distributer.Open(ctx, rs.cfg.url)
	if err != nil {
		return err
	}
	defer d.Close()
	bad := []struct{ topic, body string }{
		// gender 5 is not one of 0, 1, 2
		{cortex.TopicUser, fmt.Sprintf(`{"metadata": {"user_id": %d, "topic": "user"}, "data": {"id": %d, "name": "Mallory", "birthday": 0, "gender": 5}}`, u.ID, u.ID)},
		// feelings must be in [-1, 1]
		{cortex.TopicRawFeelings, fmt.Sprintf(`{"metadata": {"user_id": %d, "datetime": 1, "topic": "feelings"}, "data": {"hunger": 7, "thirst": 0, "exhaustion": 0, "happiness": 0}}`, u.ID)},
		// width must be an unsigned integer, the datetime is missing
		{cortex.TopicRawColorImage, fmt.Sprintf(`{"metadata": {"user_id": %d, "topic": "color_image"}, "data": {"data": "/nowhere", "width": -3, "height": 2}}`, u.ID)},
	}
	for i := 0; i < rs.cfg.invalid; i++ {
		b := bad[i%len(bad)]
		if err := d.Publish(ctx, b.topic, []byte(b.body)); err != nil {
			return fmt.Errorf("inject invalid message: %w", err)
		}
		rs.stats.injected.Add(1)
	}
	return nil
}

// startParsers subscribes one worker per part on c: each is a member of the
// group "parser.<part>", so the workers of a part share its messages.
func (rs *runState) startParsers(ctx context.Context, c *cortex.Conn) error {
	group := func(p string) distributer.SubscribeOption { return distributer.Group("parser." + p) }
	if _, err := c.RawPose.Subscribe(ctx, parser(rs, cortex.TopicRawPose, func(ctx context.Context, v cortex.Envelope[cortex.Pose]) error {
		return c.ParsedPose.Publish(ctx, v) // the pose, unchanged
	}), group("pose")); err != nil {
		return err
	}
	if _, err := c.RawFeelings.Subscribe(ctx, parser(rs, cortex.TopicRawFeelings, func(ctx context.Context, v cortex.Envelope[cortex.Feelings]) error {
		return c.ParsedFeelings.Publish(ctx, v)
	}), group("feelings")); err != nil {
		return err
	}
	if _, err := c.RawColorImage.Subscribe(ctx, parser(rs, cortex.TopicRawColorImage, func(ctx context.Context, v cortex.Envelope[cortex.Image]) error {
		out := replaceExt(v.Data.Data, ".jpeg")
		if err := colorToJPEG(v.Data.Data, out, int(v.Data.Width), int(v.Data.Height)); err != nil {
			return err
		}
		return c.ParsedColorImage.Publish(ctx, cortex.Envelope[cortex.ParsedImage]{
			Metadata: v.Metadata, // a parser keeps the raw message's metadata
			Data:     cortex.ParsedImage{Data: out, Width: v.Data.Width, Height: v.Data.Height},
		})
	}), group("color_image")); err != nil {
		return err
	}
	if _, err := c.RawDepthImage.Subscribe(ctx, parser(rs, cortex.TopicRawDepthImage, func(ctx context.Context, v cortex.Envelope[cortex.Image]) error {
		out := replaceExt(v.Data.Data, ".png")
		if err := depthToPNG(v.Data.Data, out, int(v.Data.Width), int(v.Data.Height)); err != nil {
			return err
		}
		return c.ParsedDepthImage.Publish(ctx, cortex.Envelope[cortex.ParsedImage]{
			Metadata: v.Metadata,
			Data:     cortex.ParsedImage{Data: out, Width: v.Data.Width, Height: v.Data.Height},
		})
	}), group("depth_image")); err != nil {
		return err
	}
	return nil
}

// parser wraps a parse-and-publish function as a typed handler that counts
// what it did and skips messages of other runs.
func parser[T any](rs *runState, topic string, parse func(context.Context, cortex.Envelope[T]) error) typed.HandlerFunc[cortex.Envelope[T]] {
	return func(ctx context.Context, v cortex.Envelope[T], m *distributer.Message) error {
		if !rs.users[v.Metadata.UserID] {
			rs.stats.foreign.Add(1)
			return nil
		}
		if err := parse(ctx, v); err != nil {
			if errors.Is(err, errBadImage) {
				rs.stats.fail("%s: %v", topic, err)
				return distributer.Reject(err) // retrying cannot help
			}
			return err // redelivered
		}
		rs.stats.add(rs.stats.parsed, topic)
		rs.stats.add(rs.stats.published, "parsed."+topic[len("raw."):])
		return nil
	}
}

func replaceExt(path, ext string) string {
	return path[:len(path)-len(filepath.Ext(path))] + ext
}

// startSaver subscribes the saver to user and parsed.* in group "saver", in
// ONE subscription: a group is one queue, so the saver's topics must share
// it. Each message is validated against its own topic's schema and decoded
// with that topic's typed handle.
func (rs *runState) startSaver(ctx context.Context, c *cortex.Conn) error {
	_, err := cortex.Schemas.Subscribe(ctx, c.Distributer, []string{cortex.TopicUser, "parsed.*"},
		distributer.HandlerFunc(func(ctx context.Context, m *distributer.Message) error {
			var uid, datetime uint64
			var part, image string
			if m.Topic == cortex.TopicUser {
				v, err := cortex.Topics.User.Unmarshal(m.Body)
				if err != nil {
					return err
				}
				uid, part = v.Data.ID, "user"
			} else {
				// SubscribeParsedTopic's decoding, by routing key.
				var meta cortex.Metadata
				switch m.Topic {
				case cortex.TopicParsedPose:
					v, err := cortex.Topics.ParsedPose.Unmarshal(m.Body)
					if err != nil {
						return err
					}
					meta = v.Metadata
				case cortex.TopicParsedFeelings:
					v, err := cortex.Topics.ParsedFeelings.Unmarshal(m.Body)
					if err != nil {
						return err
					}
					meta = v.Metadata
				case cortex.TopicParsedColorImage, cortex.TopicParsedDepthImage:
					t := cortex.Topics.ParsedColorImage
					if m.Topic == cortex.TopicParsedDepthImage {
						t = cortex.Topics.ParsedDepthImage
					}
					v, err := t.Unmarshal(m.Body)
					if err != nil {
						return err
					}
					meta, image = v.Metadata, v.Data.Data
				default:
					return distributer.Reject(fmt.Errorf("saver: unexpected topic %q", m.Topic))
				}
				uid, datetime, part = meta.UserID, meta.Datetime, meta.Topic
			}
			if !rs.users[uid] {
				rs.stats.foreign.Add(1)
				return nil
			}
			key := m.Topic + "/" + strconv.FormatUint(uid, 10) + "/" + strconv.FormatUint(datetime, 10)
			rs.mu.Lock()
			dup := rs.seen[key]
			rs.seen[key] = true
			if dup {
				rs.dups++
			}
			rs.mu.Unlock()
			if dup {
				return nil
			}
			if m.Topic != cortex.TopicUser && rs.lost.Add(1) <= rs.cfg.loseSaves {
				return nil // lost on purpose, for the tests
			}
			dir := filepath.Join(rs.cfg.outDir, strconv.FormatUint(uid, 10))
			if m.Topic != cortex.TopicUser {
				dir = filepath.Join(dir, strconv.FormatUint(datetime, 10))
			}
			if err := writeFile(filepath.Join(dir, part+".json"), m.Body); err != nil {
				return err
			}
			if image != "" {
				data, err := os.ReadFile(image)
				if err != nil {
					rs.stats.fail("saver: %s: %v", m.Topic, err)
					return distributer.Reject(err)
				}
				if err := writeFile(filepath.Join(dir, filepath.Base(image)), data); err != nil {
					return err
				}
			}
			rs.stats.add(rs.stats.saved, m.Topic)
			return nil
		}), distributer.Group("saver"))
	return err
}
