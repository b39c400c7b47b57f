package helmplugin

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// Helm is an installed helm binary, as `sv plugin install` sees it.
type Helm struct {
	// Bin is the binary's path.
	Bin string
	// Version ("v3.22.0") and Major are set when asked for (Detect).
	Version string
	Major   int
	// PluginsDir is the first directory of `helm env HELM_PLUGINS`.
	PluginsDir string
}

// NotFoundError: the helm binary cannot be found or run.
type NotFoundError struct {
	Name string // as given (HelmBinary)
	Err  error  // the cause, without the path
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("cannot find helm (%s): %v", e.Name, e.Err)
}

func (e *NotFoundError) Unwrap() error { return e.Err }

// Detect finds helm (name as HelmBinary returns it, looked up on PATH),
// asks it for its plugins directory and, if needVersion, its version,
// which must be one sv supports (Helm 3 or 4).
func Detect(name string, needVersion bool) (*Helm, error) {
	bin, err := exec.LookPath(name)
	if err != nil {
		return nil, &NotFoundError{Name: name, Err: execCause(err)}
	}
	h := &Helm{Bin: bin}
	if needVersion {
		out, err := h.Output("version", "--short")
		if err != nil {
			return nil, err
		}
		if h.Major, h.Version, err = ParseHelmVersion(out); err != nil {
			return nil, err
		}
		if !SupportedMajor(h.Major) {
			return nil, fmt.Errorf("%s is Helm %s; sv supports Helm 3 and Helm 4", bin, h.Version)
		}
	}
	out, err := h.Output("env", "HELM_PLUGINS")
	if err != nil {
		return nil, err
	}
	dirs := filepath.SplitList(strings.TrimSpace(out))
	if len(dirs) == 0 || dirs[0] == "" {
		return nil, fmt.Errorf("%s env HELM_PLUGINS printed no directory", bin)
	}
	h.PluginsDir = dirs[0]
	return h, nil
}

// execCause is the reason exec gave, without the name or path it
// names already.
func execCause(err error) error {
	var ee *exec.Error
	if errors.As(err, &ee) {
		return ee.Err
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Output runs helm with args and returns its standard output; a failure
// names the command and the first line helm wrote on standard error.
func (h *Helm) Output(args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(h.Bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i]
		}
		return "", fmt.Errorf("%s %s failed: %v %s", h.Bin, strings.Join(args, " "), err, msg)
	}
	return stdout.String(), nil
}

// Install writes sv's plugins for h (Install with h's plugins directory
// and major version) and checks that helm lists them: Helm skips plugins
// it cannot load (Helm 4 only logs it). It returns the directories
// written.
func (h *Helm) Install(exe string) ([]string, error) {
	dirs, err := Install(h.PluginsDir, h.Major, exe)
	if err != nil {
		return nil, err
	}
	list, err := h.Output("plugin", "list")
	if err != nil {
		return nil, err
	}
	want := []string{NameCLI}
	if h.Major == 4 {
		want = append(want, NameGetter)
	}
	for _, name := range want {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `\s`).MatchString(list) {
			return nil, fmt.Errorf("%s does not list the %q plugin after installing it in %s", h.Bin, name, h.PluginsDir)
		}
	}
	return dirs, nil
}

// Executable is the binary the plugin should run: the path sv was started
// by (os.Args[0], looked up on PATH) when it names this very file, since a
// stable symlink such as /usr/local/bin/sv survives upgrades; else
// os.Executable.
func Executable() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("cannot find the sv binary: %w", err)
	}
	if p, err := exec.LookPath(os.Args[0]); err == nil {
		if abs, err := filepath.Abs(p); err == nil {
			a, errA := os.Stat(abs)
			b, errB := os.Stat(exe)
			if errA == nil && errB == nil && os.SameFile(a, b) {
				return abs, nil
			}
		}
	}
	return exe, nil
}
