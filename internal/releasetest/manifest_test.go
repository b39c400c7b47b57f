package releasetest

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/sv-secrets/sv/internal/tooltest"
	"github.com/sv-secrets/sv/internal/version"
)

// TestReleaseManifests checks the plugin.yaml every release package gets,
// for every platform without building one: the launcher is the binary in
// the package (bin/sv.exe on Windows, so Helm runs it without a shell), no
// script is named, and the version is the one source's.
func TestReleaseManifests(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("scripts/release.sh needs bash")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not installed")
	}
	root := tooltest.RepoRoot(t)
	for _, src := range []string{"plugin.yaml", "plugins/secrets/plugin.yaml", "plugins/secrets/plugin.release.yaml", "plugins/secrets-getter/plugin.yaml"} {
		for _, bin := range []string{"bin/sv", "bin/sv.exe"} {
			cmd := exec.Command("bash", filepath.Join(root, "scripts", "release.sh"), "--manifest", src, bin)
			cmd.Dir = root
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("release.sh --manifest %s %s: %v", src, bin, err)
			}
			var m struct {
				Name            string
				Version         string
				PlatformCommand []struct{ Command string }
				Downloaders     []struct{ Command string }
				RuntimeConfig   struct {
					PlatformCommand []struct{ Command string } `yaml:"platformCommand"`
					PlatformHooks   map[string][]struct {
						Command string
						Args    []string
					} `yaml:"platformHooks"`
					ProtocolCommands []struct {
						PlatformCommand []struct{ Command string } `yaml:"platformCommand"`
					} `yaml:"protocolCommands"`
				} `yaml:"runtimeConfig"`
			}
			if err := yaml.Unmarshal(out, &m); err != nil {
				t.Fatalf("%s for %s: %v\n%s", src, bin, err, out)
			}
			if m.Version != version.Plugin() {
				t.Errorf("%s for %s: version %q, want %s", src, bin, m.Version, version.Plugin())
			}
			var commands []string
			for _, c := range m.PlatformCommand {
				commands = append(commands, c.Command)
			}
			for _, c := range m.Downloaders {
				commands = append(commands, strings.Fields(c.Command)[0])
			}
			for _, c := range m.RuntimeConfig.PlatformCommand {
				commands = append(commands, c.Command)
			}
			for _, p := range m.RuntimeConfig.ProtocolCommands {
				for _, c := range p.PlatformCommand {
					commands = append(commands, c.Command)
				}
			}
			// The Helm 4 package's install hook writes the getter with the
			// package's binary (one `helm plugin install` for both).
			if strings.HasSuffix(src, "plugin.release.yaml") {
				for _, event := range []string{"install", "update"} {
					h := m.RuntimeConfig.PlatformHooks[event]
					if len(h) != 1 || strings.Join(h[0].Args, " ") != "plugin install-getter" {
						t.Errorf("%s for %s: %s hook = %+v", src, bin, event, h)
					}
				}
			} else if len(m.RuntimeConfig.PlatformHooks) > 0 {
				t.Errorf("%s for %s: unexpected hooks %+v", src, bin, m.RuntimeConfig.PlatformHooks)
			}
			for _, hs := range m.RuntimeConfig.PlatformHooks {
				for _, c := range hs {
					commands = append(commands, c.Command)
				}
			}
			if len(commands) == 0 {
				t.Errorf("%s for %s: no commands found\n%s", src, bin, out)
			}
			for _, c := range commands {
				if c != bin && c != "$HELM_PLUGIN_DIR/"+bin && c != "${HELM_PLUGIN_DIR}/"+bin {
					t.Errorf("%s for %s: command %q does not run %s", src, bin, c, bin)
				}
			}
		}
	}
}
