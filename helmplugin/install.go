package helmplugin

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
)

// Layout returns the plugin directories sv installs for a Helm major
// version and their plugin.yaml contents, for the launcher bin/sv.
func Layout(major int) (map[string][]byte, error) {
	switch major {
	case 3:
		return map[string][]byte{NameCLI: LegacyManifest(LauncherInstalled, true)}, nil
	case 4:
		return map[string][]byte{
			NameCLI:    CLIManifest(LauncherInstalled, true),
			NameGetter: GetterManifest(LauncherInstalled, true),
		}, nil
	}
	return nil, fmt.Errorf("sv supports Helm 3 and Helm 4, not Helm %d", major)
}

// ConflictError is a plugin sv did not install that is in the way (for
// example helm-secrets itself).
type ConflictError struct {
	Dir  string // the other plugin's directory
	Name string // the plugin name it claims
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%s holds a %q plugin that sv did not install", e.Dir, e.Name)
}

// Install writes sv's plugin directories for a Helm major version into
// pluginsDir, each with its plugin.yaml and bin/sv pointing at exe (a
// symlink; a copy where symlinks are unavailable). It is idempotent:
// directories sv wrote before are replaced, and those of the other Helm
// major are removed (Helm 3 refuses to load any plugin while a Helm 4
// plugin.yaml sits in its directory). A plugin sv did not write that
// claims one of the names is a *ConflictError and nothing is changed.
// It returns the directories written.
func Install(pluginsDir string, major int, exe string) ([]string, error) {
	layout, err := Layout(major)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(pluginsDir, 0o755); err != nil {
		return nil, err
	}
	if err := checkConflicts(pluginsDir, NameCLI, NameGetter); err != nil {
		return nil, err
	}
	var written []string
	for _, name := range []string{NameCLI, NameGetter} {
		dir := filepath.Join(pluginsDir, name)
		manifest, ok := layout[name]
		if !ok {
			if err := removeOurs(dir); err != nil {
				return written, err
			}
			continue
		}
		if err := writePluginDir(pluginsDir, dir, manifest, exe); err != nil {
			return written, err
		}
		written = append(written, dir)
	}
	return written, nil
}

// InstallGetter writes only the secrets-getter plugin (the getter/v1
// manifest and bin/sv running exe, as Install writes it for Helm 4) into
// pluginsDir. It is what the install hook of sv's Helm 4 release package
// runs, with pluginsDir the directory Helm installed the secrets plugin
// into and exe that plugin's binary. Idempotent: a getter sv wrote before
// is replaced. A secrets-getter installed from sv's own getter package, or
// from a checkout's plugins/secrets-getter (people who install both by
// hand), is kept: kept is true and dir is its directory. Any other plugin claiming the name is a
// *ConflictError and nothing is changed.
func InstallGetter(pluginsDir, exe string) (dir string, kept bool, err error) {
	if d := getterPackage(pluginsDir); d != "" {
		return d, true, nil
	}
	if err := os.MkdirAll(pluginsDir, 0o755); err != nil {
		return "", false, err
	}
	if err := checkConflicts(pluginsDir, NameGetter); err != nil {
		return "", false, err
	}
	dir = filepath.Join(pluginsDir, NameGetter)
	if err := writePluginDir(pluginsDir, dir, GetterManifest(LauncherInstalled, true), exe); err != nil {
		return "", false, err
	}
	return dir, false, nil
}

var packageGetterCommand = regexp.MustCompile(`(?m)^\s*- command: (` + regexp.QuoteMeta(LauncherInstalled) + `(\.exe)?|` + regexp.QuoteMeta(LauncherCheckout) + `)\s*$`)

// getterPackage is the directory in pluginsDir of a secrets-getter plugin
// installed from sv's getter package or a checkout's
// plugins/secrets-getter, of any version (no marker; the command is the
// package's bin/sv or bin/sv.exe, or the checkout's scripts/sv.sh), or "".
func getterPackage(pluginsDir string) string {
	entries, err := os.ReadDir(pluginsDir)
	if err != nil {
		return ""
	}
	for _, e := range entries {
		dir := filepath.Join(pluginsDir, e.Name())
		b, err := os.ReadFile(filepath.Join(dir, "plugin.yaml"))
		if err != nil || bytes.HasPrefix(b, []byte(Marker+"\n")) {
			continue
		}
		if m := nameLine.FindSubmatch(b); m != nil && string(m[1]) == NameGetter && packageGetterCommand.Match(b) {
			return dir
		}
	}
	return ""
}

// Uninstall removes the plugin directories sv installed in pluginsDir and
// returns them; other plugins are left alone.
func Uninstall(pluginsDir string) ([]string, error) {
	var removed []string
	for _, name := range []string{NameCLI, NameGetter} {
		dir := filepath.Join(pluginsDir, name)
		ours, err := IsOurs(dir)
		if err != nil {
			return removed, err
		}
		if !ours {
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			return removed, err
		}
		removed = append(removed, dir)
	}
	return removed, nil
}

// IsOurs reports whether dir is a plugin directory sv installed. A missing
// directory is not ours, without error.
func IsOurs(dir string) (bool, error) {
	fi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !fi.IsDir() {
		return false, nil
	}
	b, err := os.ReadFile(filepath.Join(dir, "plugin.yaml"))
	if err != nil {
		return false, nil
	}
	return bytes.HasPrefix(b, []byte(Marker+"\n")), nil
}

var nameLine = regexp.MustCompile(`(?m)^name:\s*["']?([A-Za-z0-9_-]+)["']?\s*$`)

// checkConflicts looks for plugins sv did not write that claim one of
// names (secrets, secrets-getter), under any directory name (`helm plugin
// install DIR` names the directory after DIR).
func checkConflicts(pluginsDir string, names ...string) error {
	entries, err := os.ReadDir(pluginsDir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		dir := filepath.Join(pluginsDir, e.Name())
		b, err := os.ReadFile(filepath.Join(dir, "plugin.yaml"))
		if err != nil {
			continue
		}
		m := nameLine.FindSubmatch(b)
		if m == nil || !slices.Contains(names, string(m[1])) {
			continue
		}
		if ours, _ := IsOurs(dir); ours {
			continue
		}
		return &ConflictError{Dir: dir, Name: string(m[1])}
	}
	return nil
}

func removeOurs(dir string) error {
	ours, err := IsOurs(dir)
	if err != nil || !ours {
		return err
	}
	return os.RemoveAll(dir)
}

// writePluginDir builds the directory next to its final place and swaps
// it in, so Helm never sees a half-written plugin. The manifest gets its
// name last: Helm scans plugins/*/plugin.yaml, and a second directory
// claiming "secrets", even for a moment, would make Helm 3 refuse every
// plugin.
func writePluginDir(pluginsDir, dir string, manifest []byte, exe string) (err error) {
	tmp, err := os.MkdirTemp(pluginsDir, ".sv-install-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if err = os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err = os.WriteFile(filepath.Join(tmp, "plugin.yaml.new"), manifest, 0o644); err != nil {
		return err
	}
	bin := filepath.Join(tmp, filepath.FromSlash(LauncherInstalled))
	if err = os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		return err
	}
	if err = linkExecutable(exe, bin); err != nil {
		return err
	}
	wrapper := filepath.Join(tmp, filepath.FromSlash(WrapperScript))
	if err = os.MkdirAll(filepath.Dir(wrapper), 0o755); err != nil {
		return err
	}
	if err = os.WriteFile(wrapper, []byte(wrapperScript), 0o755); err != nil {
		return err
	}
	if err = removeOurs(dir); err != nil {
		return err
	}
	if _, statErr := os.Lstat(dir); statErr == nil {
		return &ConflictError{Dir: dir, Name: filepath.Base(dir)}
	}
	if err = os.Rename(tmp, dir); err != nil {
		return err
	}
	if err = os.Rename(filepath.Join(dir, "plugin.yaml.new"), filepath.Join(dir, "plugin.yaml")); err != nil {
		os.RemoveAll(dir)
	}
	return err
}

// linkExecutable makes bin run exe: a symlink, so rebuilding or upgrading
// sv in place needs no reinstall; on Windows, where symlinks need special
// rights, a copy named sv.exe (Helm finds it through PATHEXT).
func linkExecutable(exe, bin string) error {
	if runtime.GOOS != "windows" {
		return os.Symlink(exe, bin)
	}
	src, err := os.Open(exe)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(bin+".exe", os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}
