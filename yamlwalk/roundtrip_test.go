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
	"github.com/sv-secrets/sv/internal/tooltest"
	"go.yaml.in/yaml/v3"
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

// corpusFiles lists the real-world values files of testdata/corpus (in
// the repository, so a plain clone has them) plus testdata/roundtrip/*.yaml
// if present. It fails the test if there are none.
func corpusFiles(t testing.TB) []string {
	t.Helper()
	root := tooltest.RepoRoot(t)
	files, _ := filepath.Glob(filepath.Join(root, "testdata", "corpus", "*.yaml"))
	local, _ := filepath.Glob(filepath.Join(root, "testdata", "roundtrip", "*.yaml"))
	files = append(files, local...)
	if len(files) == 0 {
		t.Fatal("no corpus files found in testdata/corpus")
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

// checkOnlyValueLines asserts that the encrypted text is the plaintext with
// only the lines of encrypted values replaced (each value by exactly one
// line: multi-line values collapse into one ENC line) and the sops block
// appended at the end.
func checkOnlyValueLines(t *testing.T, plain, enc []byte) {
	t.Helper()
	i := bytes.LastIndex(enc, []byte("\nsops:\n"))
	if i < 0 {
		t.Fatal("no sops block at the end")
	}
	f, err := Parse(plain)
	if err != nil {
		t.Fatal(err)
	}
	// The line ranges of the values that were encrypted, by first line.
	ranges := map[int]int{}
	err = f.walk(false, func(l *Leaf) error {
		if l.Node.Kind == yaml.AliasNode {
			// An alias of an encrypted value is written out on its line.
			ranges[l.Node.Line-1] = l.Node.Line - 1
			return nil
		}
		if l.Node.Value == "" {
			return nil
		}
		sp, err := f.leafSpan(l)
		if err != nil {
			return err
		}
		first := bytes.Count(plain[:sp.start], []byte("\n"))
		if sp.hdrEnd > 0 {
			// Block scalars keep their header line.
			first = bytes.Count(plain[:sp.hdrEnd], []byte("\n")) + 1
		}
		ranges[first] = bytes.Count(plain[:sp.end], []byte("\n"))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	pl := strings.Split(string(plain), "\n")
	el := strings.Split(string(enc[:i+1]), "\n")
	p, e := 0, 0
	for p < len(pl) && e < len(el) {
		if pl[p] == el[e] {
			p, e = p+1, e+1
			continue
		}
		last, ok := ranges[p]
		if !ok || !strings.Contains(el[e], "ENC[AES256_GCM,") {
			t.Fatalf("plaintext line %d changed without holding a value: %q -> %q", p+1, pl[p], el[e])
		}
		p, e = last+1, e+1
	}
	if p != len(pl) || e != len(el) {
		t.Fatalf("texts end differently: plaintext line %d of %d, encrypted line %d of %d", p, len(pl), e, len(el))
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
