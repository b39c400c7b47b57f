package yamlwalk

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/sv-secrets/sv/crypt"
	"go.yaml.in/yaml/v3"
	k8syaml "sigs.k8s.io/yaml"
)

// contexts are the positions the emitter writes values in.
var emitContexts = []scalarContext{
	{col: 0, unit: 2, eol: "\n"},
	{col: 4, unit: 4, eol: "\n"},
	{col: 2, unit: 2, eol: "\r\n"},
	{seqItem: true, col: 0, unit: 2, eol: "\n"},
	{seqItem: true, col: 4, unit: 4, eol: "\n"},
	{flow: true, eol: "\n"},
}

// readBoth reads the value at ctx's position in doc with yaml.v3 and with
// Helm's reader, independently of readsBack.
func readBoth(t *testing.T, doc string, ctx scalarContext) (v3 any, helm json.RawMessage) {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatalf("yaml.v3 cannot read %q: %v", doc, err)
	}
	v3 = m["k"]
	j, err := k8syaml.YAMLToJSON([]byte(doc))
	if err != nil {
		t.Fatalf("sigs.k8s.io/yaml cannot read %q: %v", doc, err)
	}
	var h map[string]json.RawMessage
	if err := json.Unmarshal(j, &h); err != nil {
		t.Fatal(err)
	}
	helm = h["k"]
	if ctx.flow || ctx.seqItem {
		l, ok := v3.([]any)
		if !ok || len(l) != 1 {
			t.Fatalf("yaml.v3 reads %q as %#v", doc, v3)
		}
		v3 = l[0]
		var hl []json.RawMessage
		if err := json.Unmarshal(helm, &hl); err != nil || len(hl) != 1 {
			t.Fatalf("Helm reads %q as %s", doc, helm)
		}
		helm = hl[0]
	}
	return v3, helm
}

func checkString(t *testing.T, s string, ctx scalarContext) string {
	t.Helper()
	text, err := spellString(s, ctx)
	if err != nil {
		t.Fatalf("spellString(%q, %+v): %v", s, ctx, err)
	}
	if strings.HasPrefix(text, "!!binary ") {
		return text
	}
	if strings.Contains(text, "\t") && isPlainText(text) {
		t.Fatalf("spellString(%q) = %q: a tab in a plain scalar", s, text)
	}
	doc := contextDoc(strings.ReplaceAll(text, "\r\n", "\n"), ctx)
	v3, helm := readBoth(t, doc, ctx)
	if got, ok := v3.(string); !ok || got != s {
		t.Fatalf("spellString(%q, %+v) = %q; yaml.v3 reads %#v", s, ctx, text, v3)
	}
	var hs string
	if err := json.Unmarshal(helm, &hs); err != nil || hs != s {
		t.Fatalf("spellString(%q, %+v) = %q; Helm reads %s", s, ctx, text, helm)
	}
	return text
}

func TestSpellString(t *testing.T) {
	ctx := scalarContext{col: 0, unit: 4, eol: "\n"}
	for _, c := range []struct{ in, want string }{
		{"plain", "plain"},
		{"off", `"off"`},
		{"y", `"y"`},
		{"No", `"No"`},
		{"~", `"~"`},
		{"1_000", `"1_000"`},
		{"012", `"012"`},
		{"2001-12-14", `"2001-12-14"`},
		{"1:20", "1:20"}, // Helm's reader has no base-60 numbers
		{"a\tb", `"a\tb"`},
		{"", `""`},
		{"  lead\nnext\n", "|4\n      lead\n    next"},
		{"x\n  y", "|-\n    x\n      y"},
		{"a: b", "'a: b'"},
		{"hello world", "hello world"},
		{"é", "é"},
	} {
		got := checkString(t, c.in, ctx)
		if got != c.want {
			t.Errorf("spellString(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	// Block indicators are relative to the parent: at column 4 the content
	// moves with it.
	got := checkString(t, "  lead\nnext\n", scalarContext{col: 4, unit: 4, eol: "\n"})
	if want := "|4\n          lead\n        next"; got != want {
		t.Errorf("at column 4: %q, want %q", got, want)
	}
}

func TestSpellFloat(t *testing.T) {
	ctx := scalarContext{unit: 2, eol: "\n"}
	for _, c := range []struct {
		pt, want string
	}{
		{"4.10", "4.10"},
		{"6.02e23", "6.02e23"},
		{"602000000000000000000000", "6.02e+23"},
		{"1", "1.0"},
		{"-2", "-2.0"},
		{"0.5", "0.5"},
		{"1e-07", "1e-07"},
	} {
		got, err := spellValue(crypt.TypeFloat, []byte(c.pt), ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("float %s: %q, want %q", c.pt, got, c.want)
		}
		f, _ := strconv.ParseFloat(c.pt, 64)
		v3, helm := readBoth(t, contextDoc(got, ctx), ctx)
		if g, ok := v3.(float64); !ok || g != f {
			t.Errorf("float %s spelled %q: yaml.v3 reads %#v", c.pt, got, v3)
		}
		var h float64
		if err := json.Unmarshal(helm, &h); err != nil || h != f {
			t.Errorf("float %s spelled %q: Helm reads %s", c.pt, got, helm)
		}
	}
	for _, f := range []float64{math.Inf(1), math.Inf(-1)} {
		got, _ := spellValue(crypt.TypeFloat, []byte(strconv.FormatFloat(f, 'f', -1, 64)), ctx)
		var v float64
		if err := yaml.Unmarshal([]byte(got), &v); err != nil || v != f {
			t.Errorf("%v spelled %q reads %v", f, got, v)
		}
	}
}

// FuzzSpell: whatever the string and wherever it goes, yaml.v3 and Helm's
// reader read back exactly that string, and the plainWord fast path only
// accepts what the full read-back accepts.
func FuzzSpell(f *testing.F) {
	for _, s := range []string{"off", "  lead\nnext\n", "a\tb", "\n", " ", "x: y", "#c", "0x1F", "6.02e23", "é\u2028x", "- a", "? x", "[a]", "'q'", "\"q\"", "\t\tx\n", "a\r\nb", "\u0085", "key=value", "C:\\dir"} {
		for i := range emitContexts {
			f.Add(s, uint8(i))
		}
	}
	f.Fuzz(func(t *testing.T, s string, ci uint8) {
		ctx := emitContexts[int(ci)%len(emitContexts)]
		checkString(t, s, ctx)
		if plainWord(s) && !readsBack(s, ctx, scalarValue{typ: crypt.TypeStr, s: s}) {
			t.Fatalf("plainWord(%q) but it does not read back plain", s)
		}
	})
}

// FuzzPlainDecimal: the float fast path agrees with the full read-back.
func FuzzPlainDecimal(f *testing.F) {
	for _, s := range []string{"4.10", "-0.5", "1.", ".5", "00.10", "1e3", "12345678901234567890.123"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !plainDecimal(s) {
			return
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("plainDecimal(%q) but ParseFloat fails", s)
		}
		for _, ctx := range emitContexts {
			if !readsBack(s, ctx, scalarValue{typ: crypt.TypeFloat, f: v}) {
				t.Fatalf("plainDecimal(%q) but it does not read back as %v", s, v)
			}
		}
	})
}
