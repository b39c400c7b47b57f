package helmplugin

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
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
