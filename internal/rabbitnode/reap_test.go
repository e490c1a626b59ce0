package rabbitnode

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// TestReapOrphans checks that processes and directories marked with a dead
// owner are removed, and those of a live owner (this test) are left alone.
func TestReapOrphans(t *testing.T) {
	dead := strconv.Itoa(os.Getpid()) + ":1" // our pid, another start time: a dead owner
	start := func(owner string) *exec.Cmd {
		cmd := exec.Command("sleep", "60")
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), ownerEnv + "=" + owner}
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		return cmd
	}
	orphan, mine := start(dead), start(selfOwner())

	parent := t.TempDir()
	orphanDir, mineDir := filepath.Join(parent, "rabbitnode-orphan"), filepath.Join(parent, "rabbitnode-mine")
	for dir, owner := range map[string]string{orphanDir: dead, mineDir: selfOwner()} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "owner"), []byte(owner+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	if n := reapOrphans(parent); n < 1 {
		t.Fatalf("reaped %d processes, want the orphan", n)
	}
	exited := make(chan error, 1)
	go func() { exited <- orphan.Wait() }()
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		t.Fatal("orphan still running")
	}
	if err := mine.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("process of a live owner was killed: %v", err)
	}
	if _, err := os.Stat(orphanDir); !os.IsNotExist(err) {
		t.Fatalf("orphan dir left: %v", err)
	}
	if _, err := os.Stat(mineDir); err != nil {
		t.Fatalf("dir of a live owner removed: %v", err)
	}
}
