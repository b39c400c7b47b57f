package main

import (
	"fmt"
	"os/exec"
	"path"
	"strings"
	"testing"
)

// layers are sv's packages from the bottom up. A package may import only
// packages of lower layers (never one of its own layer or above); package
// main, the CLI, sits on top of all of them. Moving a package or adding
// one means deciding its layer here.
var layers = [][]string{
	// Leaves: the parts that know nothing of sv's file format.
	{"internal/*"},
	// keygroups: the one comparison of who can open a data key, as
	// strings, for the audit (below the core) and the core alike.
	{"crypt", "sopsconfig", "gitrepo", "gitattr", "keygroups"},
	// The format and the editor session; the interop tests' identities and
	// real sops (test support, built on crypt).
	{"yamlwalk", "editor", "internal/sopstest"},
	// What is built on the format: the other formats' shared sops block,
	// merging, the git history audit.
	{"formats/sopsfile", "gitmerge", "audit"},
	{"formats/binfile", "formats/dotenv", "formats/inifile", "formats/jsonfile", "formats/internal/*"},
	// The Helm plugin's pieces read dotenv and INI values files too.
	{"helmplugin"},
	// The application core: opens, checks, changes and writes encrypted
	// files for the commands of package main.
	{"secretfile"},
}

const modulePath = "github.com/sv-secrets/sv"

// layerOf is rel's layer, len(layers) for a main package (the CLI and the
// bench tools), -1 if none is declared.
func layerOf(rel, name string) int {
	if name == "main" {
		return len(layers)
	}
	// A package named exactly wins over a pattern (internal/sopstest sits
	// above the other internal packages).
	for i, l := range layers {
		for _, pat := range l {
			if rel == pat {
				return i
			}
		}
	}
	for i, l := range layers {
		for _, pat := range l {
			if strings.HasSuffix(pat, "/*") && path.Dir(rel) == strings.TrimSuffix(pat, "/*") {
				return i
			}
		}
	}
	return -1
}

func TestLayers(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	// Imports, not TestImports: tests may reach further (helmplugin's drive
	// Helm's own getter).
	out, err := exec.Command(goCmd, "list", "-f", "{{.ImportPath}} {{.Name}}{{range .Imports}} {{.}}{{end}}", modulePath+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	problems, checked := layerViolations(strings.Split(strings.TrimSpace(string(out)), "\n"))
	for _, p := range problems {
		t.Error(p)
	}
	if checked == 0 {
		t.Fatal("no imports between sv's packages found: is go list's output what this test expects?")
	}
}

// layerViolations checks lines of "IMPORTPATH NAME IMPORT..." and returns
// a message for every import that breaks the layers, and how many imports
// between sv's packages it checked.
func layerViolations(lines []string) (problems []string, checked int) {
	rel := func(p string) string {
		if p == modulePath {
			return "."
		}
		return strings.TrimPrefix(p, modulePath+"/")
	}
	names := map[string]string{}
	for _, line := range lines {
		if f := strings.Fields(line); len(f) >= 2 {
			names[f[0]] = f[1]
		}
	}
	for _, line := range lines {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		pkg, name, imports := f[0], f[1], f[2:]
		from := layerOf(rel(pkg), name)
		if from < 0 {
			problems = append(problems, rel(pkg)+" has no layer: add it to layers in layers_test.go")
			continue
		}
		for _, imp := range imports {
			if imp == "github.com/urfave/cli/v2" && name != "main" {
				problems = append(problems, fmt.Sprintf("%s imports %s: only package main knows the command line; take options, return values and typed errors", rel(pkg), imp))
			}
			if !strings.HasPrefix(imp, modulePath+"/") {
				continue
			}
			checked++
			if to := layerOf(rel(imp), names[imp]); to >= from {
				problems = append(problems, fmt.Sprintf("%s (layer %d) imports %s (layer %d): a package may import only lower layers (see layers in layers_test.go)", rel(pkg), from, rel(imp), to))
			}
		}
	}
	return problems, checked
}

func TestLayerViolations(t *testing.T) {
	m := modulePath + "/"
	problems, checked := layerViolations([]string{
		modulePath + " main " + m + "crypt " + m + "helmplugin github.com/urfave/cli/v2",
		m + "crypt crypt " + m + "internal/safetext " + m + "yamlwalk",
		m + "yamlwalk yamlwalk " + m + "crypt " + m + "editor",
		m + "editor editor github.com/urfave/cli/v2",
		m + "helmplugin helmplugin " + m + "formats/dotenv",
		m + "formats/dotenv dotenv " + m + "yamlwalk",
		m + "internal/safetext safetext",
		m + "newpkg newpkg",
	})
	want := []string{
		"crypt (layer 1) imports yamlwalk (layer 2): a package may import only lower layers (see layers in layers_test.go)",
		"yamlwalk (layer 2) imports editor (layer 2): a package may import only lower layers (see layers in layers_test.go)",
		"editor imports github.com/urfave/cli/v2: only package main knows the command line; take options, return values and typed errors",
		"newpkg has no layer: add it to layers in layers_test.go",
	}
	if strings.Join(problems, "\n") != strings.Join(want, "\n") || checked != 8 {
		t.Errorf("checked %d imports, problems:\n%s\nwant:\n%s", checked, strings.Join(problems, "\n"), strings.Join(want, "\n"))
	}
}

// The check itself: an import sideways or upwards is named.
func TestLayerOf(t *testing.T) {
	for rel, want := range map[string]int{
		"internal/child":     0,
		"internal/a/b":       -1,
		"crypt":              1,
		"yamlwalk":           2,
		"formats/dotenv":     4,
		"formats/internal/x": 4,
		"helmplugin":         5,
		"somethingnew":       -1,
	} {
		if got := layerOf(rel, "x"); got != want {
			t.Errorf("layerOf(%s) = %d, want %d", rel, got, want)
		}
	}
	if layerOf(".", "main") != len(layers) {
		t.Error("package main is not on top")
	}
}
