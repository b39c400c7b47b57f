package jsonfile

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"reflect"
	"strings"
	"testing"

	"github.com/sv-secrets/sv/formats/internal/fmttest"
)

// genJSON writes a random JSON object in one of several layouts, with
// strings that need escapes, numbers of every spelling, booleans, nulls,
// empty values and nested arrays and objects.
func genJSON(r *rand.Rand) string {
	strs := []string{"plain", "café", "😀", "tab\there", "line\nbreak", `quote"d`, `back\slash`, "", "<&>", "ENC-like ENC[x]", "\u2028", "ctl\x01"}
	nums := []string{"0", "-0", "42", "-7", "1.5", "1.50", "1e3", "2.5E-3", "12345678901234567890", "-9223372036854775808", "0.1"}
	keys := []string{"a", "b", "password", "token_unencrypted", "nested", "list", "ключ", "k e y", "x.y"}
	indent := []string{"", "  ", "    ", "\t"}[r.Intn(4)]
	var val func(depth int, ind string) string
	obj := func(depth int, ind string) string {
		n := r.Intn(4)
		if depth == 0 {
			n++
		}
		if n == 0 {
			return "{}"
		}
		var parts []string
		seen := map[string]bool{}
		for i := 0; i < n; i++ {
			k := keys[r.Intn(len(keys))]
			if seen[k] {
				continue
			}
			seen[k] = true
			kj, _ := json.Marshal(k)
			parts = append(parts, string(kj)+": "+val(depth+1, ind+indent))
		}
		if indent == "" {
			return "{" + strings.Join(parts, ", ") + "}"
		}
		return "{\n" + ind + indent + strings.Join(parts, ",\n"+ind+indent) + "\n" + ind + "}"
	}
	val = func(depth int, ind string) string {
		switch c := r.Intn(10); {
		case depth > 3 || c < 4:
			s := strs[r.Intn(len(strs))]
			if r.Intn(3) == 0 {
				return quote(s, style(r.Intn(3)))
			}
			b, _ := json.Marshal(s)
			return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(b))
		case c < 6:
			return nums[r.Intn(len(nums))]
		case c < 7:
			return []string{"true", "false", "null"}[r.Intn(3)]
		case c < 8:
			n := r.Intn(3)
			var items []string
			for i := 0; i < n; i++ {
				items = append(items, val(depth+1, ind))
			}
			return "[" + strings.Join(items, ", ") + "]"
		}
		return obj(depth, ind)
	}
	out := obj(0, "")
	if r.Intn(2) == 0 {
		out += "\n"
	}
	return out
}

// Random files, both directions with the real sops: sv's file decrypts
// with sops to the same values, sops's file decrypts with sv to the same
// values, and sv's round trip is byte-identical.
func TestGeneratedInterop(t *testing.T) {
	if testing.Short() {
		t.Skip("runs sops many times")
	}
	alice := fmttest.Load(t, "alice.agekey")
	r := rand.New(rand.NewSource(15))
	dir := t.TempDir()
	for i := 0; i < 25; i++ {
		plain := []byte(genJSON(r))
		name := fmt.Sprintf("f%d.json", i)
		res, err := Encrypt(plain, alice.EncryptOpts())
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, plain)
		}
		d, err := Decrypt(res.Out, alice.DecryptOpts())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(res.Respelled) == 0 && string(d.Text) != string(plain) {
			t.Errorf("%s: round trip\n%s\n%s", name, plain, d.Text)
		}
		out := alice.SopsDecrypt(t, dir, name, res.Out)
		if !reflect.DeepEqual(semantic(t, out), semantic(t, plain)) {
			t.Errorf("%s: sops reads sv's file as\n%s\nwant\n%s", name, out, plain)
		}
		sopsEnc := alice.SopsEncrypt(t, dir, "plain-"+name, plain)
		d2, err := Decrypt(sopsEnc, alice.DecryptOpts())
		if err != nil {
			t.Fatalf("%s: sv cannot read sops's file: %v", name, err)
		}
		if !reflect.DeepEqual(semantic(t, d2.Text), semantic(t, plain)) {
			t.Errorf("%s: sv reads sops's file as\n%s\nwant\n%s", name, d2.Text, plain)
		}
	}
}
