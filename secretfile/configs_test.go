package secretfile

import (
	"os"
	"path/filepath"
	"testing"
)

// Each file gets the nearest .sops.yaml above it; one named (--config or
// SOPS_CONFIG) is every file's.
func TestConfigs(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv("SOPS_CONFIG", "")
	for _, d := range []string{"charts/a", "charts/b"} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, ".sops.yaml", "creation_rules:\n  - age: age1top\n")
	writeFile(t, "charts/a/.sops.yaml", "creation_rules:\n  - age: age1chart\n")
	c, err := NewConfigs("")
	if err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{
		"values.yaml":          ".sops.yaml",
		"charts/a/values.yaml": "charts/a/.sops.yaml",
		"charts/a/x/deep.yaml": "charts/a/.sops.yaml",
		"charts/b/values.yaml": ".sops.yaml",
		"charts/a/../b/x.yaml": ".sops.yaml",
	} {
		cfg, err := c.For(file)
		if err != nil || cfg == nil || cfg.Path != filepath.Join(dir, want) {
			t.Errorf("%s: %v, %v; want %s", file, cfg, err, want)
		}
	}
	c, err = NewConfigs("charts/a/.sops.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg, _ := c.For("values.yaml"); cfg == nil || cfg.Path != filepath.Join(dir, "charts/a/.sops.yaml") {
		t.Errorf("--config: %v", cfg)
	}
	if _, err := NewConfigs("missing.yaml"); err == nil {
		t.Error("a missing --config file is no error")
	}
	writeFile(t, "charts/b/.sops.yaml", "creation_rules: [")
	c, _ = NewConfigs("")
	if _, err := c.For("charts/b/values.yaml"); err == nil {
		t.Error("a broken .sops.yaml is no error")
	}
}
