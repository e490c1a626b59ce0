// Command cortex-demo runs the cortex pipeline end to end with the generated
// cortex package: a server publishes users and snapshots, parser workers
// turn raw snapshot parts into results, and a saver stores users and results
// in an output directory. Every message is validated against its JSON
// Schema when it is published and again when it is received.
//
// Usage:
//
//	go run ./examples/cortex/cmd/cortex-demo [flags]
//	DISTRIBUTER_URL=amqp://guest:guest@127.0.0.1:5672/ go run ./examples/cortex/cmd/cortex-demo
//
// The broker is memory:// (in-process) unless -url or DISTRIBUTER_URL names
// another. The run prints progress while it works and a summary at the end,
// and exits with status 1 if any message was lost, duplicated or failed, 2
// on a usage or set-up error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/distributer/distributer"
	_ "github.com/distributer/distributer/drivers/amqp" // amqp://, amqps://, rabbitmq://
)

// config is the demo's settings, from flags.
type config struct {
	url       string
	users     int
	snapshots int // per user
	workers   int // parser workers per part
	invalid   int // invalid messages to inject on purpose
	colorW    int
	colorH    int
	depthW    int
	depthH    int
	workDir   string // the directory shared by the services (raw and parsed images)
	outDir    string // where the saver writes
	timeout   time.Duration
	progress  time.Duration

	// loseSaves makes the saver drop (acknowledge without saving) that many
	// parsed messages: tests use it to check that a loss is reported.
	loseSaves int64
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run parses args, runs the pipeline and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	problems, err := pipeline(ctx, cfg, stdout, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "cortex-demo: %v\n", err)
		return 2
	}
	if len(problems) > 0 {
		fmt.Fprintf(stdout, "\nFAILED: %d problem(s):\n", len(problems))
		for _, p := range problems {
			fmt.Fprintf(stdout, "  - %s\n", p)
		}
		return 1
	}
	fmt.Fprintln(stdout, "\nOK: every message was delivered, parsed and saved exactly once; invalid messages were rejected.")
	return 0
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("cortex-demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	defURL := os.Getenv("DISTRIBUTER_URL")
	if defURL == "" {
		defURL = distributer.DefaultURL
	}
	fs.StringVar(&cfg.url, "url", defURL, "broker URL (default from DISTRIBUTER_URL, else memory://)")
	fs.Lookup("url").DefValue = distributer.RedactURL(defURL) // what -h prints
	fs.IntVar(&cfg.users, "users", 3, "users the server publishes")
	fs.IntVar(&cfg.snapshots, "snapshots", 20, "snapshots per user")
	fs.IntVar(&cfg.workers, "workers", 2, "parser workers per part (members of the part's group)")
	fs.IntVar(&cfg.invalid, "invalid", 2, "invalid messages to inject on purpose (they must be rejected, never reach a handler)")
	fs.IntVar(&cfg.colorW, "color-width", 64, "colour image width")
	fs.IntVar(&cfg.colorH, "color-height", 48, "colour image height")
	fs.IntVar(&cfg.depthW, "depth-width", 32, "depth image width")
	fs.IntVar(&cfg.depthH, "depth-height", 24, "depth image height")
	fs.StringVar(&cfg.workDir, "work", "", "directory shared by the services for image files (default: a new temporary directory, removed at the end)")
	fs.StringVar(&cfg.outDir, "out", "", "directory the saver writes to (default: a new temporary directory, kept)")
	fs.DurationVar(&cfg.timeout, "timeout", time.Minute, "give up waiting for the pipeline after this long")
	fs.DurationVar(&cfg.progress, "progress", 500*time.Millisecond, "progress line interval (0: none)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: cortex-demo [flags]\n\nRuns the cortex pipeline (server -> parsers -> saver) on a broker.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "cortex-demo: unexpected arguments %q\n", fs.Args())
		fs.Usage()
		return cfg, errors.New("usage")
	}
	for name, v := range map[string]int{"users": cfg.users, "snapshots": cfg.snapshots, "workers": cfg.workers,
		"color-width": cfg.colorW, "color-height": cfg.colorH, "depth-width": cfg.depthW, "depth-height": cfg.depthH} {
		if v < 1 {
			fmt.Fprintf(stderr, "cortex-demo: -%s must be at least 1\n", name)
			return cfg, errors.New("usage")
		}
	}
	if cfg.invalid < 0 {
		fmt.Fprintln(stderr, "cortex-demo: -invalid must not be negative")
		return cfg, errors.New("usage")
	}
	return cfg, nil
}
