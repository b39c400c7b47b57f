package main

import (
	"strings"
	"testing"
)

// SOPS_EDITOR and EDITOR are split into words as sops splits them
// (github.com/google/shlex).
func TestEditorCommandSplit(t *testing.T) {
	t.Setenv("SOPS_EDITOR", "")
	t.Setenv("EDITOR", `code --wait "my dir/x" 'a b' c\ d`)
	argv, err := editorCommand()
	if err != nil || strings.Join(argv, "|") != "code|--wait|my dir/x|a b|c d" {
		t.Errorf("got %q, %v", argv, err)
	}
	t.Setenv("SOPS_EDITOR", "vim -u 'NONE")
	if argv, err := editorCommand(); err == nil || !strings.Contains(err.Error(), "SOPS_EDITOR: cannot split it into words") {
		t.Errorf("unclosed quote: %q, %v", argv, err)
	}
	t.Setenv("SOPS_EDITOR", "")
	t.Setenv("EDITOR", "")
	if argv, err := editorCommand(); err != nil || strings.Join(argv, " ") != "vi" {
		t.Errorf("default: %q, %v", argv, err)
	}
}
