package yamlwalk

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/sv-secrets/sv/crypt"
)

// testKeys returns a fresh identity, its recipient and a keyring holding it.
func testKeys(t testing.TB) (crypt.Recipient, *crypt.Keyring) {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	r, err := crypt.ParseRecipient(id.Recipient().String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	kr, err := crypt.LoadKeyring(crypt.Env{Getenv: func(k string) string {
		if k == "SOPS_AGE_KEY" {
			return id.String()
		}
		return ""
	}})
	if err != nil {
		t.Fatal(err)
	}
	return r, kr
}

func corpusFiles(t testing.TB) []string {
	t.Helper()
	files, _ := filepath.Glob("../../shared/corpus/*.yaml")
	local, _ := filepath.Glob("../testdata/roundtrip/*.yaml")
	files = append(files, local...)
	if len(files) == 0 {
		t.Fatal("no corpus files found")
	}
	return files
}

func TestCorpusRoundTrip(t *testing.T) {
	r, kr := testKeys(t)
	for _, name := range corpusFiles(t) {
		t.Run(filepath.Base(name), func(t *testing.T) {
			src, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Encrypt(src, EncryptOptions{KeyGroups: [][]crypt.Recipient{{r}}, Now: time.Now()})
			if err != nil {
				t.Fatalf("encrypt: %v", err)
			}
			if len(res.Respelled) > 0 {
				t.Logf("respelled: %v", res.Respelled)
			}
			checkOnlyValueLines(t, src, res.Out)
			dec, err := Decrypt(res.Out, DecryptOptions{Keys: kr})
			if err != nil {
				t.Fatalf("decrypt: %v", err)
			}
			if !bytes.Equal(dec.Text, src) {
				diffLines(t, src, dec.Text)
			}
		})
	}
}

// checkOnlyValueLines asserts that the encrypted text equals the plaintext
// outside value lines: same number of lines before the sops block (unless
// multi-line values collapsed), and every differing line holds ENC[.
func checkOnlyValueLines(t *testing.T, plain, enc []byte) {
	t.Helper()
	i := bytes.LastIndex(enc, []byte("\nsops:\n"))
	if i < 0 {
		t.Fatal("no sops block at the end")
	}
	pl := strings.Split(string(plain), "\n")
	el := strings.Split(string(enc[:i+1]), "\n")
	if len(pl) != len(el) {
		t.Logf("line count changed: %d -> %d (multi-line values collapsed)", len(pl), len(el))
		return
	}
	for k := range pl {
		if pl[k] != el[k] && !strings.Contains(el[k], "ENC[AES256_GCM,") {
			t.Fatalf("line %d changed without a value: %q -> %q", k+1, pl[k], el[k])
		}
	}
}

func diffLines(t *testing.T, want, got []byte) {
	t.Helper()
	wl := strings.Split(string(want), "\n")
	gl := strings.Split(string(got), "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			t.Fatalf("round trip differs at line %d:\nwant %q\ngot  %q", i+1, w, g)
		}
	}
	t.Fatal("round trip differs")
}
