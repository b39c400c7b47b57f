package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sv-secrets/sv/helmplugin"
	"github.com/sv-secrets/sv/internal/version"
)

// TestVersionsAgree checks that sv's one version source (internal/version)
// is what 'sv version', 'sv --version', 'sv -v' and 'helm secrets
// --version' print and what every
// Helm plugin manifest in the repository, and every manifest 'sv plugin
// install' writes, carries.
func TestVersionsAgree(t *testing.T) {
	semver := regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$`)
	if !semver.MatchString(version.Version) {
		t.Fatalf("version.Version = %q, want MAJOR.MINOR.PATCH", version.Version)
	}
	want := version.Plugin()
	if !strings.HasPrefix(want, "4.") || want != version.HelmSecrets+"+sv."+version.Version {
		t.Fatalf("version.Plugin() = %q: helmfile needs a helm-secrets 4.x version", want)
	}

	var outs []string
	for _, args := range [][]string{{"sv", "version"}, {"sv", "--version"}, {"sv", "-v"}} {
		var stdout, stderr bytes.Buffer
		if code := run(args, strings.NewReader(""), &stdout, &stderr); code != 0 {
			t.Fatalf("%s: exit %d, stderr %q", strings.Join(args, " "), code, stderr.String())
		}
		out := stdout.String()
		if !strings.HasPrefix(out, "sv "+version.Version+" (SOPS format ") || !strings.Contains(out, "Helm plugin version "+want+" ") {
			t.Errorf("%s printed %q, want sv %s and plugin version %s", strings.Join(args, " "), out, version.Version, want)
		}
		outs = append(outs, out)
	}
	if outs[0] != outs[1] || outs[0] != outs[2] {
		t.Errorf("sv version, sv --version and sv -v differ: %q", outs)
	}

	// helm secrets --version (helm-secrets prints its bare version).
	var stdout, stderr bytes.Buffer
	if code := run([]string{"sv", "helm", "--version"}, strings.NewReader(""), &stdout, &stderr); code != 0 || strings.TrimSpace(stdout.String()) != want {
		t.Errorf("helm secrets --version: exit %d, %q (stderr %q), want %s", code, stdout.String(), stderr.String(), want)
	}

	manifests, err := filepath.Glob("plugins/*/plugin.yaml")
	if err != nil {
		t.Fatal(err)
	}
	manifests = append([]string{"plugin.yaml"}, manifests...)
	if len(manifests) < 3 {
		t.Fatalf("found only %v", manifests)
	}
	line := regexp.MustCompile(`(?m)^version:\s*"?([^"\s]+)"?\s*$`)
	for _, f := range manifests {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m := line.FindAllSubmatch(b, -1)
		if len(m) != 1 || string(m[0][1]) != want {
			t.Errorf("%s: version lines %q, want exactly one with %s", f, m, want)
		}
	}
	for name, b := range map[string][]byte{
		"legacy": helmplugin.LegacyManifest(helmplugin.LauncherInstalled, true),
		"cli":    helmplugin.CLIManifest(helmplugin.LauncherInstalled, true),
		"getter": helmplugin.GetterManifest(helmplugin.LauncherInstalled, true),
	} {
		if m := line.FindSubmatch(b); m == nil || string(m[1]) != want {
			t.Errorf("sv plugin install's %s manifest has version %q, want %s", name, m, want)
		}
	}
}

// TestVersionUsageHint checks that a wrong flag names the command path in
// its hint ("sv --help", not "sv sv --help").
func TestVersionUsageHint(t *testing.T) {
	for args, hint := range map[string]string{
		"sv --bogus":           "run 'sv --help' for usage",
		"sv encrypt --bogus":   "run 'sv encrypt --help' for usage",
		"sv git setup --bogus": "run 'sv git setup --help' for usage",
	} {
		var stdout, stderr bytes.Buffer
		if code := run(strings.Fields(args), strings.NewReader(""), &stdout, &stderr); code == 0 {
			t.Errorf("%s: exit 0", args)
		}
		if !strings.Contains(stderr.String(), "sv: hint: "+hint+"\n") {
			t.Errorf("%s: stderr %q, want hint %q", args, stderr.String(), hint)
		}
	}
}
