package main

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// progress draws a progress bar on stderr when stderr is a terminal, at
// most every 100ms; elsewhere (a pipe, a log, a test) it draws nothing and
// the summary says what was done.
type progress struct {
	e     *env
	what  string
	total int // 0: unknown

	mu    sync.Mutex
	done  int
	last  time.Time
	start time.Time
}

func newProgress(e *env, what string, total int) *progress {
	return &progress{e: e, what: what, total: total, start: e.now()}
}

// set records how many are done and redraws if it is time to.
func (p *progress) set(done int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done = done
	if !p.e.stderrTTY {
		return
	}
	if now := p.e.now(); now.Sub(p.last) >= 100*time.Millisecond || done == p.total {
		p.last = now
		p.draw(now)
	}
}

// add counts one more done.
func (p *progress) add() {
	p.mu.Lock()
	n := p.done + 1
	p.mu.Unlock()
	p.set(n)
}

const barWidth = 30

func (p *progress) draw(now time.Time) {
	var b strings.Builder
	b.WriteString("\r")
	b.WriteString(p.what)
	b.WriteString(" ")
	if p.total > 0 {
		filled := min(barWidth, p.done*barWidth/p.total)
		fmt.Fprintf(&b, "[%s%s] %3d%% %d/%d", strings.Repeat("#", filled), strings.Repeat(".", barWidth-filled), p.done*100/p.total, p.done, p.total)
	} else {
		fmt.Fprintf(&b, "%d", p.done)
	}
	if el := now.Sub(p.start); el > 0 {
		fmt.Fprintf(&b, " %.0f/s", float64(p.done)/el.Seconds())
	}
	b.WriteString("\x1b[K") // clear to the end of the line
	fmt.Fprint(p.e.stderr, b.String())
}

// finish draws the final state and ends the bar's line.
func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.e.stderrTTY {
		return
	}
	p.draw(p.e.now())
	fmt.Fprintln(p.e.stderr)
}
