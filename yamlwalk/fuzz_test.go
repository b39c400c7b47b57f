package yamlwalk

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/sv-secrets/sv/crypt"
	"go.yaml.in/yaml/v3"
)

// FuzzRoundTrip holds the walker to its contract on arbitrary input: no
// panics; whatever encrypts, decrypts, to exactly the input text unless
// Encrypt said a value's spelling would change, and always to the same
// values.
func FuzzRoundTrip(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/roundtrip-seeds/*.yaml")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		"a: 1\n", "a: [x, 'y', \"z\"]\n", "a: |\n  x\n  y\n", "a: >-\n  x\n  y\n",
		"a: &x v\nb: *x\n", "---\na: 1\n---\nb: 2\n", "a: \"multi\n  line\"\n",
		"a: plain\n  continued\n", "# c\na: 1 # i\n", "a: !!binary aGVsbG8=\n",
		"a: 2001-12-14\n", "a: .inf\n", "k: {x: 1, y: [2]}\n", "a:\n- b\n- c: d\n",
	} {
		f.Add([]byte(s))
	}
	r, kr := testKeys(f)
	f.Fuzz(func(t *testing.T, src []byte) {
		res, err := Encrypt(src, EncryptOptions{KeyGroups: [][]crypt.Recipient{{r}}})
		if err != nil {
			return
		}
		dec, err := Decrypt(res.Out, DecryptOptions{Keys: kr})
		if err != nil {
			t.Fatalf("decrypt of sv's own output failed: %v\ninput %q\noutput %q", err, src, res.Out)
		}
		if len(res.Respelled) == 0 && len(res.Warnings) == 0 && !bytes.Equal(dec.Text, src) {
			t.Fatalf("round trip changed the text\ninput  %q\noutput %q", src, dec.Text)
		}
		if !sameValues(src, dec.Text) {
			t.Fatalf("round trip changed the values\ninput  %q\noutput %q", src, dec.Text)
		}
	})
}

func sameValues(a, b []byte) bool {
	da, db := decodeAll(a), decodeAll(b)
	if da == nil || db == nil {
		return da == nil && db == nil
	}
	return yamlEqual(da, db)
}

func decodeAll(b []byte) []any {
	var out []any
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for {
		var v any
		if err := dec.Decode(&v); err != nil {
			if err.Error() == "EOF" {
				return out
			}
			return nil
		}
		out = append(out, normalizeFuzz(v))
	}
}

func normalizeFuzz(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			v[k] = normalizeFuzz(x)
		}
	case []any:
		for i, x := range v {
			v[i] = normalizeFuzz(x)
		}
	case int:
		return float64(v)
	case float64:
		if v != v {
			return "NaN"
		}
	}
	return v
}

func yamlEqual(a, b []any) bool {
	x, _ := yaml.Marshal(a)
	y, _ := yaml.Marshal(b)
	return bytes.Equal(x, y)
}
