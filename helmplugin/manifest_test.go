package helmplugin

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "rewrite the committed plugin.yaml files from the generators")

// The plugin.yaml files of a source checkout are the generators' output
// with the checkout launcher; go test ./helmplugin -update rewrites them.
// The root plugin.yaml is not: it has the git install's hooks
// (scripts/install.sh), and internal/releasetest checks it.
func TestCommittedManifests(t *testing.T) {
	files := map[string][]byte{
		"../plugins/secrets/plugin.yaml":        CheckoutCLIManifest(),
		"../plugins/secrets-getter/plugin.yaml": GetterManifest(LauncherCheckout, false),
		// scripts/release.sh's template for the Helm 4 package (hooks)
		"../plugins/secrets/plugin.release.yaml": ReleaseCLIManifest(LauncherCheckout),
	}
	for name, want := range files {
		if *update {
			if err := os.WriteFile(name, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is out of date; run go test ./helmplugin -update", name)
		}
	}
	// The checkout's launcher is where the manifests say it is.
	for _, dir := range []string{"../plugins/secrets", "../plugins/secrets-getter"} {
		fi, err := os.Stat(filepath.Join(dir, LauncherCheckout))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm()&0o111 == 0 {
			t.Errorf("%s is not executable", filepath.Join(dir, LauncherCheckout))
		}
	}
}

func TestManifestsParse(t *testing.T) {
	for _, launcher := range []string{LauncherCheckout, LauncherInstalled} {
		for _, m := range [][]byte{LegacyManifest(launcher, true), CLIManifest(launcher, true), GetterManifest(launcher, true)} {
			var v map[string]any
			if err := yaml.Unmarshal(m, &v); err != nil {
				t.Fatalf("%v\n%s", err, m)
			}
			if !bytes.HasPrefix(m, []byte(Marker+"\n")) {
				t.Errorf("no marker:\n%s", m)
			}
			if !strings.Contains(string(m), launcher) {
				t.Errorf("launcher %s missing:\n%s", launcher, m)
			}
		}
	}
	// Helm 3 splits a downloader command on spaces and joins the first
	// word onto the plugin directory: it must be relative, with no $VAR.
	var legacy struct {
		Downloaders []struct {
			Command   string
			Protocols []string
		}
	}
	if err := yaml.Unmarshal(LegacyManifest(LauncherInstalled, false), &legacy); err != nil {
		t.Fatal(err)
	}
	if len(legacy.Downloaders) != 1 || legacy.Downloaders[0].Command != "bin/sv helm downloader" {
		t.Errorf("downloaders = %+v", legacy.Downloaders)
	}
	if strings.Join(legacy.Downloaders[0].Protocols, ",") != strings.Join(Protocols, ",") {
		t.Errorf("protocols = %v", legacy.Downloaders[0].Protocols)
	}
}

// The release package's cli/v1 manifest is CLIManifest plus install and
// update hooks that run the launcher with InstallGetterArgs.
func TestReleaseCLIManifest(t *testing.T) {
	for _, launcher := range []string{LauncherCheckout, LauncherInstalled, LauncherInstalled + ".exe"} {
		m := ReleaseCLIManifest(launcher)
		if !bytes.HasPrefix(m, CLIManifest(launcher, false)) {
			t.Errorf("not CLIManifest plus hooks:\n%s", m)
		}
		var v struct {
			RuntimeConfig struct {
				PlatformHooks map[string][]struct {
					OS      string `yaml:"os"`
					Command string
					Args    []string
				} `yaml:"platformHooks"`
			} `yaml:"runtimeConfig"`
		}
		dec := yaml.NewDecoder(bytes.NewReader(m))
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("%v\n%s", err, m)
		}
		hooks := v.RuntimeConfig.PlatformHooks
		if len(hooks) != 2 {
			t.Errorf("hooks = %+v", hooks)
		}
		for _, event := range []string{"install", "update"} {
			h := hooks[event]
			if len(h) != 1 || h[0].Command != "${HELM_PLUGIN_DIR}/"+launcher || strings.Join(h[0].Args, " ") != "plugin install-getter" {
				t.Errorf("%s hook = %+v", event, h)
			}
		}
	}
}
