package audit

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/sv-secrets/sv/gitrepo"
)

// Commit is one commit of the history.
type Commit struct {
	Hash    string
	Parents []string
	// Date is the committer date: when the change entered this history
	// (what git log --since filters on).
	Date   time.Time
	Author string
	Email  string
	// Boundary is true for a commit at a shallow clone's horizon: its
	// parents are not in the repository.
	Boundary bool
}

// Short is the abbreviated commit hash.
func (c *Commit) Short() string {
	if len(c.Hash) > 7 {
		return c.Hash[:7]
	}
	return c.Hash
}

// rawEntry is one file of one commit in git log --raw -z output. For a
// merge (combined format) there is one old blob per parent.
type rawEntry struct {
	oldModes []string
	olds     []string
	newMode  string
	new      string
	status   string
	path     string
	oldPath  string // renames and copies
}

func isNull(sha string) bool { return strings.Trim(sha, "0") == "" }

// logFormat starts each commit with \x01 so headers cannot be confused
// with raw entries (which start with ':') or paths (read by position).
const logFormat = "--format=\x01%H%x00%P%x00%cI%x00%an%x00%ae%x00"

// logReader parses the output of git log --raw -z with logFormat as it
// streams.
type logReader struct {
	r       *bufio.Reader
	pending string // a commit header token read ahead
}

func (l *logReader) token() (string, error) {
	b, err := l.r.ReadBytes(0)
	if err == io.EOF && len(b) > 0 {
		return string(b), nil
	}
	if err != nil {
		return "", err
	}
	return string(b[:len(b)-1]), nil
}

// next returns the next commit and its file entries, or io.EOF.
func (l *logReader) next() (*Commit, []rawEntry, error) {
	head := l.pending
	l.pending = ""
	for head == "" {
		t, err := l.token()
		if err != nil {
			return nil, nil, err
		}
		head = strings.TrimLeft(t, "\n")
	}
	if !strings.HasPrefix(head, "\x01") {
		return nil, nil, fmt.Errorf("git log: unexpected output %q", abbrevToken(head))
	}
	var f [5]string
	for i := range f {
		t, err := l.token()
		if err != nil {
			return nil, nil, fmt.Errorf("git log: truncated commit header: %w", err)
		}
		f[i] = t
	}
	c := &Commit{Hash: head[1:], Parents: strings.Fields(f[0]), Author: f[2], Email: f[3]}
	d, err := time.Parse(time.RFC3339, f[1])
	if err != nil {
		return nil, nil, fmt.Errorf("git log: commit %s: bad date %q", c.Hash, f[1])
	}
	c.Date = d
	var entries []rawEntry
	for {
		t, err := l.token()
		if err == io.EOF {
			return c, entries, nil
		}
		if err != nil {
			return nil, nil, err
		}
		t = strings.TrimLeft(t, "\n")
		switch {
		case t == "":
		case strings.HasPrefix(t, "\x01"):
			l.pending = t
			return c, entries, nil
		case strings.HasPrefix(t, ":"):
			e, paths, err := parseRawHeader(t)
			if err != nil {
				return nil, nil, err
			}
			p := make([]string, paths)
			for i := range p {
				if p[i], err = l.token(); err != nil {
					return nil, nil, fmt.Errorf("git log: truncated entry: %w", err)
				}
			}
			e.path = p[len(p)-1]
			if paths == 2 {
				e.oldPath = p[0]
			}
			entries = append(entries, e)
		default:
			return nil, nil, fmt.Errorf("git log: unexpected output %q", abbrevToken(t))
		}
	}
}

func abbrevToken(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// parseRawHeader reads ":100644 100644 OLD NEW M" or, for a merge,
// "::100644 100644 100644 OLD1 OLD2 NEW MM"; it returns how many path
// tokens follow.
func parseRawHeader(t string) (rawEntry, int, error) {
	n := len(t) - len(strings.TrimLeft(t, ":"))
	f := strings.Fields(t[n:])
	if len(f) != 2*(n+1)+1 {
		return rawEntry{}, 0, fmt.Errorf("git log: unexpected raw entry %q", abbrevToken(t))
	}
	e := rawEntry{oldModes: f[:n], newMode: f[n], olds: f[n+1 : 2*n+1], new: f[2*n+1], status: f[2*n+2]}
	paths := 1
	if n == 1 && (e.status[0] == 'R' || e.status[0] == 'C') {
		paths = 2
	}
	return e, paths, nil
}

// blobReader serves object contents from one git cat-file --batch process.
type blobReader struct {
	in  io.WriteCloser
	out *bufio.Reader
	buf []byte
}

func startBlobReader(ctx context.Context, dir string) (*blobReader, *exec.Cmd, error) {
	cmd := exec.CommandContext(ctx, "git", "cat-file", "--batch")
	cmd.Dir = dir
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	return &blobReader{in: in, out: bufio.NewReaderSize(out, 1<<16)}, cmd, nil
}

// errMissing means the object is not in the repository.
var errMissing = errors.New("object not found")

// get returns the content of obj (a blob hash or REV:PATH), valid until
// the next call.
func (b *blobReader) get(obj string) ([]byte, error) {
	if strings.ContainsAny(obj, "\n") {
		return nil, errMissing
	}
	if _, err := io.WriteString(b.in, obj+"\n"); err != nil {
		return nil, fmt.Errorf("git cat-file: %w", err)
	}
	line, err := b.out.ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("git cat-file: %w", err)
	}
	f := strings.Fields(line)
	if len(f) != 3 {
		return nil, errMissing // "<obj> missing" or "ambiguous"
	}
	size, err := strconv.Atoi(f[2])
	if err != nil {
		return nil, fmt.Errorf("git cat-file: bad header %q", strings.TrimSpace(line))
	}
	if cap(b.buf) < size+1 {
		b.buf = make([]byte, size+1)
	}
	buf := b.buf[:size+1]
	if _, err := io.ReadFull(b.out, buf); err != nil {
		return nil, fmt.Errorf("git cat-file: %w", err)
	}
	if f[1] != "blob" {
		return nil, errMissing
	}
	return buf[:size], nil
}

// shallowBoundary lists the commits at a shallow clone's horizon (empty
// for a complete clone).
func shallowBoundary(repo *gitrepo.Repo) (map[string]bool, error) {
	out, err := repo.Git(nil, "rev-parse", "--is-shallow-repository")
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(string(out)) != "true" {
		return nil, nil
	}
	p, err := repo.Git(nil, "rev-parse", "--path-format=absolute", "--git-path", "shallow")
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(strings.TrimSpace(string(p)))
	if err != nil {
		return nil, err
	}
	m := map[string]bool{}
	for _, l := range bytes.Fields(b) {
		m[string(l)] = true
	}
	return m, nil
}
