package dotenv

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/sv-secrets/sv/formats/internal/fmttest"
)

func genEnv(r *rand.Rand) string {
	names := []string{"A", "DB_PASSWORD", "export API_KEY", "TOKEN_unencrypted", "URL", "EMPTY", "x", " SPACED "}
	values := []string{"", "plain", `"double # not comment"`, `'single=$x'`, "a b # comment", `line1\nline2`, "ünïcödé", `"\n"`, "=", "ENC-like", "`tick`", `"esc \" q"`}
	var lines []string
	seen := map[string]bool{}
	for n := 1 + r.Intn(8); n > 0; n-- {
		switch r.Intn(6) {
		case 0:
			lines = append(lines, "#"+[]string{" comment", "", "#double", " a=b"}[r.Intn(4)])
		case 1:
			lines = append(lines, "")
		default:
			k := names[r.Intn(len(names))]
			if seen[k] {
				continue
			}
			seen[k] = true
			lines = append(lines, k+"="+values[r.Intn(len(values))])
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

// Random files, both directions with the real sops.
func TestGeneratedInterop(t *testing.T) {
	if testing.Short() {
		t.Skip("runs sops many times")
	}
	alice := fmttest.Load(t, "alice.agekey")
	r := rand.New(rand.NewSource(15))
	dir := t.TempDir()
	for i := 0; i < 25; i++ {
		plain := []byte(genEnv(r))
		name := fmt.Sprintf("f%d.env", i)
		res, err := Encrypt(plain, alice.EncryptOpts())
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, plain)
		}
		d, err := Decrypt(res.Out, alice.DecryptOpts())
		if err != nil || string(d.Text) != string(plain) {
			t.Fatalf("%s: round trip %v\n%q\n%q", name, err, plain, d.Text)
		}
		out := alice.SopsDecrypt(t, dir, name, res.Out)
		if sopsView(out) != sopsView(plain) {
			t.Errorf("%s: sops reads sv's file as\n%s\nwant\n%s", name, out, plain)
		}
		sopsEnc := alice.SopsEncrypt(t, dir, "plain-"+name, plain)
		d2, err := Decrypt(sopsEnc, alice.DecryptOpts())
		if err != nil {
			t.Fatalf("%s: sv cannot read sops's file: %v", name, err)
		}
		sopsPlain := alice.SopsDecrypt(t, dir, name, sopsEnc)
		if string(d2.Text) != string(sopsPlain) {
			t.Errorf("%s: sv reads sops's file as\n%s\nsops:\n%s", name, d2.Text, sopsPlain)
		}
	}
}
