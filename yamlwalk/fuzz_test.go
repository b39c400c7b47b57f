package yamlwalk

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/internal/tooltest"
	"go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"
)

// FuzzRoundTrip holds the walker to its contract on arbitrary input: no
// panics; whatever encrypts, decrypts, to exactly the input text unless
// Encrypt said a value's spelling would change, and always to the same
// values.
//
// Inputs that are sops files (the seeds in testdata/sops-seeds, written by
// the real sops 3.13.3 for testdata/keys/alice.agekey, and their
// mutations) go the other way, sops→sv: whatever sv decrypts must be valid
// YAML whose every value, read by yaml.v3 and by Helm's YAML 1.1 reader
// (sigs.k8s.io/yaml), is exactly the value sops stored (see
// checkSopsToSv).
func FuzzRoundTrip(f *testing.F) {
	sopsSeeds, _ := filepath.Glob("testdata/sops-seeds/*.sops.yaml")
	for _, s := range sopsSeeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	aliceFile := filepath.Join(tooltest.RepoRoot(f), "testdata", "keys", "alice.agekey")
	alice, err := crypt.LoadKeyring(crypt.Env{Getenv: func(k string) string {
		if k == "SOPS_AGE_KEY_FILE" {
			return aliceFile
		}
		return ""
	}})
	if err != nil {
		f.Fatal(err)
	}
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
		if bytes.Contains(src, []byte("ENC[AES256_GCM,")) && IsEncrypted(src) {
			checkSopsToSv(t, src, alice)
			return
		}
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

// checkSopsToSv holds sv's Decrypt to what sops stored in an encrypted
// file: if Decrypt accepts src (a MAC that does not verify, a value that
// does not authenticate or a refusal to write an inexact text are all fine
// answers to a mutated file), its text must be valid YAML under yaml.v3 and
// under sigs.k8s.io/yaml, and every document must hold exactly the values
// that sopsValues reads from src, in type and value (under the YAML 1.1
// reader, as JSON, which does not tell 1 from 1.0).
func checkSopsToSv(t *testing.T, src []byte, keys KeySource) {
	dec, err := Decrypt(src, DecryptOptions{Keys: keys})
	if err != nil {
		return
	}
	want, ok := sopsValues(src, dec.Key)
	if !ok {
		return // something sops would not read the same way
	}
	got, ok := sopsValues(dec.Text, nil)
	if !ok {
		var v any
		yd := yaml.NewDecoder(bytes.NewReader(dec.Text))
		for err == nil {
			err = yd.Decode(&v)
		}
		t.Fatalf("sv decrypted a sops file to text yaml.v3 does not read as plain values (%v)\ninput  %q\noutput %q", err, src, dec.Text)
	}
	if len(got) != len(want) {
		t.Fatalf("sv decrypted %d documents to %d\ninput  %q\noutput %q", len(want), len(got), src, dec.Text)
	}
	for i := range want {
		if !sameTyped(want[i], got[i]) {
			t.Fatalf("document %d: yaml.v3 reads other values than sops stored: %s\ninput  %q\noutput %q", i, typedDiff("", want[i], got[i]), src, dec.Text)
		}
	}
	texts := splitDocs(dec.Text)
	if len(texts) != len(want) {
		return // a "--- x" line: the documents cannot be told apart here
	}
	for i, text := range texts {
		j, err := sigsyaml.YAMLToJSON([]byte(text))
		if err != nil {
			t.Fatalf("document %d: Helm's YAML 1.1 reader rejects sv's output: %v\ninput  %q\noutput %q", i, err, src, dec.Text)
		}
		var g, w any
		wj, err := json.Marshal(jsonable(want[i]))
		if err != nil {
			return // NaN or Inf: no JSON for it
		}
		if json.Unmarshal(j, &g) != nil || json.Unmarshal(wj, &w) != nil {
			t.Fatalf("document %d: JSON does not decode", i)
		}
		if g == nil {
			g = map[string]any{}
		}
		if !reflect.DeepEqual(w, g) {
			t.Fatalf("document %d: Helm's YAML 1.1 reader reads other values than sops stored: %s\ninput  %q\noutput %q", i, typedDiff("", w, g), src, dec.Text)
		}
	}
}

// sopsValues reads a YAML stream the way sops reads its own files,
// independently of sv's decryption: with key, each ENC[AES256_GCM,…]
// scalar is decrypted with the AAD sops uses (the mapping keys on its path,
// each followed by ":") and typed by its type field; sequence items of
// type comment (sops's encrypted comments) are not values; other scalars
// are decoded by yaml.v3. The top-level "sops" key is dropped. Without key
// (nil), an ENC value is an error. ok is false for anything this reference
// does not model (aliases, merge keys, duplicate or non-scalar keys, tags,
// invalid YAML).
func sopsValues(b []byte, key []byte) (docs []any, ok bool) {
	var c *crypt.Cipher
	if key != nil {
		var err error
		if c, err = crypt.NewCipher(key); err != nil {
			return nil, false
		}
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for {
		var n yaml.Node
		if err := dec.Decode(&n); err != nil {
			if err.Error() == "EOF" {
				return docs, true
			}
			return nil, false
		}
		if len(n.Content) == 0 {
			docs = append(docs, map[string]any{})
			continue
		}
		v, ok := sopsNode(c, n.Content[0], nil, true)
		if !ok {
			return nil, false
		}
		if v == nil {
			v = map[string]any{}
		}
		docs = append(docs, v)
	}
}

func sopsNode(c *crypt.Cipher, n *yaml.Node, path []string, top bool) (any, bool) {
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || k.Value == "<<" || k.Anchor != "" || !strings.HasPrefix(k.Tag, "!!") {
				return nil, false
			}
			if top && k.Value == "sops" {
				continue
			}
			if _, dup := m[k.Value]; dup {
				return nil, false
			}
			v, ok := sopsNode(c, n.Content[i+1], append(path[:len(path):len(path)], k.Value), false)
			if !ok {
				return nil, false
			}
			m[k.Value] = v
		}
		return m, true
	case yaml.SequenceNode:
		s := []any{}
		for _, it := range n.Content {
			if it.Kind == yaml.ScalarNode && crypt.IsENC(it.Value) && strings.HasSuffix(strings.TrimSpace(it.Value), ",type:comment]") {
				continue
			}
			v, ok := sopsNode(c, it, path, false)
			if !ok {
				return nil, false
			}
			s = append(s, v)
		}
		return s, true
	case yaml.ScalarNode:
		if n.Anchor != "" || !strings.HasPrefix(n.Tag, "!!") {
			return nil, false
		}
		if !crypt.IsENC(n.Value) {
			var v any
			if n.Decode(&v) != nil {
				return nil, false
			}
			return v, true
		}
		if c == nil {
			return nil, false
		}
		pt, typ, err := c.Decrypt(n.Value, strings.Join(path, ":")+":")
		if err != nil {
			return nil, false
		}
		switch typ {
		case crypt.TypeStr:
			return string(pt), true
		case crypt.TypeInt:
			i, err := strconv.Atoi(string(pt))
			return i, err == nil
		case crypt.TypeFloat:
			f, err := strconv.ParseFloat(string(pt), 64)
			return f, err == nil
		case crypt.TypeBool:
			b, err := strconv.ParseBool(string(pt))
			return b, err == nil
		}
		return nil, false
	}
	return nil, false
}

// sameTyped compares decoded values in type and value (NaN equals NaN).
func sameTyped(a, b any) bool {
	if fa, ok := a.(float64); ok {
		fb, ok := b.(float64)
		return ok && (fa == fb || math.IsNaN(fa) && math.IsNaN(fb))
	}
	switch a := a.(type) {
	case map[string]any:
		bm, ok := b.(map[string]any)
		if !ok || len(bm) != len(a) {
			return false
		}
		for k, v := range a {
			if w, ok := bm[k]; !ok || !sameTyped(v, w) {
				return false
			}
		}
		return true
	case []any:
		bs, ok := b.([]any)
		if !ok || len(bs) != len(a) {
			return false
		}
		for i := range a {
			if !sameTyped(a[i], bs[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

// typedDiff names the first path where a and b differ, with both values.
func typedDiff(path string, a, b any) string {
	switch a := a.(type) {
	case map[string]any:
		bm, ok := b.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: mapping vs %T", path, b)
		}
		for k, v := range a {
			if w, ok := bm[k]; !ok {
				return fmt.Sprintf("%s.%s: missing", path, k)
			} else if d := typedDiff(path+"."+k, v, w); d != "" {
				return d
			}
		}
		for k := range bm {
			if _, ok := a[k]; !ok {
				return fmt.Sprintf("%s.%s: extra", path, k)
			}
		}
		return ""
	case []any:
		bs, ok := b.([]any)
		if !ok || len(bs) != len(a) {
			return fmt.Sprintf("%s: list of %d vs %#v", path, len(a), b)
		}
		for i := range a {
			if d := typedDiff(fmt.Sprintf("%s[%d]", path, i), a[i], bs[i]); d != "" {
				return d
			}
		}
		return ""
	}
	if !sameTyped(a, b) {
		return fmt.Sprintf("%s: want %T %#v, got %T %#v", path, a, a, b, b)
	}
	return ""
}

// jsonable makes a value encoding/json can marshal (yaml.v3 may decode
// mappings with non-string keys).
func jsonable(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[k] = jsonable(x)
		}
		return m
	case map[any]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[fmt.Sprint(k)] = jsonable(x)
		}
		return m
	case []any:
		s := make([]any, len(v))
		for i, x := range v {
			s[i] = jsonable(x)
		}
		return s
	}
	return v
}
