package jsonfile

import (
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sv-secrets/sv/formats/internal/fmttest"
)

// strictness are inputs at the edges of what JSON readers accept; refused
// marks the ones sv refuses although sops v3.13 accepts them (see the
// comment on parse for why).
var strictness = []struct {
	in      string
	refused bool
}{
	{in: `{}`}, {in: "\xef\xbb\xbf{}"}, {in: "{\"a\":1}\n\n"}, {in: "{\"a\":1}\r\n"}, {in: `{"a":1,"a":2}`},
	{in: `{"a":1} x`, refused: true}, {in: `{"a":1}{"b":2}`, refused: true}, {in: `{"a":1}]`, refused: true},
	{in: `{"a":1}}`, refused: true}, {in: `{"a":true}false`, refused: true}, {in: "{\"a\":1}\x00", refused: true},
	{in: `{"a":"\ud800"}`, refused: true}, {in: `{"a":"\udc00\ud800"}`, refused: true}, {in: `{"a":"\ud800x"}`, refused: true},
	{in: `{"\ud800":1}`, refused: true}, {in: "{\"a\":\"\xff\"}", refused: true}, {in: "{\"\xff\":1}", refused: true},
	{in: "{\"a\":\"\xed\xa0\x80\"}", refused: true},
	{in: `{"a":"\ufffd \uFFFD �"}`}, {in: `{"a":"\\ufffd"}`}, {in: `{"a":"\uDBFF\uDFFF"}`}, {in: `{"a":"\u0000"}`},
	{in: `{"a":"\/"}`}, {in: "{\"a\":\"\x7f\"}"}, {in: "{\"a\":\"\x01\"}"}, {in: `{"a":"\u00"}`}, {in: `{"a":"\q"}`},
	{in: `{"a":1e400}`}, {in: `{"a":-1e400}`}, {in: `{"a":1e-400}`}, {in: `{"a":12345678901234567890}`},
	{in: `{"a":1e5}`}, {in: `{"a":-0.0E+00}`}, {in: `{"a": 01}`}, {in: `{"a": .5}`}, {in: `{"a": 1.}`},
	{in: `{"a": +1}`}, {in: `{"a":-}`}, {in: `{"a": NaN}`}, {in: `{"a": tru}`}, {in: `{'a':1}`}, {in: `{"a":1,}`},
	{in: `[1]`}, {in: `"x"`}, {in: `1`}, {in: ``}, {in: `   `}, {in: `{"a":1`}, {in: `{"a":"x"`}, {in: `{"a":[1,]}`},
	{in: `{"a" 1}`}, {in: `{"a":1 "b":2}`}, {in: `{"a":1 /*x*/}`}, {in: "{\f\"a\":1}"}, {in: `{"a": [1, 2}`},
	{in: `{"a": {"b": 1]}`},
	{in: strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000)},
	{in: strings.Repeat(`{"a":`, 10001) + "1" + strings.Repeat("}", 10001)},
	{in: `{"a":` + strings.Repeat(`[`, 9999) + "1" + strings.Repeat("]", 9999) + "}"},
	{in: `{"a":` + strings.Repeat(`[`, 10000) + "1" + strings.Repeat("]", 10000) + "}"},
}

// sv accepts what sops accepts, but for the refusals parse documents.
func TestStrictnessAsSops(t *testing.T) {
	alice := fmttest.Load(t, "alice.agekey")
	dir := t.TempDir()
	for i, c := range strictness {
		_, svErr := Encrypt([]byte(c.in), alice.EncryptOpts())
		file := filepath.Join(dir, fmt.Sprintf("c%d.json", i))
		if err := os.WriteFile(file, []byte(c.in), 0o600); err != nil {
			t.Fatal(err)
		}
		_, _, sopsErr := fmttest.Sops(t, dir, alice.File, "encrypt", "--age", alice.Recipient.String, file)
		show := c.in[:min(len(c.in), 40)]
		switch {
		case c.refused && (svErr == nil || sopsErr != nil):
			t.Errorf("%q: sv error %v, sops error %v; want only sv to refuse it", show, svErr, sopsErr)
		case !c.refused && (svErr == nil) != (sopsErr == nil):
			t.Errorf("%q: sv error %v, sops error %v; want both to accept or both to refuse", show, svErr, sopsErr)
		}
	}
}

// A syntax error names the line and byte offset of the first wrong byte,
// never the text there.
func TestSyntaxErrorPlace(t *testing.T) {
	for _, c := range []struct {
		in         string
		line, off  int
		msg, never string
	}{
		{"{\n  \"pw\": s3cret\n}", 2, 10, "unexpected character looking for beginning of value", "'s'"},
		{"{\n  \"pw\": \"ab\x01\"\n}", 2, 13, "unexpected character in string literal", `\x01`},
		{"{\"a\": 1,\n \"pw\": 12x}", 2, 18, "unexpected character after object key:value pair", "'x'"},
		{"{\"a\": [1 '\"]}", 1, 9, "unexpected character after array element", `'\''`},
		{`{"pw": "se\cret"}`, 1, 11, "unexpected character in string escape code", "'c'"},
		{`{"pw": tr}`, 1, 9, "unexpected character in literal true (expecting 'u')", "'}'"},
		{"{\"a\": 1}\n[secret]", 2, 9, "text after the top-level object", "secret"},
		{"{\"a\": \"\\ud800secret\"}", 1, 6, "a \\u escape is an unpaired surrogate (not text; sops would change it)", "secret"},
		{"{\"a\": \"s\xffcret\"}", 1, 6, "invalid UTF-8 in a string", "cret"},
		{`{"a": "secret`, 1, 13, "unexpected end of input", "secret"},
	} {
		_, err := parse([]byte(c.in))
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("%q: error %v, want a SyntaxError", c.in, err)
			continue
		}
		if se.Line != c.line || se.Offset != c.off || se.Msg != c.msg {
			t.Errorf("%q: line %d offset %d %q, want line %d offset %d %q", c.in, se.Line, se.Offset, se.Msg, c.line, c.off, c.msg)
		}
		if strings.Contains(se.Msg, c.never) {
			t.Errorf("%q: the error %q names the text", c.in, se.Msg)
		}
	}
}

// sameTree reports where two parses differ: kinds, spans, keys, strings.
func sameTree(a, b *node, at string) error {
	if a.kind != b.kind || a.start != b.start || a.end != b.end || a.str != b.str ||
		len(a.members) != len(b.members) || len(a.items) != len(b.items) {
		return fmt.Errorf("%s: %+v, legacy %+v", at, *a, *b)
	}
	for i, m := range a.members {
		lm := b.members[i]
		if m.key != lm.key || m.keyStart != lm.keyStart || m.keyEnd != lm.keyEnd {
			return fmt.Errorf("%s: member %d key %q [%d,%d), legacy %q [%d,%d)", at, i, m.key, m.keyStart, m.keyEnd, lm.key, lm.keyStart, lm.keyEnd)
		}
		if err := sameTree(m.value, lm.value, at+"."+m.key); err != nil {
			return err
		}
	}
	for i, it := range a.items {
		if err := sameTree(it, b.items[i], fmt.Sprintf("%s[%d]", at, i)); err != nil {
			return err
		}
	}
	return nil
}

// matchLegacy checks that parse finds what the hand-written parser found:
// the same refusals (at the same line) and the same spans.
func matchLegacy(t *testing.T, in []byte) {
	t.Helper()
	got, err := parse(in)
	want, legacyErr := legacyParse(in)
	if (err == nil) != (legacyErr == nil) {
		t.Fatalf("%q: error %v, legacy error %v", in, err, legacyErr)
	}
	if err != nil {
		// The legacy parser read an escape's two bytes before it looked
		// at them: when the second is a line break, it named the next line.
		var se *SyntaxError
		var line int
		fmt.Sscanf(legacyErr.Error(), "line %d:", &line)
		if !errors.As(err, &se) || se.Line != line && !(se.Line == line-1 && in[se.Offset] == '\n') {
			t.Fatalf("%q: error %v, legacy error %v: not the same line", in, err, legacyErr)
		}
		return
	}
	if err := sameTree(got, want, "$"); err != nil {
		t.Fatalf("%q: %v", in, err)
	}
}

func locatorSeeds() [][]byte {
	seeds := fmttest.Seeds("testdata/*.json")
	for _, c := range strictness {
		seeds = append(seeds, []byte(c.in))
	}
	r := rand.New(rand.NewSource(2))
	for range 200 {
		seeds = append(seeds, []byte(genJSON(r)))
	}
	return append(seeds, largeJSON(64<<10))
}

func TestLocatorMatchesLegacy(t *testing.T) {
	for _, in := range locatorSeeds() {
		matchLegacy(t, in)
	}
	for _, s := range []string{"0", "-0", "1.5e-3", "1E+2", "12345678901234567890", "", "-", "01", "1.", ".5", "+1", " 1", "1 ", "1e", "0x1", "1_0", "NaN", "Inf", `"1"`, "[1]"} {
		if isNumber(s) != legacyIsNumber(s) {
			t.Errorf("isNumber(%q) = %v, legacy %v", s, isNumber(s), legacyIsNumber(s))
		}
	}
}

// FuzzLocatorMatchesLegacy: on any input, parse and the hand-written
// parser it replaced agree on refusals and spans, and isNumber agrees.
func FuzzLocatorMatchesLegacy(f *testing.F) {
	for _, in := range locatorSeeds() {
		if len(in) < 4<<10 {
			f.Add(in)
		}
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		matchLegacy(t, in)
		if s := string(in); isNumber(s) != legacyIsNumber(s) {
			t.Fatalf("isNumber(%q) = %v, legacy %v", s, isNumber(s), legacyIsNumber(s))
		}
	})
}
