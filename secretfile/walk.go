package secretfile

// Finding the files of a tree: one walker with its modes, one skip rule.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sv-secrets/sv/formats/dotenv"
	"github.com/sv-secrets/sv/gitrepo"
	"github.com/sv-secrets/sv/internal/parallel"
)

// Mode says where Walk finds the files of a directory.
type Mode int

const (
	// Tree is the files git knows or would add inside a git work tree
	// (tracked ones, and untracked ones .gitignore does not exclude), and
	// the directory walk (Dir) outside one.
	Tree Mode = iota
	// Dir walks the directory itself, git or not.
	Dir
	// Tracked is the files git tracks (git ls-files); a directory outside
	// a git work tree is an error (gitrepo.ErrNotRepo).
	Tracked
)

// TreeExtensions are the extensions the walker looks at, lower case: the
// formats sops chooses by extension. Files with other names are found by
// content (ByContent): sops binary files and sops dotenv files named like
// .env.production.
var TreeExtensions = []string{".yaml", ".yml", ".json", ".env", ".ini"}

// IsConfig reports whether name is a .sops.yaml, in either spelling
// (.sops.yaml or .sops.yml).
func IsConfig(name string) bool {
	b := path.Base(filepath.ToSlash(name))
	return b == ".sops.yaml" || b == ".sops.yml"
}

// Candidate is the one skip rule: whether a file found at rel (a path
// relative to the directory searched, either separator) is one the tree
// commands look at. It is not in a hidden directory below the one
// searched, it is not a .sops.yaml (either spelling), and its extension is
// one of TreeExtensions (case-insensitive).
func Candidate(rel string) bool {
	return walkable(rel) && slices.Contains(TreeExtensions, strings.ToLower(path.Ext(rel)))
}

// walkable is Candidate without the extension: not in a hidden directory
// below the one searched, not a .sops.yaml.
func walkable(rel string) bool {
	rel = filepath.ToSlash(rel)
	dir, name := path.Split(rel)
	for _, d := range strings.Split(strings.TrimSuffix(dir, "/"), "/") {
		if strings.HasPrefix(d, ".") && d != "." && d != ".." {
			return false
		}
	}
	return !IsConfig(name)
}

// maxByContent bounds the size of a file ByContent reads whole.
const maxByContent = 64 << 20

// ByContent reports whether the regular file (not a symbolic link) at p,
// found at rel and not a Candidate, is a sops file all the same: a sops binary envelope (a
// certificate or key sops or sv encrypted, whatever its name), or a sops
// dotenv file named like .env.production (IsDotenvName). It is cheap on
// other files: it reads their first bytes only, and reads a file whole
// only when those bytes open a JSON object with "data" as its first key
// (or for a dotenv name), up to 64 MiB.
func ByContent(p, rel string) bool {
	if !walkable(rel) {
		return false
	}
	// A symbolic link is not followed, as for the files found by name.
	fi, err := os.Lstat(p)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() > maxByContent {
		return false
	}
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 64)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	dotenvName := IsDotenvName(rel)
	if !dotenvName && !envelopeStart(head) {
		return false
	}
	rest, err := io.ReadAll(f)
	if err != nil {
		return false
	}
	src := append(head, rest...)
	return isBinaryEnvelope(src) || dotenvName && dotenv.IsEncrypted(src)
}

// envelopeStart reports whether b can begin a sops binary envelope: "{",
// then "data" as the first key (sops and sv write it first).
func envelopeStart(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 || b[0] != '{' {
		return false
	}
	return bytes.HasPrefix(bytes.TrimLeft(b[1:], " \t\r\n"), []byte(`"data"`))
}

// File is one file Walk found.
type File struct {
	// Path is the file's path: as named, or the directory as named joined
	// with Rel.
	Path string
	// Rel is the slash-separated path relative to the directory searched
	// (Path with forward slashes for a file named).
	Rel string
	// Explicit is true for a file named rather than found in a directory:
	// no skip rule applies to it, and problems with it are errors, not
	// skips.
	Explicit bool
}

// Error is a path that cannot be searched: it does not exist, cannot be
// read, or git failed on it. Err is the cause (fs.ErrNotExist matches
// with errors.Is when the path does not exist; a *gitrepo.Error when git
// failed).
type Error struct {
	Path string
	Err  error
}

func (e *Error) Error() string {
	if errors.Is(e.Err, fs.ErrNotExist) {
		return e.Path + ": no such file or directory"
	}
	var ge *gitrepo.Error
	if errors.As(e.Err, &ge) {
		return e.Err.Error()
	}
	return e.Path + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

func pathError(p string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return &Error{Path: p, Err: err}
}

// Walk expands paths: a file is returned as named (Explicit), a directory
// is searched in mode for the files Candidate accepts or ByContent finds,
// in git's order
// (byte order of Rel). Files come in the order of paths, each once. No
// paths means the current directory.
func Walk(paths []string, mode Mode) ([]File, error) {
	if len(paths) == 0 {
		paths = []string{"."}
	}
	var out []File
	seen := map[string]bool{}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, pathError(p, err)
		}
		var found []File
		if !fi.IsDir() {
			found = []File{{Path: p, Rel: filepath.ToSlash(p), Explicit: true}}
		} else if found, err = walkDir(p, mode); err != nil {
			return nil, err
		}
		for _, f := range found {
			if k := filepath.Clean(f.Path); !seen[k] {
				seen[k] = true
				out = append(out, f)
			}
		}
	}
	return out, nil
}

func walkDir(dir string, mode Mode) ([]File, error) {
	var rels []string
	switch mode {
	case Dir:
		var err error
		if rels, err = dirFiles(dir); err != nil {
			return nil, err
		}
	case Tree, Tracked:
		var err error
		rels, err = gitFiles(dir, mode == Tree)
		if errors.Is(err, gitrepo.ErrNotRepo) && mode == Tree {
			rels, err = dirFiles(dir)
		}
		if err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("secretfile: unknown walk mode %d", mode)
	}
	slices.Sort(rels)
	out := make([]File, 0, len(rels))
	for _, r := range rels {
		out = append(out, File{Path: filepath.Join(dir, filepath.FromSlash(r)), Rel: r})
	}
	return out, nil
}

// dirFiles walks dir for the regular files Candidate accepts (or
// ByContent finds), without
// entering hidden directories (dir itself may be one).
func dirFiles(dir string) ([]string, error) {
	var rels, others []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return pathError(p, err)
		}
		if p == dir {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return pathError(p, err)
		}
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		switch {
		case !d.Type().IsRegular():
		case Candidate(rel):
			rels = append(rels, filepath.ToSlash(rel))
		case walkable(rel):
			others = append(others, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return append(rels, byContent(dir, others)...), nil
}

// byContent is the regular files of others (slash paths relative to dir)
// that ByContent finds, probed in parallel: opening many small files is
// bound by the system calls' latency, not by the CPU.
func byContent(dir string, others []string) []string {
	found := parallel.Map(len(others), max(8, parallel.Workers()), func(i int) bool {
		return ByContent(filepath.Join(dir, filepath.FromSlash(others[i])), others[i])
	})
	var out []string
	for i, ok := range found {
		if ok {
			out = append(out, others[i])
		}
	}
	return out
}

// gitFiles lists the files under dir that git tracks (and, with others,
// the untracked ones .gitignore does not exclude) and Candidate accepts,
// relative to dir. Files git lists that are not regular files in the work
// tree (deleted, symbolic links, submodules) are left out.
func gitFiles(dir string, others bool) ([]string, error) {
	if _, err := gitrepo.Open(dir); err != nil {
		if errors.Is(err, gitrepo.ErrNotRepo) {
			return nil, err
		}
		return nil, pathError(dir, err)
	}
	args := []string{"ls-files", "-z", "--cached"}
	if others {
		args = append(args, "--others", "--exclude-standard")
	}
	args = append(args, "--deduplicate")
	// Run in dir, not at the top level: git lists the files below dir,
	// relative to it (no symbolic links in the way of relating paths).
	b, err := (&gitrepo.Repo{Root: dir}).Git(nil, args...)
	if err != nil {
		return nil, pathError(dir, err)
	}
	var rels, rest []string
	for _, r := range strings.Split(string(b), "\x00") {
		if r == "" || !walkable(r) {
			continue
		}
		if !Candidate(r) {
			rest = append(rest, r)
			continue
		}
		if fi, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(r))); err != nil || !fi.Mode().IsRegular() {
			continue
		}
		rels = append(rels, r)
	}
	return append(rels, byContent(dir, rest)...), nil
}

// StagedFiles is what the next commit changes, as staged.
type StagedFiles struct {
	Repo *gitrepo.Repo
	// Files are the staged files Candidate accepts by name (added, copied,
	// modified or renamed), and every file in the index Candidate accepts
	// below a directory whose .sops.yaml (either spelling) is staged: a
	// changed rule can make a file one that must be encrypted. Slash
	// paths relative to Repo.Root, in git's order.
	Files []string
	// Configs are the .sops.yaml files (either spelling) in the index,
	// relative to Repo.Root: read them as staged, not from the work tree.
	Configs []string
}

// Staged lists the staged files of the work tree holding dir. Their
// content is in the index (gitrepo.Repo.StagedBlob), not in the work tree.
func Staged(dir string) (*StagedFiles, error) {
	repo, err := gitrepo.Open(dir)
	if err != nil {
		return nil, err
	}
	staged, err := repo.Staged()
	if err != nil {
		return nil, err
	}
	b, err := repo.Git(nil, "ls-files", "-z", "--cached", "--deduplicate")
	if err != nil {
		return nil, err
	}
	index := strings.Split(string(b), "\x00")
	s := &StagedFiles{Repo: repo}
	for _, f := range index {
		if f != "" && IsConfig(f) {
			s.Configs = append(s.Configs, f)
		}
	}
	seen := map[string]bool{}
	for _, f := range staged {
		if Candidate(f) && !seen[f] {
			seen[f] = true
			s.Files = append(s.Files, f)
		}
	}
	for _, c := range staged {
		if !IsConfig(c) {
			continue
		}
		prefix := path.Dir(c) + "/"
		for _, f := range index {
			if f != "" && !seen[f] && (prefix == "./" || strings.HasPrefix(f, prefix)) && Candidate(f) {
				seen[f] = true
				s.Files = append(s.Files, f)
			}
		}
	}
	slices.Sort(s.Files)
	return s, nil
}
