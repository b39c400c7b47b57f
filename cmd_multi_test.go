package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

func TestStartsDocument(t *testing.T) {
	for text, want := range map[string]bool{
		"---\na: 1\n": true, "---": true, "--- # doc\n": true, "---\r\n": true,
		"a: 1\n": false, "----\n": false, "# c\n---\n": false, "": false, "---a\n": false,
	} {
		if got := startsDocument([]byte(text)); got != want {
			t.Errorf("startsDocument(%q) = %v", text, got)
		}
	}
}

func TestOutputDir(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f.yaml")
	os.WriteFile(file, nil, 0o600)
	for _, c := range []struct {
		out   string
		files int
		want  bool
	}{
		{"", 3, false}, {"-", 3, false}, {"x.yaml", 1, false}, {file, 1, false},
		{"out", 2, true}, {dir, 1, true}, {"new/", 1, true},
	} {
		if got := outputDir(c.out, c.files); got != c.want {
			t.Errorf("outputDir(%q, %d) = %v", c.out, c.files, got)
		}
	}
}

func TestFilesAndCommand(t *testing.T) {
	for _, c := range []struct {
		args, files, cmd string // space-separated
		err              bool
	}{
		{"a.yaml -- sh -c x", "a.yaml", "sh -c x", false},
		{"a.yaml b.yaml -- env", "a.yaml b.yaml", "env", false},
		{"a.yaml env", "a.yaml", "env", false},        // one file, no "--": as before
		{"a.yaml env -- x", "a.yaml env", "x", false}, // the first "--" splits
		{"a.yaml b.yaml --", "", "", true},
		{"-- env", "", "", true},
		{"a.yaml", "", "", true},
	} {
		set := flag.NewFlagSet("t", flag.ContinueOnError)
		set.Parse(append([]string{"--"}, strings.Fields(c.args)...))
		ctx := cli.NewContext(cli.NewApp(), set, nil)
		ctx.Command = &cli.Command{Name: "exec-env"}
		files, cmd, err := filesAndCommand(ctx)
		if (err != nil) != c.err {
			t.Errorf("%q: err %v", c.args, err)
			continue
		}
		if err == nil && (strings.Join(files, " ") != c.files || strings.Join(cmd, " ") != c.cmd) {
			t.Errorf("%q: files %q, command %q", c.args, files, cmd)
		}
	}
}
