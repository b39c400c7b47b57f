package main

import (
	"bytes"
	"errors"
	"testing"
)

// Errors, hints, warnings and notes all come from errors.go: "sv: KIND: "
// in front, one line, terminal controls escaped.
func TestVoice(t *testing.T) {
	var b bytes.Buffer
	warnf(&b, "%s: %d value(s)", "a\x1b[2Jb.yaml", 2)
	notef(&b, "shallow clone")
	reportError(&b, withHint(errors.New("bad.\nforged"), "try again"))
	want := "sv: warning: a\\x1b[2Jb.yaml: 2 value(s)\n" +
		"sv: note: shallow clone\n" +
		"sv: error: bad.\\x0aforged\n" +
		"sv: hint: try again\n"
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}
