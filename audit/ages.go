package audit

import (
	"context"
	"errors"
	"path"
	"strings"
	"time"

	"github.com/sv-secrets/sv/yamlwalk"
)

// Age says when a value last changed.
type Age struct {
	Path string
	// Doc is the document number from 1 in files with several documents,
	// else 0.
	Doc int
	// Changed is the committer date of the commit that gave the value its
	// current ciphertext. If the value was set back to an earlier
	// ciphertext (a revert), it is the earliest commit that had it: the
	// secret is that old. Zero when Uncommitted or Unknown.
	Changed time.Time
	Commit  string
	// Uncommitted is true when the value differs from HEAD's version: it
	// is being changed now.
	Uncommitted bool
	// Horizon is true when the value was already there at a shallow
	// clone's horizon: it may be older than Changed (the horizon commit).
	Horizon bool
	// Unknown is true when no commit in the history gave the value its
	// ciphertext.
	Unknown bool
	// Rotated is the newest data-key rotation since Changed, zero if none.
	// A rotation re-encrypts values without changing them, so it does not
	// make a value younger.
	Rotated time.Time
}

type ageTarget struct {
	age    *Age
	cipher digest
}

// Ages returns the age of every encrypted value of the given files (paths
// relative to Root mapped to their current content, e.g. the work tree's
// or the index's), in document order. Files that are not encrypted get no
// entry. One pass over the whole history.
func (h *History) Ages(ctx context.Context, files map[string][]byte, rules func(string) yamlwalk.Rules) (map[string][]Age, error) {
	out := map[string][]Age{}
	targets := map[string]map[valueKey]*ageTarget{}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var head *blobReader
	if h.HasCommits() {
		b, cmd, err := startBlobReader(ctx, h.repo.Root)
		if err != nil {
			return nil, err
		}
		defer func() { _ = b.in.Close(); _ = cmd.Wait() }()
		head = b
	}
	var extra []string
	for file, src := range files {
		var r yamlwalk.Rules
		if rules != nil {
			r = rules(file)
		}
		cur := NewSnapshotFile(file, src, r)
		if !cur.IsEncrypted() {
			continue
		}
		var prev *Snapshot
		if head != nil {
			b, err := head.get("HEAD:" + file)
			switch {
			case err == nil:
				prev = NewSnapshotFile(file, b, r)
			case !errors.Is(err, errMissing):
				return nil, err
			}
		}
		// A rotation not yet committed changes no value: trace the
		// ciphertexts HEAD has.
		rotating := false
		if prev.IsEncrypted() {
			for _, ev := range Diff(prev, cur) {
				rotating = rotating || ev.Kind == Rotated
			}
		}
		ages := make([]Age, len(cur.order))
		t := map[valueKey]*ageTarget{}
		for i, k := range cur.order {
			a := &ages[i]
			*a = Age{Path: k.path, Unknown: true}
			if k.doc > 0 {
				a.Doc = k.doc + 1
			}
			c := cur.cipher[k]
			pc, inHead := oldCipher(prev, k)
			switch {
			case inHead && (pc == c || rotating):
				t[k] = &ageTarget{age: a, cipher: pc}
			default:
				a.Uncommitted, a.Unknown = true, false
			}
		}
		out[file] = ages
		targets[file] = t
		if !isYAMLPath(file) {
			extra = append(extra, file)
		}
	}
	if len(targets) == 0 || head == nil {
		return out, nil
	}
	keep := func(p string) bool { _, ok := targets[p]; return ok }
	err := h.Walk(ctx, Options{Files: extra, Keep: keep, Rules: rules}, func(fc *FileChange) error {
		t := targets[fc.Current]
		if !fc.New.usable() {
			return nil
		}
		rotated := false
		for _, ev := range fc.Events {
			rotated = rotated || ev.Kind == Rotated
		}
		for k, tg := range t {
			if nc, ok := fc.New.cipher[k]; !ok || nc != tg.cipher {
				continue
			}
			if inAnyParent(fc.Old, k, tg.cipher) {
				continue
			}
			a := tg.age
			if rotated && !fc.Commit.Boundary && len(fc.Old) > 0 {
				if oc, ok := oldCipher(fc.Old[0], k); ok {
					tg.cipher = oc
					if a.Rotated.IsZero() {
						a.Rotated = fc.Commit.Date
					}
					continue
				}
			}
			a.Changed, a.Commit, a.Unknown, a.Horizon = fc.Commit.Date, fc.Commit.Hash, false, fc.Commit.Boundary
			if fc.Commit.Boundary {
				delete(t, k)
			}
		}
		return nil
	})
	return out, err
}

func inAnyParent(olds []*Snapshot, k valueKey, c digest) bool {
	for _, o := range olds {
		if oc, ok := oldCipher(o, k); ok && oc == c {
			return true
		}
	}
	return false
}

func isYAMLPath(p string) bool {
	ext := strings.ToLower(path.Ext(p))
	return ext == ".yaml" || ext == ".yml"
}
