package yamlwalk

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/internal/benchgen"
)

// Every comment the real sops encrypts opens under the path sv derives from
// where the comment sits in sops's output, or one of its ancestors: no
// trial decryption over candidates for the files of the corpus.
func TestDerivedCommentPathsSops(t *testing.T) {
	alice := loadTestIdentity(t, "alice.agekey")
	for _, name := range corpusFiles(t) {
		t.Run(filepath.Base(name), func(t *testing.T) {
			src, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			enc := sopsEncrypted(t, src, alice.recipient.String)
			hits, misses := derivedCommentHits(t, enc, alice.keyring)
			sameAsCommentOrder(t, enc)
			t.Logf("%d comment(s) opened under the derived path, %d missed", hits, len(misses))
			if len(misses) > 0 {
				t.Errorf("comments that do not open under their derived path: %q", misses)
			}
			// sv's own encryption of comments binds them the same way.
			res, err := Encrypt(src, EncryptOptions{KeyGroups: [][]crypt.Recipient{{alice.recipient}}, EncryptComments: true})
			if err != nil {
				t.Fatal(err)
			}
			sameAsCommentOrder(t, res.Out)
			if _, misses := derivedCommentHits(t, res.Out, alice.keyring); len(misses) > 0 {
				t.Errorf("sv encrypt: comments that do not open under their derived path: %q", misses)
			}
		})
	}
}

// The generated benchmark file (a comment per service) needs no fallback.
func TestDerivedCommentPathsGenerated(t *testing.T) {
	r, kr := testKeys(t)
	res, err := Encrypt(benchgen.Values(2000), EncryptOptions{KeyGroups: [][]crypt.Recipient{{r}}, EncryptComments: true})
	if err != nil {
		t.Fatal(err)
	}
	hits, misses := derivedCommentHits(t, res.Out, kr)
	if len(misses) > 0 || hits != 201 {
		t.Errorf("%d hits, misses: %q", hits, misses)
	}
}

// derivedCommentHits counts the encrypted comments of an encrypted file that
// open under their derived path, and lists the others.
func derivedCommentHits(t *testing.T, enc []byte, kr *crypt.Keyring) (int, []string) {
	t.Helper()
	f, meta, err := parseEncrypted(enc, true)
	if err != nil {
		t.Fatal(err)
	}
	key, err := kr.DataKey(meta.KeyGroups, meta.ShamirThreshold)
	if err != nil {
		t.Fatal(err)
	}
	c, err := crypt.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	derived := f.derivedCommentPaths()
	hits := 0
	var misses []string
	for _, at := range encryptedCommentOffsets(f.src.b, nil) {
		end := contentEnd(f.src.b, at, f.src.lineEnd(at))
		text := string(f.src.b[at+1 : end])
		keys, found := derived[text]
		if found {
			if _, _, ok := decryptComment(c, f.realValue(text), ancestry(keys)); ok {
				hits++
				continue
			}
		}
		misses = append(misses, text[:min(len(text), 40)])
	}
	return hits, misses
}

// sameAsCommentOrder checks derivedCommentPaths against commentOrder, the
// emulation of sops's store that encryption uses: the same path for every
// encrypted comment commentOrder lists (and for the head comment of the
// sops key, which it leaves out, the document's).
func sameAsCommentOrder(t *testing.T, enc []byte) {
	t.Helper()
	f, _, err := parseEncrypted(enc, true)
	if err != nil {
		t.Fatal(err)
	}
	got := f.derivedCommentPaths()
	want := map[string][]string{}
	for _, ref := range f.commentOrder() {
		if text, ok := strings.CutPrefix(ref.text, "#"); ok && strings.HasPrefix(text, encPrefix) {
			want[text] = ref.keys
		}
	}
	for text, keys := range want {
		g, ok := got[text]
		if !ok || strings.Join(g, "\x00") != strings.Join(keys, "\x00") || (g == nil) != (len(keys) == 0) && len(keys) > 0 {
			t.Fatalf("%s: derived path %q, commentOrder %q", text, g, keys)
		}
	}
	for text, keys := range got {
		if _, ok := want[text]; !ok && keys != nil {
			t.Fatalf("%s: derived path %q for a comment commentOrder does not list", text, keys)
		}
	}
}
