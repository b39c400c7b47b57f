package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// Package main is the CLI only (issue 10): flags → options → one call into
// secretfile → printing. These checks keep it that way: no YAML library
// (values are the core's business), no file written by main itself (every
// write goes through secretfile's atomic, mode-keeping path), and no
// command file reaching into another command file's helpers (shared CLI
// plumbing lives in files that are not cmd_*.go).

// mainFiles parses package main's non-test files.
func mainFiles(t *testing.T) (*token.FileSet, map[string]*ast.File) {
	t.Helper()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	files := map[string]*ast.File{}
	for _, n := range names {
		if strings.HasSuffix(n, "_test.go") {
			continue
		}
		// Object resolution is on: File.Unresolved is then exactly the
		// identifiers a file takes from the rest of its package.
		f, err := parser.ParseFile(fset, n, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		if f.Name.Name == "main" {
			files[n] = f
		}
	}
	return fset, files
}

func TestMainImportsNoYAML(t *testing.T) {
	_, files := mainFiles(t)
	for name, f := range files {
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if strings.Contains(p, "yaml") && !strings.HasPrefix(p, modulePath+"/") {
				t.Errorf("%s imports %s: package main reads no YAML; ask secretfile", name, p)
			}
		}
	}
}

// writeCalls are the os functions that create, change or remove files.
var writeCalls = map[string]bool{
	"WriteFile": true, "Create": true, "CreateTemp": true, "Rename": true, "Remove": true, "RemoveAll": true,
	"Mkdir": true, "MkdirAll": true, "MkdirTemp": true, "Symlink": true, "Link": true, "Chmod": true,
	"Chown": true, "Truncate": true,
}

func TestMainWritesNoFiles(t *testing.T) {
	fset, files := mainFiles(t)
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); ok && x.Name == "os" && writeCalls[sel.Sel.Name] {
				t.Errorf("%s: os.%s in package main: write files through secretfile (atomic, mode kept, changed-on-disk guard)", fset.Position(sel.Pos()), sel.Sel.Name)
			}
			return true
		})
	}
}

func TestCommandFilesAreIndependent(t *testing.T) {
	_, files := mainFiles(t)
	owner := map[string]string{} // top-level name → defining file
	for name, f := range files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil {
					owner[d.Name.Name] = name
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						owner[s.Name.Name] = name
					case *ast.ValueSpec:
						for _, id := range s.Names {
							owner[id.Name] = name
						}
					}
				}
			}
		}
	}
	var problems []string
	for name, f := range files {
		if !strings.HasPrefix(name, "cmd_") {
			continue
		}
		seen := map[string]bool{}
		for _, id := range f.Unresolved {
			def, ok := owner[id.Name]
			if !ok || def == name || !strings.HasPrefix(def, "cmd_") || seen[id.Name] {
				continue
			}
			seen[id.Name] = true
			problems = append(problems, name+" uses "+id.Name+" from "+def)
		}
	}
	sort.Strings(problems)
	for _, p := range problems {
		t.Error(p + ": a command file uses only its own helpers, secretfile and the shared CLI files")
	}
}

// TestMainIsThin keeps package main near the size issue 10 set for it
// (about 3,300 lines): growth there means domain logic in the CLI.
func TestMainIsThin(t *testing.T) {
	_, files := mainFiles(t)
	lines := 0
	for name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		lines += strings.Count(string(b), "\n")
	}
	if lines > 3500 {
		t.Errorf("package main has %d non-test lines (limit 3,500): move domain logic into secretfile", lines)
	}
}
