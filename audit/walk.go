package audit

import (
	"bufio"
	"bytes"
	"container/list"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/sv-secrets/sv/gitrepo"
	"github.com/sv-secrets/sv/yamlwalk"
)

// History is a git work tree whose history the audit reads with the real
// git: one git log process streaming every commit's changed files and one
// git cat-file process serving the file versions, however long the
// history.
type History struct {
	repo     *gitrepo.Repo
	boundary map[string]bool
}

// Open finds the work tree holding dir (gitrepo.ErrNotRepo if there is
// none).
func Open(dir string) (*History, error) {
	repo, err := gitrepo.Open(dir)
	if err != nil {
		return nil, err
	}
	b, err := shallowBoundary(repo)
	if err != nil {
		return nil, err
	}
	return &History{repo: repo, boundary: b}, nil
}

// Root is the work tree's top level; file names in the audit are relative
// to it, slash-separated.
func (h *History) Root() string { return h.repo.Root }

// Shallow returns the commits at the horizon of a shallow clone, newest
// first, or nothing for a complete clone.
func (h *History) Shallow() ([]Commit, error) {
	if len(h.boundary) == 0 {
		return nil, nil
	}
	args := []string{"show", "-s", "--no-show-signature", "--format=%H %cI"}
	for c := range h.boundary {
		args = append(args, c)
	}
	out, err := h.repo.Git(nil, args...)
	if err != nil {
		return nil, err
	}
	var cs []Commit
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(l)
		if len(f) != 2 {
			continue
		}
		d, err := time.Parse(time.RFC3339, f[1])
		if err != nil {
			return nil, fmt.Errorf("git show: bad date %q", f[1])
		}
		cs = append(cs, Commit{Hash: f[0], Date: d, Boundary: true})
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].Date.After(cs[j].Date) })
	return cs, nil
}

// HasCommits reports whether HEAD points to a commit (false in a new
// repository).
func (h *History) HasCommits() bool {
	_, err := h.repo.Git(nil, "rev-parse", "--verify", "-q", "HEAD^{commit}")
	return err == nil
}

// Options select what Walk reads.
type Options struct {
	// Files are extra paths (relative to Root, slash-separated) to read
	// besides *.yaml and *.yml files.
	Files []string
	// Keep says which files to report (by their path at each commit);
	// nil keeps every file. Files renamed into a kept file are followed.
	Keep func(path string) bool
	// Rules returns the selection rules for versions of path without sops
	// metadata (to tell which of their values should be encrypted).
	Rules func(path string) yamlwalk.Rules
	// Since, if set, skips commits older than it (by committer date).
	Since time.Time
}

// FileChange is what happened to one file in one commit.
type FileChange struct {
	Commit *Commit
	// File is the file's path at that commit; Current is its newest name
	// in the walk (different when it was renamed later).
	File, Current string
	Events        []Event
	// Old holds the previous version per parent (nil where the file did
	// not exist); New is nil for a deletion.
	Old []*Snapshot
	New *Snapshot
}

// ErrStop, returned by Walk's callback, ends the walk without error.
var ErrStop = errors.New("stop")

// Walk reads the history of HEAD, newest commit first, and calls fn for
// each kept file a commit changed in a way that shows (values, recipients,
// encryption). Merges are reported only for what differs from every
// parent; the branches' own commits carry their changes.
func (h *History) Walk(ctx context.Context, opt Options, fn func(*FileChange) error) error {
	if !h.HasCommits() {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	args := []string{"-c", "log.follow=false", "-c", "log.showSignature=false", "-c", "core.quotePath=false",
		"log", "--no-color", "-z", "--raw", "--no-abbrev", "-c", "-M", "--root", logFormat}
	if !opt.Since.IsZero() {
		args = append(args, "--since="+opt.Since.Format(time.RFC3339))
	}
	args = append(args, "HEAD", "--", ":(icase)*.yaml", ":(icase)*.yml")
	for _, f := range opt.Files {
		args = append(args, ":(literal)"+f)
	}
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = h.repo.Root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	blobs, catCmd, err := startBlobReader(ctx, h.repo.Root)
	if err != nil {
		cancel()
		_ = cmd.Wait()
		return err
	}
	w := &walker{h: h, opt: opt, blobs: blobs, cache: newSnapCache(256), shapes: map[[32]byte]*shape{}, alias: map[string]string{}}
	walkErr := w.run(&logReader{r: bufio.NewReaderSize(out, 1<<16)}, fn)
	_ = blobs.in.Close()
	if walkErr != nil {
		cancel()
	}
	logErr := cmd.Wait()
	_ = catCmd.Wait()
	switch {
	case walkErr != nil && !errors.Is(walkErr, ErrStop):
		return walkErr
	case walkErr == nil && logErr != nil:
		return &gitrepo.Error{Args: args, Stderr: stderr.String(), Err: logErr}
	}
	return nil
}

type walker struct {
	h      *History
	opt    Options
	blobs  *blobReader
	cache  *snapCache
	shapes map[[32]byte]*shape
	// alias maps a file's older names (before a rename) to its current
	// name.
	alias map[string]string
}

func (w *walker) run(lr *logReader, fn func(*FileChange) error) error {
	for {
		c, entries, err := lr.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		c.Boundary = w.h.boundary[c.Hash]
		for _, e := range entries {
			fc, err := w.change(c, e)
			if err != nil {
				return err
			}
			if fc != nil && len(fc.Events) > 0 {
				if err := fn(fc); err != nil {
					return err
				}
			}
		}
	}
}

func regular(mode string) bool { return mode == "100644" || mode == "100755" }

// change classifies one entry, or returns nil for a file not kept.
func (w *walker) change(c *Commit, e rawEntry) (*FileChange, error) {
	cur, followed := w.alias[e.path]
	if !followed {
		if w.opt.Keep != nil && !w.opt.Keep(e.path) {
			return nil, nil
		}
		cur = e.path
	}
	if e.oldPath != "" && e.status[0] == 'R' {
		w.alias[e.oldPath] = cur
	}
	fc := &FileChange{Commit: c, File: e.path, Current: cur}
	if regular(e.newMode) && !isNull(e.new) {
		s, err := w.snapshot(e.new, e.path)
		if err != nil {
			return nil, err
		}
		fc.New = s
	}
	for i, o := range e.olds {
		var s *Snapshot
		if regular(e.oldModes[i]) && !isNull(o) {
			name := e.path
			if e.oldPath != "" {
				name = e.oldPath
			}
			var err error
			if s, err = w.snapshot(o, name); err != nil {
				return nil, err
			}
		}
		fc.Old = append(fc.Old, s)
	}
	switch {
	case fc.New == nil:
		if len(fc.Old) > 0 && fc.Old[0] != nil {
			fc.Events = []Event{{Kind: Deleted, Values: fc.Old[0].Values()}}
		}
	case c.Boundary:
		// The parents are cut off: everything looks added. Say where the
		// history starts instead, keeping what is wrong with this version.
		evs := []Event{{Kind: Horizon, Values: fc.New.Values()}}
		for _, ev := range Diff(nil, fc.New) {
			if ev.Kind != Added {
				evs = append(evs, ev)
			}
		}
		fc.Events = evs
	case len(fc.Old) > 1:
		fc.Events = mergeDiff(fc.Old, fc.New)
	default:
		var old *Snapshot
		if len(fc.Old) == 1 {
			old = fc.Old[0]
		}
		fc.Events = Diff(old, fc.New)
	}
	return fc, nil
}

func (w *walker) snapshot(sha, path string) (*Snapshot, error) {
	key := sha + "\x00" + path
	if s := w.cache.get(key); s != nil {
		return s, nil
	}
	b, err := w.blobs.get(sha)
	if errors.Is(err, errMissing) {
		s := &Snapshot{shape: &shape{err: fmt.Errorf("blob %s is not in the repository", sha[:min(12, len(sha))])}}
		w.cache.put(key, s)
		return s, nil
	}
	if err != nil {
		return nil, err
	}
	var s *Snapshot
	if !EncryptedFile(path, b) {
		var rules yamlwalk.Rules
		if w.opt.Rules != nil {
			rules = w.opt.Rules(path)
		}
		s = NewSnapshotFile(path, b, rules)
	} else if text, digests, ok := shrink(b); !ok {
		s = NewSnapshotFile(path, b, yamlwalk.Rules{})
	} else {
		// An encrypted version's rules are its own, so its shape depends
		// on its text alone (and its format, which the name's extension
		// may decide).
		text = blankLastModified(text)
		k := sha256.Sum256(append([]byte(extOf(path)+"\x00"), text...))
		sh := w.shapes[k]
		if sh == nil {
			sh, _ = newShape(path, text, yamlwalk.Rules{}, false)
			if len(w.shapes) >= 1024 {
				clear(w.shapes)
			}
			w.shapes[k] = sh
		}
		s = sh.snapshot(digests)
	}
	w.cache.put(key, s)
	return s, nil
}

var lastModifiedRE = regexp.MustCompile(`\n[ \t]+lastmodified:[ \t]*("[^"\n]*"|'[^'\n]*'|[^\s#]+)`)

// blankLastModified replaces the sops block's lastmodified (different in
// every version, and of no interest here) by a fixed time.
func blankLastModified(text []byte) []byte {
	i := bytes.Index(text, []byte("\nsops:"))
	if i < 0 {
		return text
	}
	loc := lastModifiedRE.FindSubmatchIndex(text[i:])
	if loc == nil {
		return text
	}
	a, b := i+loc[2], i+loc[3]
	out := make([]byte, 0, len(text))
	out = append(out, text[:a]...)
	out = append(out, `"2000-01-01T00:00:00Z"`...)
	return append(out, text[b:]...)
}

// snapCache keeps the most recently used snapshots: walking newest first,
// a commit's old version is usually the next change's new version.
type snapCache struct {
	max int
	ll  *list.List
	m   map[string]*list.Element
}

type cacheItem struct {
	key string
	s   *Snapshot
}

func newSnapCache(max int) *snapCache {
	return &snapCache{max: max, ll: list.New(), m: map[string]*list.Element{}}
}

func (c *snapCache) get(key string) *Snapshot {
	if e, ok := c.m[key]; ok {
		c.ll.MoveToFront(e)
		return e.Value.(*cacheItem).s
	}
	return nil
}

func (c *snapCache) put(key string, s *Snapshot) {
	c.m[key] = c.ll.PushFront(&cacheItem{key, s})
	if c.ll.Len() > c.max {
		last := c.ll.Back()
		c.ll.Remove(last)
		delete(c.m, last.Value.(*cacheItem).key)
	}
}

// extOf is the extension of a slash path's last element.
func extOf(p string) string {
	i := strings.LastIndexByte(p, '.')
	if i < 0 || strings.Contains(p[i:], "/") {
		return ""
	}
	return p[i:]
}
