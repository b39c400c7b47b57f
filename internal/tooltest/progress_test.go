package tooltest

import (
	"bytes"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestProgress checks that a slow tool build is announced (and a fast one,
// the usual cached case, is not).
func TestProgress(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses sleep")
	}
	var buf bytes.Buffer
	oldDelay, oldOut := progressDelay, progressOut
	t.Cleanup(func() { progressDelay, progressOut = oldDelay, oldOut })
	progressDelay, progressOut = 50*time.Millisecond, &buf

	if err := runWithProgress(exec.Command("true"), "fast", "/x/tools/go.mod"); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 0 {
		t.Errorf("fast build printed %q", buf.String())
	}
	if err := runWithProgress(exec.Command("sleep", "0.3"), "sops", "/x/tools/go.mod"); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, "building pinned sops") || !strings.Contains(out, "first run only") || !strings.Contains(out, "built sops in") {
		t.Errorf("slow build printed %q", out)
	}
}
