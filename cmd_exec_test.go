package main

import (
	"flag"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

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
