// Package gitrepo runs the real git binary for the few repository facts sv
// needs: where the work tree is, which files git tracks or would track,
// attributes, configuration, staged blobs and the hooks directory. It never
// changes anything but configuration; errors carry git's own message.
package gitrepo

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
)

// Repo is a git work tree.
type Repo struct {
	Root string // absolute path of the work tree's top level
}

// ErrNotRepo means the directory is not inside a git work tree.
var ErrNotRepo = errors.New("not inside a git work tree")

// Open finds the work tree holding dir.
func Open(dir string) (*Repo, error) {
	out, err := run(dir, nil, "rev-parse", "--show-toplevel")
	if err != nil {
		var ge *Error
		if errors.As(err, &ge) && strings.Contains(ge.Stderr, "not a git repository") {
			return nil, ErrNotRepo
		}
		return nil, err
	}
	return &Repo{Root: strings.TrimSpace(string(out))}, nil
}

// Error is a failed git command.
type Error struct {
	Args   []string
	Stderr string
	Err    error
}

func (e *Error) Error() string {
	msg := strings.TrimSpace(e.Stderr)
	if msg == "" {
		msg = e.Err.Error()
	}
	msg = strings.TrimPrefix(msg, "fatal: ")
	return fmt.Sprintf("git %s: %s", strings.Join(e.Args, " "), msg)
}

func (e *Error) Unwrap() error { return e.Err }

func run(dir string, stdin []byte, args ...string) ([]byte, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), &Error{Args: args, Stderr: stderr.String(), Err: err}
	}
	return stdout.Bytes(), nil
}

// Git runs git in the work tree's top level.
func (r *Repo) Git(stdin []byte, args ...string) ([]byte, error) {
	return run(r.Root, stdin, args...)
}

func splitZ(b []byte) []string {
	var out []string
	for _, f := range bytes.Split(b, []byte{0}) {
		if len(f) > 0 {
			out = append(out, string(f))
		}
	}
	return out
}

// Files lists the files of the work tree git knows or would add: tracked
// files and untracked ones that .gitignore does not exclude, as
// slash-separated paths relative to Root.
func (r *Repo) Files() ([]string, error) {
	out, err := r.Git(nil, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--deduplicate")
	if err != nil {
		return nil, err
	}
	return splitZ(out), nil
}

// Staged lists the files added, copied, modified or renamed in the index
// (what the next commit changes), relative to Root.
func (r *Repo) Staged() ([]string, error) {
	out, err := r.Git(nil, "diff", "--cached", "--name-only", "-z", "--diff-filter=ACMR", "--no-renames")
	if err != nil {
		return nil, err
	}
	return splitZ(out), nil
}

// StagedBlob returns the content of path as staged in the index.
func (r *Repo) StagedBlob(path string) ([]byte, error) {
	return r.Git(nil, "cat-file", "blob", ":"+path)
}

// Attr returns the value of attribute name for each path ("unspecified",
// "set", "unset" or the value), as git check-attr reports it.
func (r *Repo) Attr(name string, paths []string) (map[string]string, error) {
	in := []byte(strings.Join(paths, "\x00") + "\x00")
	out, err := r.Git(in, "check-attr", "-z", "--stdin", name)
	if err != nil {
		return nil, err
	}
	f := splitZ(out)
	m := map[string]string{}
	for i := 0; i+2 < len(f); i += 3 {
		m[f[i]] = f[i+2]
	}
	return m, nil
}

// Scope is where a configuration value lives.
type Scope string

const (
	Local  Scope = "--local"
	Global Scope = "--global"
)

// ConfigGet returns a configuration value and whether it is set in scope.
func (r *Repo) ConfigGet(scope Scope, key string) (string, bool, error) {
	out, err := run(r.dir(), nil, "config", string(scope), "--get", key)
	if err != nil {
		var ge *Error
		var ee *exec.ExitError
		if errors.As(err, &ge) && errors.As(ge.Err, &ee) && ee.ExitCode() == 1 {
			return "", false, nil // not set
		}
		return "", false, err
	}
	return strings.TrimSuffix(string(out), "\n"), true, nil
}

// ConfigSet sets a configuration value in scope.
func (r *Repo) ConfigSet(scope Scope, key, value string) error {
	_, err := run(r.dir(), nil, "config", string(scope), key, value)
	return err
}

// dir is where config commands run: the work tree, or (for a nil Repo,
// global configuration outside any repository) the current directory.
func (r *Repo) dir() string {
	if r == nil {
		return "."
	}
	return r.Root
}

// HookPath returns the absolute path of the named hook (honouring
// core.hooksPath and linked work trees).
func (r *Repo) HookPath(name string) (string, error) {
	out, err := r.Git(nil, "rev-parse", "--git-path", "hooks/"+name)
	if err != nil {
		return "", err
	}
	p := strings.TrimSpace(string(out))
	if !filepath.IsAbs(p) {
		p = filepath.Join(r.Root, p)
	}
	return p, nil
}
