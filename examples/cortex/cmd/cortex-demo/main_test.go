package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	amqp091 "github.com/rabbitmq/amqp091-go"
	"go.uber.org/goleak"

	"github.com/distributer/distributer/examples/cortex/cortex"
)

// runDemo runs the demo with args and returns its exit status and output.
func runDemo(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, errb bytes.Buffer
	code := run(ctx, args, &out, &errb)
	return code, out.String(), errb.String()
}

// checkOutput checks what the saver wrote in dir: a user.json per user, and
// per snapshot the parsed parts, valid for their topics, with real images.
func checkOutput(t *testing.T, dir string, users, snapshots int) {
	t.Helper()
	userDirs, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(userDirs) != users {
		t.Fatalf("%d user directories in %s, want %d", len(userDirs), dir, users)
	}
	parts := map[string]int{}
	for _, ud := range userDirs {
		udir := filepath.Join(dir, ud.Name())
		body, err := os.ReadFile(filepath.Join(udir, "user.json"))
		if err != nil {
			t.Fatal(err)
		}
		u, err := cortex.Topics.User.Decode(body)
		if err != nil {
			t.Fatalf("saved user: %v", err)
		}
		if strconv.FormatUint(u.Data.ID, 10) != ud.Name() || u.Metadata.UserID != u.Data.ID || u.Metadata.Topic != "user" {
			t.Errorf("saved user %s: %s", ud.Name(), body)
		}
		snaps, _ := os.ReadDir(udir)
		n := 0
		for _, sd := range snaps {
			if !sd.IsDir() {
				continue
			}
			n++
			sdir := filepath.Join(udir, sd.Name())
			for _, p := range []string{"pose", "color_image", "depth_image", "feelings"} {
				body, err := os.ReadFile(filepath.Join(sdir, p+".json"))
				if os.IsNotExist(err) {
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				parts[p]++
				if err := cortex.Schemas.Validate("parsed."+p, body); err != nil {
					t.Errorf("saved %s/%s.json: %v", sdir, p, err)
				}
				if p == "color_image" || p == "depth_image" {
					topic := cortex.Topics.ParsedColorImage
					if p == "depth_image" {
						topic = cortex.Topics.ParsedDepthImage
					}
					v, err := topic.Decode(body)
					if err != nil {
						t.Fatal(err)
					}
					if v.Metadata.Topic != p || strconv.FormatUint(v.Metadata.Datetime, 10) != sd.Name() {
						t.Errorf("metadata %+v in %s", v.Metadata, sdir)
					}
					f, err := os.Open(filepath.Join(sdir, filepath.Base(v.Data.Data)))
					if err != nil {
						t.Fatal(err)
					}
					img, format, err := image.Decode(f)
					f.Close()
					if err != nil {
						t.Fatalf("%s: %v", v.Data.Data, err)
					}
					wantFormat := map[string]string{"color_image": "jpeg", "depth_image": "png"}[p]
					b := img.Bounds()
					if format != wantFormat || uint64(b.Dx()) != v.Data.Width || uint64(b.Dy()) != v.Data.Height {
						t.Errorf("%s: %s %dx%d, want %s %dx%d", v.Data.Data, format, b.Dx(), b.Dy(), wantFormat, v.Data.Width, v.Data.Height)
					}
				}
			}
		}
		if n != snapshots {
			t.Errorf("user %s: %d snapshot directories, want %d", ud.Name(), n, snapshots)
		}
	}
	// Every snapshot has a pose and a depth image; every seventh lacks the
	// colour image, every fifth the feelings.
	per := func(skipEvery int) int { return users * (snapshots - snapshots/skipEvery) }
	want := map[string]int{"pose": users * snapshots, "depth_image": users * snapshots, "color_image": per(7), "feelings": per(5)}
	for p, w := range want {
		if parts[p] != w {
			t.Errorf("%d saved %s, want %d", parts[p], p, w)
		}
	}
}

func TestDemoMemory(t *testing.T) {
	defer goleak.VerifyNone(t)
	out := t.TempDir()
	code, stdout, stderr := runDemo(t, "-url", "memory://demo-test", "-users", "2", "-snapshots", "14",
		"-workers", "2", "-invalid", "3", "-out", out, "-work", t.TempDir(), "-progress", "50ms")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"OK:", "invalid 3 (injected on purpose 3)", "throughput", "raw.color_image", "published"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	// The invalid messages were dead-lettered, and the runtime logged each
	// once.
	if n := strings.Count(stderr, "distributer: message dead-lettered"); n != 3 {
		t.Errorf("%d dead-letter log lines, want 3:\n%s", n, stderr)
	}
	checkOutput(t, out, 2, 14)
}

func TestDemoReportsLoss(t *testing.T) {
	cfg, err := parseFlags([]string{"-url", "memory://demo-loss", "-users", "1", "-snapshots", "3", "-invalid", "0",
		"-timeout", "1s", "-progress", "0", "-out", t.TempDir(), "-work", t.TempDir()}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	cfg.loseSaves = 2
	var out bytes.Buffer
	problems, err := pipeline(context.Background(), cfg, &out, &out)
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) == 0 {
		t.Fatalf("two lost messages went unnoticed:\n%s", out.String())
	}
	if !strings.Contains(strings.Join(problems, "\n"), "saved") {
		t.Errorf("problems do not name the shortfall: %q", problems)
	}
}

func TestDemoUsage(t *testing.T) {
	if code, _, _ := runDemo(t, "-users", "0"); code != 2 {
		t.Errorf("-users 0: exit %d, want 2", code)
	}
	if code, _, _ := runDemo(t, "extra"); code != 2 {
		t.Errorf("extra argument: exit %d, want 2", code)
	}
	if code, _, stderr := runDemo(t, "-h"); code != 0 || !strings.Contains(stderr, "-url") {
		t.Errorf("-h: exit %d, %s", code, stderr)
	}
	if code, _, stderr := runDemo(t, "-url", "nosuch://x", "-progress", "0"); code != 2 || !strings.Contains(stderr, "nosuch") {
		t.Errorf("unknown scheme: exit %d, %s", code, stderr)
	}
}

// amqpURL returns the broker for the RabbitMQ run. Under CI=true the broker
// must be there; elsewhere the test is skipped without one.
func amqpURL(t *testing.T) string {
	raw := os.Getenv("DISTRIBUTER_TEST_AMQP_URL")
	if raw == "" {
		raw = "amqp://guest:guest@127.0.0.1:5672/"
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.DialTimeout("tcp", u.Host, 2*time.Second)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("RabbitMQ at %s: %v (CI=true: the broker must be running; see scripts/ensure-rabbitmq.sh)", u.Host, err)
		}
		t.Skipf("no RabbitMQ at %s: %v", u.Host, err)
	}
	c.Close()
	return raw
}

func TestDemoRabbitMQ(t *testing.T) {
	base := amqpURL(t)
	name := fmt.Sprintf("cortex-demo-test-%d", time.Now().UnixNano())
	groups := []string{"saver", "parser.pose", "parser.color_image", "parser.depth_image", "parser.feelings"}
	t.Cleanup(func() { deleteNamespace(t, base, name, groups) })
	u, _ := url.Parse(base)
	q := u.Query()
	q.Set("exchange", name)
	q.Set("queue_prefix", name+".")
	q.Set("durable", "false")
	u.RawQuery = q.Encode()

	out := t.TempDir()
	code, stdout, stderr := runDemo(t, "-url", u.String(), "-users", "2", "-snapshots", "14",
		"-workers", "2", "-invalid", "3", "-out", out, "-work", t.TempDir(), "-progress", "0")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "OK:") || strings.Contains(stdout, "guest:guest") {
		t.Errorf("output:\n%s", stdout)
	}
	checkOutput(t, out, 2, 14)

	// The invalid messages are in the groups' dead-letter queues, with the
	// validation error in the headers.
	conn, err := amqp091.Dial(base)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	defer ch.Close()
	found := map[string]string{}
	for _, g := range groups {
		dlq := name + ".dlx." + name + "." + g
		for {
			m, ok, err := ch.Get(dlq, true)
			if err != nil {
				t.Fatalf("get %s: %v", dlq, err)
			}
			if !ok {
				break
			}
			reason, _ := m.Headers["x-distributer-reason"].(string)
			found[g] = reason
		}
	}
	for g, want := range map[string]string{
		"saver":              "/data/gender",
		"parser.feelings":    "/data/hunger",
		"parser.color_image": "/data/width",
	} {
		if !strings.Contains(found[g], want) || !strings.Contains(found[g], "invalid message") {
			t.Errorf("dead letter of %s: reason %q, want one naming %s", g, found[g], want)
		}
	}
}

// deleteNamespace removes what a RabbitMQ run declared.
func deleteNamespace(t *testing.T, base, name string, groups []string) {
	conn, err := amqp091.Dial(base)
	if err != nil {
		t.Logf("cleanup: %v", err)
		return
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Logf("cleanup: %v", err)
		return
	}
	defer ch.Close()
	for _, g := range groups {
		q := name + "." + g
		_, _ = ch.QueueDelete(q, false, false, false)
		_, _ = ch.QueueDelete(name+".dlx."+q, false, false, false)
	}
	_ = ch.ExchangeDelete(name, false, false)
	_ = ch.ExchangeDelete(name+".dlx", false, false)
	_ = ch.ExchangeDelete(name+".retry", false, false)
}

// The password of the broker URL shows nowhere: not in -h (the default
// from DISTRIBUTER_URL), not in the banner, not in errors, even for URLs
// that url.Parse misreads (one slash) or refuses (invalid escape).
func TestDemoHidesPassword(t *testing.T) {
	const secret = "S3cretPw"
	t.Setenv("DISTRIBUTER_URL", "amqp://user:"+secret+"@127.0.0.1:1/")
	code, stdout, stderr := runDemo(t, "-h")
	if code != 0 || strings.Contains(stdout+stderr, secret) || !strings.Contains(stderr, "amqp://user:xxxxx@127.0.0.1:1/") {
		t.Errorf("-h: exit %d, shows the password or not the redacted URL:\n%s%s", code, stdout, stderr)
	}
	for _, raw := range []string{"amqp:/user:" + secret + "@127.0.0.1:1/", "amqp:/user:" + secret + "%zz@127.0.0.1:1/",
		"memory:/user:" + secret + "@bus", "amqp://user:" + secret + "@127.0.0.1:1/?open_wait=0"} {
		code, stdout, stderr := runDemo(t, "-url", raw, "-progress", "0", "-out", t.TempDir(), "-work", t.TempDir())
		if code != 2 || strings.Contains(stdout+stderr, secret) || !strings.Contains(stdout+stderr, "xxxxx@127.0.0.1:1/") && !strings.Contains(stdout+stderr, "xxxxx@bus") {
			t.Errorf("-url %q: exit %d, shows the password or not the redacted URL:\n%s%s", raw, code, stdout, stderr)
		}
	}
}
