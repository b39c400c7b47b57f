package helmplugin

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
)

func TestInstall(t *testing.T) {
	plugins := filepath.Join(t.TempDir(), "plugins")
	exe := filepath.Join(t.TempDir(), "sv")
	os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755)

	// Helm 4: two plugins, each linked to exe.
	dirs, err := Install(plugins, 4, exe)
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) != 2 {
		t.Fatalf("dirs = %v", dirs)
	}
	for name, want := range map[string][]byte{NameCLI: CLIManifest(LauncherInstalled, true), NameGetter: GetterManifest(LauncherInstalled, true)} {
		got, err := os.ReadFile(filepath.Join(plugins, name, "plugin.yaml"))
		if err != nil || string(got) != string(want) {
			t.Errorf("%s/plugin.yaml = %q, %v", name, got, err)
		}
		if target, err := os.Readlink(filepath.Join(plugins, name, "bin", "sv")); err != nil || target != exe {
			t.Errorf("%s/bin/sv -> %q, %v", name, target, err)
		}
	}
	// Again: same result, no leftovers.
	if _, err := Install(plugins, 4, exe); err != nil {
		t.Fatal(err)
	}
	// Helm 3 over it: the getter goes (Helm 3 cannot load v1 files).
	if _, err := Install(plugins, 3, exe); err != nil {
		t.Fatal(err)
	}
	if names := list(t, plugins); len(names) != 1 || names[0] != NameCLI {
		t.Errorf("after Helm 3 install: %v", names)
	}
	got, _ := os.ReadFile(filepath.Join(plugins, NameCLI, "plugin.yaml"))
	if string(got) != string(LegacyManifest(LauncherInstalled, true)) {
		t.Errorf("plugin.yaml = %s", got)
	}

	// Someone else's plugins are left alone.
	os.MkdirAll(filepath.Join(plugins, "helm-diff"), 0o755)
	os.WriteFile(filepath.Join(plugins, "helm-diff", "plugin.yaml"), []byte("name: diff\n"), 0o644)
	removed, err := Uninstall(plugins)
	if err != nil || len(removed) != 1 {
		t.Fatalf("Uninstall = %v, %v", removed, err)
	}
	if names := list(t, plugins); len(names) != 1 || names[0] != "helm-diff" {
		t.Errorf("after uninstall: %v", names)
	}
	if removed, err := Uninstall(plugins); err != nil || len(removed) != 0 {
		t.Errorf("second Uninstall = %v, %v", removed, err)
	}
	if _, err := Install(plugins, 2, exe); err == nil {
		t.Error("Helm 2 accepted")
	}
}

func TestInstallConflict(t *testing.T) {
	exe := filepath.Join(t.TempDir(), "sv")
	for _, c := range []struct{ dir, manifest string }{
		{"secrets", "name: secrets\nversion: 4.7.4\n"},               // helm-secrets
		{"helm-secrets", "name: \"secrets\"\n"},                      // same name, other directory
		{"secrets-getter", "apiVersion: v1\nname: secrets-getter\n"}, // helm-secrets' Helm 4 getter
	} {
		plugins := t.TempDir()
		os.MkdirAll(filepath.Join(plugins, c.dir), 0o755)
		mf := filepath.Join(plugins, c.dir, "plugin.yaml")
		os.WriteFile(mf, []byte(c.manifest), 0o644)
		_, err := Install(plugins, 4, exe)
		var ce *ConflictError
		if !errors.As(err, &ce) || ce.Dir != filepath.Join(plugins, c.dir) {
			t.Errorf("%s: err = %v", c.dir, err)
		}
		if got, _ := os.ReadFile(mf); string(got) != c.manifest {
			t.Errorf("%s: foreign plugin.yaml changed", c.dir)
		}
		if names := list(t, plugins); len(names) != 1 {
			t.Errorf("%s: install left %v", c.dir, names)
		}
		if removed, err := Uninstall(plugins); err != nil || len(removed) != 0 {
			t.Errorf("%s: Uninstall = %v, %v", c.dir, removed, err)
		}
	}
}

func list(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

func TestWrapperScriptMatchesRepository(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", filepath.FromSlash(WrapperScript)))
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != wrapperScript {
		t.Errorf("%s differs from helmplugin.wrapperScript; keep them equal", WrapperScript)
	}
}

// InstallGetter is the Helm 4 release package's install hook: only the
// getter, beside a secrets plugin Helm installed (no marker), idempotent,
// keeping sv's own getter package, refusing anyone else's.
func TestInstallGetter(t *testing.T) {
	plugins := t.TempDir()
	cli := filepath.Join(plugins, NameCLI)
	os.MkdirAll(filepath.Join(cli, "bin"), 0o755)
	os.WriteFile(filepath.Join(cli, "plugin.yaml"), ReleaseCLIManifest(LauncherInstalled), 0o644)
	exe := filepath.Join(cli, "bin", "sv")
	os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755)

	for range 2 {
		dir, kept, err := InstallGetter(plugins, exe)
		if err != nil || kept || dir != filepath.Join(plugins, NameGetter) {
			t.Fatalf("InstallGetter = %q, %v, %v", dir, kept, err)
		}
		got, err := os.ReadFile(filepath.Join(dir, "plugin.yaml"))
		if err != nil || string(got) != string(GetterManifest(LauncherInstalled, true)) {
			t.Errorf("plugin.yaml = %q, %v", got, err)
		}
		if runtime.GOOS != "windows" {
			if target, err := os.Readlink(filepath.Join(dir, "bin", "sv")); err != nil || target != exe {
				t.Errorf("bin/sv -> %q, %v", target, err)
			}
		}
		if names := list(t, plugins); len(names) != 2 {
			t.Errorf("plugins = %v", names)
		}
	}
	// The secrets plugin Helm installed is untouched.
	if got, _ := os.ReadFile(filepath.Join(cli, "plugin.yaml")); string(got) != string(ReleaseCLIManifest(LauncherInstalled)) {
		t.Errorf("secrets/plugin.yaml changed: %s", got)
	}

	// sv's getter package or a checkout's plugins/secrets-getter, installed
	// by hand (any version): kept.
	for _, launcher := range []string{LauncherInstalled, LauncherInstalled + ".exe", LauncherCheckout} {
		os.RemoveAll(filepath.Join(plugins, NameGetter))
		pkg := filepath.Join(plugins, NameGetter)
		os.MkdirAll(pkg, 0o755)
		m := strings.Replace(string(GetterManifest(launcher, false)), "version: "+PluginVersion, `version: "4.7.6+sv.0.0.9"`, 1)
		os.WriteFile(filepath.Join(pkg, "plugin.yaml"), []byte(m), 0o644)
		dir, kept, err := InstallGetter(plugins, exe)
		if err != nil || !kept || dir != pkg {
			t.Errorf("%s: InstallGetter = %q, %v, %v", launcher, dir, kept, err)
		}
		if got, _ := os.ReadFile(filepath.Join(pkg, "plugin.yaml")); string(got) != m {
			t.Errorf("%s: the package's plugin.yaml changed: %s", launcher, got)
		}
	}

	// helm-secrets' getter (any directory name): refused, unchanged.
	os.RemoveAll(filepath.Join(plugins, NameGetter))
	other := filepath.Join(plugins, "helm-secrets-getter")
	os.MkdirAll(other, 0o755)
	foreign := "apiVersion: v1\ntype: getter/v1\nname: secrets-getter\nruntimeConfig:\n  protocolCommands:\n    - platformCommand:\n        - command: scripts/run.sh\n"
	os.WriteFile(filepath.Join(other, "plugin.yaml"), []byte(foreign), 0o644)
	_, _, err := InstallGetter(plugins, exe)
	var ce *ConflictError
	if !errors.As(err, &ce) || ce.Dir != other || ce.Name != NameGetter {
		t.Errorf("InstallGetter with helm-secrets' getter = %v", err)
	}
	if _, err := os.Stat(filepath.Join(plugins, NameGetter)); err == nil {
		t.Error("secrets-getter written despite the conflict")
	}
}
