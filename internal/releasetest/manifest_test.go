package releasetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
	helm3plugin "helm.sh/helm/v3/pkg/plugin"

	"github.com/sv-secrets/sv/internal/tooltest"
	"github.com/sv-secrets/sv/internal/version"
)

// platformCommand is one entry of a plugin.yaml's platformCommand or
// platformHooks list, as Helm 3 and Helm 4 read it.
type platformCommand struct {
	OS      string   `yaml:"os" json:"OperatingSystem"`
	Arch    string   `yaml:"arch" json:"Architecture"`
	Command string   `yaml:"command" json:"Command"`
	Args    []string `yaml:"args" json:"Args"`
}

// pluginManifest is every command-bearing field of a Helm 3 (legacy) or
// Helm 4 (apiVersion v1) plugin.yaml.
type pluginManifest struct {
	APIVersion      string                       `yaml:"apiVersion"`
	Type            string                       `yaml:"type"`
	Name            string                       `yaml:"name"`
	Version         string                       `yaml:"version"`
	Usage           string                       `yaml:"usage"`
	Description     string                       `yaml:"description"`
	IgnoreFlags     bool                         `yaml:"ignoreFlags"`
	Runtime         string                       `yaml:"runtime"`
	PlatformCommand []platformCommand            `yaml:"platformCommand"`
	PlatformHooks   map[string][]platformCommand `yaml:"platformHooks"`
	Hooks           map[string]string            `yaml:"hooks"`
	Command         string                       `yaml:"command"`
	Downloaders     []struct {
		Command   string   `yaml:"command"`
		Protocols []string `yaml:"protocols"`
	} `yaml:"downloaders"`
	RuntimeConfig struct {
		PlatformCommand  []platformCommand            `yaml:"platformCommand"`
		PlatformHooks    map[string][]platformCommand `yaml:"platformHooks"`
		ProtocolCommands []struct {
			Protocols       []string          `yaml:"protocols"`
			PlatformCommand []platformCommand `yaml:"platformCommand"`
		} `yaml:"protocolCommands"`
	} `yaml:"runtimeConfig"`
	Config struct {
		Usage       string   `yaml:"usage"`
		ShortHelp   string   `yaml:"shortHelp"`
		LongHelp    string   `yaml:"longHelp"`
		IgnoreFlags bool     `yaml:"ignoreFlags"`
		Protocols   []string `yaml:"protocols"`
	} `yaml:"config"`
}

// commandList is one list of platform commands of a manifest and what Helm
// must pick from it on each platform: want[GOOS] is the command and its
// arguments joined by spaces, before environment expansion.
type commandList struct {
	where string
	cmds  []platformCommand
	want  map[string]string
}

// manifestCase is a plugin.yaml: the repository's, or the one
// scripts/release.sh writes into a package.
type manifestCase struct {
	name     string // for messages
	text     []byte
	helm3    bool   // Helm 3 loads it (legacy format)
	helm4    string // the type `helm plugin list` shows on Helm 4
	lists    []commandList
	download string // the legacy downloader command, if any
}

// TestPluginManifests checks every plugin manifest sv ships — the root
// plugin.yaml (git installs), plugins/* (Helm 4 from a checkout) and the
// manifests scripts/release.sh writes into the linux/darwin and windows
// packages — against Helm 3.22's own loader (helm.sh/helm/v3/pkg/plugin,
// in process) and Helm 4's (the pinned helm 4 binary's `helm plugin
// list`, which reports a manifest it cannot load), and checks which
// command Helm picks on windows, linux and darwin by running Helm's own
// platform selection (getPlatformCommand, Helm 3's and Helm 4's source
// from the module cache, with runtime.GOOS/GOARCH made parameters). On
// windows every entry a user can install runs bin/sv.exe or the
// PowerShell hook, never sh. Windows itself is not run here.
func TestPluginManifests(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("scripts/release.sh needs bash")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not installed")
	}
	root := tooltest.RepoRoot(t)
	read := func(f string) []byte {
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f)))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	released := func(src, bin string) []byte {
		cmd := exec.Command("bash", filepath.Join(root, "scripts", "release.sh"), "--manifest", src, bin)
		cmd.Dir = root
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("release.sh --manifest %s %s: %v", src, bin, err)
		}
		return out
	}
	all := func(unix, windows string) map[string]string {
		return map[string]string{"linux": unix, "darwin": unix, "windows": windows}
	}
	const (
		ps1 = "powershell -NoProfile -NonInteractive -ExecutionPolicy Bypass -File $HELM_PLUGIN_DIR/scripts/install.ps1 "
		sh  = "sh $HELM_PLUGIN_DIR/scripts/install.sh "
	)

	cases := []manifestCase{{
		name: "plugin.yaml (git install)", text: read("plugin.yaml"), helm3: true, helm4: "getter/v1",
		lists: []commandList{
			{"platformCommand", nil, all("$HELM_PLUGIN_DIR/bin/sv helm", "$HELM_PLUGIN_DIR/bin/sv.exe helm")},
			{"platformHooks.install", nil, all(sh+"install", ps1+"install")},
			{"platformHooks.update", nil, all(sh+"update", ps1+"update")},
		},
		// Joined onto the plugin directory by Helm; on Windows Go's os/exec
		// adds .exe to an absolute path without extension (PATHEXT).
		download: "bin/sv helm downloader",
	}, {
		name: "plugins/secrets/plugin.yaml (Helm 4 checkout)", text: read("plugins/secrets/plugin.yaml"), helm4: "cli/v1",
		// sh only: a checkout on Windows installs with sv plugin install.
		lists: []commandList{
			{"runtimeConfig.platformCommand", nil, all("${HELM_PLUGIN_DIR}/bin/sv helm", "${HELM_PLUGIN_DIR}/bin/sv helm")},
			{"runtimeConfig.platformHooks.install", nil, all("${HELM_PLUGIN_DIR}/scripts/install.sh install getter", "${HELM_PLUGIN_DIR}/scripts/install.sh install getter")},
			{"runtimeConfig.platformHooks.update", nil, all("", "")},
		},
	}, {
		name: "plugins/secrets-getter/plugin.yaml (Helm 4 checkout)", text: read("plugins/secrets-getter/plugin.yaml"), helm4: "getter/v1",
		lists: []commandList{{"runtimeConfig.protocolCommands[0].platformCommand", nil, all("scripts/sv.sh helm downloader", "scripts/sv.sh helm downloader")}},
	}}
	for _, target := range []struct{ os, bin string }{{"unix", "bin/sv"}, {"windows", "bin/sv.exe"}} {
		only := func(cmd string) map[string]string {
			if target.os == "windows" {
				return map[string]string{"windows": cmd}
			}
			return map[string]string{"linux": cmd, "darwin": cmd}
		}
		cases = append(cases, manifestCase{
			name: "Helm 3 package, " + target.os, text: released("plugin.yaml", target.bin), helm3: true, helm4: "getter/v1",
			lists: []commandList{
				{"platformCommand", nil, only("$HELM_PLUGIN_DIR/" + target.bin + " helm")},
				{"platformHooks.install", nil, only("")},
			},
			download: target.bin + " helm downloader",
		}, manifestCase{
			name: "Helm 4 secrets package, " + target.os, text: released("plugins/secrets/plugin.release.yaml", target.bin), helm4: "cli/v1",
			lists: []commandList{
				{"runtimeConfig.platformCommand", nil, only("${HELM_PLUGIN_DIR}/" + target.bin + " helm")},
				{"runtimeConfig.platformHooks.install", nil, only("${HELM_PLUGIN_DIR}/" + target.bin + " plugin install-getter")},
				{"runtimeConfig.platformHooks.update", nil, only("${HELM_PLUGIN_DIR}/" + target.bin + " plugin install-getter")},
			},
		}, manifestCase{
			name: "Helm 4 secrets-getter package, " + target.os, text: released("plugins/secrets-getter/plugin.yaml", target.bin), helm4: "getter/v1",
			lists: []commandList{{"runtimeConfig.protocolCommands[0].platformCommand", nil, only(target.bin + " helm downloader")}},
		})
	}

	var getterProtocols []string
	for i := range cases {
		c := &cases[i]
		var m pluginManifest
		dec := yaml.NewDecoder(bytes.NewReader(c.text))
		dec.KnownFields(true)
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("%s: %v\n%s", c.name, err, c.text)
		}
		if m.Version != version.Plugin() || m.Name == "" {
			t.Errorf("%s: name %q version %q, want version %s", c.name, m.Name, m.Version, version.Plugin())
		}
		if len(m.Hooks) > 0 || m.Command != "" {
			t.Errorf("%s: deprecated hooks/command keys (Helm 4 refuses them next to platformHooks/platformCommand)", c.name)
		}
		for j := range c.lists {
			l := &c.lists[j]
			switch l.where {
			case "platformCommand":
				l.cmds = m.PlatformCommand
			case "platformHooks.install", "platformHooks.update":
				l.cmds = m.PlatformHooks[strings.TrimPrefix(l.where, "platformHooks.")]
			case "runtimeConfig.platformCommand":
				l.cmds = m.RuntimeConfig.PlatformCommand
			case "runtimeConfig.platformHooks.install", "runtimeConfig.platformHooks.update":
				l.cmds = m.RuntimeConfig.PlatformHooks[strings.TrimPrefix(l.where, "runtimeConfig.platformHooks.")]
			case "runtimeConfig.protocolCommands[0].platformCommand":
				if len(m.RuntimeConfig.ProtocolCommands) != 1 {
					t.Fatalf("%s: protocolCommands %+v", c.name, m.RuntimeConfig.ProtocolCommands)
				}
				l.cmds = m.RuntimeConfig.ProtocolCommands[0].PlatformCommand
			default:
				t.Fatalf("unknown list %s", l.where)
			}
		}
		if c.download != "" {
			if len(m.Downloaders) != 1 || m.Downloaders[0].Command != c.download {
				t.Errorf("%s: downloaders %+v, want command %q", c.name, m.Downloaders, c.download)
			}
		}
		if strings.Contains(c.name, "secrets-getter/plugin.yaml") {
			getterProtocols = m.Config.Protocols
		}
		if c.download != "" && getterProtocols != nil && strings.Join(m.Downloaders[0].Protocols, ",") != strings.Join(getterProtocols, ",") {
			t.Errorf("%s: downloader protocols %v, the getter plugin's %v", c.name, m.Downloaders[0].Protocols, getterProtocols)
		}
	}

	// Helm 3's loader, in process.
	tmp := t.TempDir()
	for i, c := range cases {
		dir := filepath.Join(tmp, "helm3", fmt.Sprint(i))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "plugin.yaml"), c.text, 0o644); err != nil {
			t.Fatal(err)
		}
		if !c.helm3 {
			continue
		}
		p, err := helm3plugin.LoadDir(dir)
		if err != nil {
			t.Errorf("%s: Helm 3 cannot load it: %v", c.name, err)
			continue
		}
		if len(p.Metadata.Downloaders) != 1 || len(p.Metadata.PlatformCommand) == 0 {
			t.Errorf("%s: Helm 3 reads %+v", c.name, p.Metadata)
		}
	}

	// Helm 4's loader: helm plugin list, one plugins directory each.
	helm4 := tooltest.Tool(t, "tools/helm4/go.mod", "helm")
	for i, c := range cases {
		plugins := filepath.Join(tmp, "helm4", fmt.Sprint(i))
		if err := os.MkdirAll(filepath.Join(plugins, "p"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(plugins, "p", "plugin.yaml"), c.text, 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(helm4, "plugin", "list")
		cmd.Env = []string{"HOME=" + tmp, "HELM_PLUGINS=" + plugins, "HELM_DATA_HOME=" + tmp, "HELM_CONFIG_HOME=" + tmp, "HELM_CACHE_HOME=" + tmp}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil || stderr.Len() > 0 {
			t.Errorf("%s: Helm 4 plugin list: %v\n%s%s", c.name, err, stdout.String(), stderr.String())
			continue
		}
		fields := strings.Fields(strings.SplitN(stdout.String(), "\n", 3)[1])
		if len(fields) < 3 || fields[1] != version.Plugin() || fields[2] != c.helm4 {
			t.Errorf("%s: Helm 4 lists %q, want type %s", c.name, fields, c.helm4)
		}
	}

	// Helm's platform selection for each platform.
	type query struct {
		Cmds     []platformCommand
		OS, Arch string
	}
	var queries []query
	type ref struct{ c, l int }
	var refs []ref
	for i, c := range cases {
		for j, l := range c.lists {
			for goos := range l.want {
				for _, arch := range []string{"amd64", "arm64"} {
					queries = append(queries, query{l.cmds, goos, arch})
					refs = append(refs, ref{i, j})
				}
			}
		}
	}
	picked := helmPlatformSelection(t, queries)
	for k, q := range queries {
		c := cases[refs[k].c]
		l := c.lists[refs[k].l]
		for h, got := range picked[k] {
			if want := l.want[q.OS]; got != want {
				t.Errorf("%s: %s on %s/%s: Helm %d picks %q, want %q", c.name, l.where, q.OS, q.Arch, h+3, got, want)
			}
		}
	}
}

// helmPlatformSelection runs Helm 3's and Helm 4's getPlatformCommand, as
// found in the module cache, on each query: for each, the command and
// arguments each Helm picks (joined by spaces, "" for none).
func helmPlatformSelection(t *testing.T, queries any) [][2]string {
	t.Helper()
	root := tooltest.RepoRoot(t)
	moddir := func(modfile, mod string) string {
		args := []string{"list", "-m", "-f", "{{.Dir}}"}
		if modfile != "" {
			args = append(args, "-modfile="+modfile)
		}
		cmd := exec.Command("go", append(args, mod)...)
		cmd.Dir = root
		out, err := cmd.Output()
		if err != nil || strings.TrimSpace(string(out)) == "" {
			t.Fatalf("go list -m %s: %v", mod, err)
		}
		return strings.TrimSpace(string(out))
	}
	sources := []struct{ file, name string }{
		{filepath.Join(moddir("", "helm.sh/helm/v3"), "pkg", "plugin", "plugin.go"), "helm3Select"},
		{filepath.Join(moddir(filepath.Join(root, "tools", "helm4", "go.mod"), "helm.sh/helm/v4"), "internal", "plugin", "subprocess_commands.go"), "helm4Select"},
	}
	var prog bytes.Buffer
	prog.WriteString(selectionMain)
	for _, s := range sources {
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, s.file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		var fn *ast.FuncDecl
		for _, d := range f.Decls {
			if d, ok := d.(*ast.FuncDecl); ok && d.Name.Name == "getPlatformCommand" {
				fn = d
			}
		}
		if fn == nil {
			t.Fatalf("%s has no getPlatformCommand", s.file)
		}
		replaced := 0
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if x, ok := sel.X.(*ast.Ident); ok && x.Name == "runtime" {
					x.Name, sel.Sel.Name = "p", strings.TrimPrefix(sel.Sel.Name, "GO")
					replaced++
				}
			}
			return true
		})
		if replaced == 0 {
			t.Fatalf("%s: getPlatformCommand no longer reads runtime.GOOS", s.file)
		}
		fn.Name.Name = s.name
		fn.Type.Params.List = append([]*ast.Field{{Names: []*ast.Ident{ast.NewIdent("p")}, Type: ast.NewIdent("platform")}}, fn.Type.Params.List...)
		fn.Doc = nil
		fmt.Fprintf(&prog, "\n// From %s.\n", s.file)
		if err := printer.Fprint(&prog, token.NewFileSet(), fn); err != nil {
			t.Fatal(err)
		}
		prog.WriteString("\n")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.go"), prog.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	in, err := json.Marshal(queries)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "run", "main.go")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=", "GO111MODULE=off")
	cmd.Stdin = bytes.NewReader(in)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go run (Helm's platform selection): %v\n%s\n%s", err, out, prog.String())
	}
	var picked [][2]string
	if err := json.Unmarshal(out, &picked); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return picked
}

// selectionMain is the program around Helm's getPlatformCommand: it reads
// queries (commands and a platform) as JSON and prints what Helm 3 and
// Helm 4 pick.
const selectionMain = `package main

import (
	"encoding/json"
	"os"
	"strings"
)

type PlatformCommand struct {
	OperatingSystem string
	Architecture    string
	Command         string
	Args            []string
}

type platform struct{ OS, ARCH string }

func main() {
	var queries []struct {
		Cmds     []PlatformCommand
		OS, Arch string
	}
	if err := json.NewDecoder(os.Stdin).Decode(&queries); err != nil {
		panic(err)
	}
	out := [][2]string{}
	for _, q := range queries {
		p := platform{q.OS, q.Arch}
		c3, a3 := helm3Select(p, q.Cmds)
		c4, a4 := helm4Select(p, q.Cmds)
		out = append(out, [2]string{strings.Join(append(c3, a3...), " "), strings.Join(append(c4, a4...), " ")})
	}
	json.NewEncoder(os.Stdout).Encode(out)
}
`
