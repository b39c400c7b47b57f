package audit

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Benchmarks on a synthetic history made with git fast-import: a file of
// benchValues encrypted values, benchCommits commits each changing one
// value, a data-key rotation every 250 commits, and an unrelated file
// changed in every commit. Run:
//
//	go test ./audit -run '^$' -bench . -benchtime 3x
//
// With SV_AUDIT_BENCH_DIR set, the repository is built there and kept (to
// time sv log on it).
const (
	benchValues  = 200
	benchCommits = 2000
)

var (
	benchOnce sync.Once
	benchDir  string // the repository
	benchTemp string // removed after the benchmarks
	benchErr  error
)

func benchRepo(b *testing.B) string {
	benchOnce.Do(func() {
		dir := os.Getenv("SV_AUDIT_BENCH_DIR")
		if dir == "" {
			if dir, benchErr = os.MkdirTemp("", "sv-audit-bench-"); benchErr != nil {
				return
			}
			benchTemp = dir
		} else if benchErr = os.MkdirAll(dir, 0o755); benchErr != nil {
			return
		}
		benchDir, benchErr = dir, buildBenchRepo(dir)
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchDir
}

func buildBenchRepo(dir string) error {
	env := append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
	run := func(stdin []byte, args ...string) error {
		cmd := exec.Command("git", args...)
		cmd.Dir, cmd.Env = dir, env
		cmd.Stdin = bytes.NewReader(stdin)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("git %v: %v\n%s", args, err, out)
		}
		return nil
	}
	if err := run(nil, "init", "-q", "-b", "main"); err != nil {
		return err
	}
	vals := make([]string, benchValues)
	for i := range vals {
		vals[i] = fmt.Sprintf("v%dx0", i)
	}
	key := "k0"
	var s bytes.Buffer
	blob := func(path, content string) {
		fmt.Fprintf(&s, "M 100644 inline %s\ndata %d\n%s\n", path, len(content), content)
	}
	for c := 0; c < benchCommits; c++ {
		switch {
		case c > 0 && c%250 == 0:
			key = fmt.Sprintf("k%d", c)
			for i := range vals {
				vals[i] += "r"
			}
		case c > 0:
			i := c % benchValues
			vals[i] = fmt.Sprintf("v%dx%d", i, c)
		}
		var f strings.Builder
		f.WriteString("app:\n")
		for i, v := range vals {
			fmt.Fprintf(&f, "  key%03d: ENC[AES256_GCM,data:%s%s,iv:%s,tag:dGFndGFnZGF0YQ==,type:str]\n", i, v, strings.Repeat("A", 40), strings.Repeat("I", 43)+"=")
		}
		f.WriteString(sopsBlock(key, "age1alice", "age1bob"))
		msg := fmt.Sprintf("commit %d", c)
		fmt.Fprintf(&s, "commit refs/heads/main\ncommitter Ann <ann@example.com> %d +0000\ndata %d\n%s\n", 1577836800+c*3600, len(msg), msg)
		blob("deploy/prod/values.enc.yaml", f.String())
		blob("chart/Chart.yaml", fmt.Sprintf("version: 0.%d.0\n", c))
	}
	if err := run(s.Bytes(), "fast-import", "--quiet"); err != nil {
		return err
	}
	return run(nil, "checkout", "-q", "main")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchTemp != "" {
		os.RemoveAll(benchTemp)
	}
	os.Exit(code)
}

func BenchmarkWalk(b *testing.B) {
	dir := benchRepo(b)
	h, err := Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		n := 0
		err := h.Walk(context.Background(), Options{}, func(fc *FileChange) error {
			n += len(fc.Events)
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if n < benchCommits {
			b.Fatalf("only %d events", n)
		}
	}
	b.ReportMetric(float64(benchCommits), "commits")
}

func BenchmarkAges(b *testing.B) {
	dir := benchRepo(b)
	h, err := Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join(dir, "deploy/prod/values.enc.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		ages, err := h.Ages(context.Background(), map[string][]byte{"deploy/prod/values.enc.yaml": src}, nil)
		if err != nil {
			b.Fatal(err)
		}
		if a := ages["deploy/prod/values.enc.yaml"]; len(a) != benchValues || a[0].Unknown {
			b.Fatalf("ages: %+v", a[:1])
		}
	}
}
