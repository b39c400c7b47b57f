package main

import (
	"reflect"
	"testing"
)

func TestArgsInterspersedCommandsExist(t *testing.T) {
	cmds := commands()
	for name := range interspersed {
		found := false
		for _, c := range cmds {
			if c.Name == name {
				found = true
			}
		}
		if !found {
			t.Errorf("interspersed names %q, which is no command of sv", name)
		}
	}
}

func TestArgsNormalize(t *testing.T) {
	cmds := commands()
	for _, tc := range []struct{ in, want []string }{
		// flags move in front of the files, with their values
		{[]string{"sv", "encrypt", "f.yaml", "--age", "R", "-i"}, []string{"sv", "encrypt", "--age", "R", "-i", "f.yaml"}},
		{[]string{"sv", "decrypt", "a", "--extract=x.y", "b"}, []string{"sv", "decrypt", "--extract=x.y", "a", "b"}},
		// after "--" everything is an argument, and a dash argument stays one
		{[]string{"sv", "encrypt", "--", "-f.yaml", "--age"}, []string{"sv", "encrypt", "--", "-f.yaml", "--age"}},
		// set's VALUE may start with "-"; an unknown flag before the
		// first argument stays a flag (a typo fails before any write)
		{[]string{"sv", "set", "f.yaml", "n", "-5"}, []string{"sv", "set", "f.yaml", "n", "-5"}},
		{[]string{"sv", "set", "--bogus", "f.yaml", "n", "1"}, []string{"sv", "set", "--bogus", "f.yaml", "n", "1"}},
		{[]string{"sv", "encrypt", "f.yaml", "--bogus"}, []string{"sv", "encrypt", "--bogus", "f.yaml"}},
		// commands with a command line of their own keep the order
		{[]string{"sv", "helm", "template", "x", "-f", "v.yaml"}, []string{"sv", "helm", "template", "x", "-f", "v.yaml"}},
		{[]string{"sv", "exec-env", "f.yaml", "env", "-0"}, []string{"sv", "exec-env", "f.yaml", "env", "-0"}},
		// completion never runs anything: "--" is dropped
		{[]string{"sv", "encrypt", "f.yaml", "--", "--generate-bash-completion"}, []string{"sv", "encrypt", "f.yaml", "--generate-bash-completion"}},
	} {
		if got := normalizeArgs(cmds, tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
		}
	}
}
