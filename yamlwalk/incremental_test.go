package yamlwalk

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/sv-secrets/sv/crypt"
)

var encValueRe = regexp.MustCompile(`(?m)^(\s*[\w.-]+: ).*ENC\[AES256_GCM,[^\]]*\].*$`)

func TestIncrementalKeepsCiphertexts(t *testing.T) {
	r, kr := testKeys(t)
	src := []byte("# app\na: one\nb:\n  c: two # note\nd: [x, \"y\"]\n")
	first, err := Encrypt(src, EncryptOptions{KeyGroups: [][]crypt.Recipient{{r}}})
	if err != nil {
		t.Fatal(err)
	}
	// Nothing new: unchanged, not rewritten.
	again, err := Encrypt(first.Out, EncryptOptions{Keys: kr})
	if err != nil || again.Changed || !bytes.Equal(again.Out, first.Out) {
		t.Fatalf("re-encrypting an encrypted file changed it (err %v)", err)
	}
	// A plaintext value added: only it is new.
	added := bytes.Replace(first.Out, []byte("\nsops:"), []byte("\ne: three\nsops:"), 1)
	res, err := Encrypt(added, EncryptOptions{Keys: kr})
	if err != nil {
		t.Fatal(err)
	}
	if res.Encrypted != 1 {
		t.Fatalf("encrypted %d values, want 1", res.Encrypted)
	}
	for _, line := range encValueRe.FindAllString(string(first.Out), -1) {
		if strings.Contains(line, "mac:") {
			continue
		}
		if !bytes.Contains(res.Out, []byte(line)) {
			t.Fatalf("existing ciphertext line changed: %q", line)
		}
	}
	dec, err := Decrypt(res.Out, DecryptOptions{Keys: kr})
	if err != nil {
		t.Fatal(err)
	}
	if want := string(src) + "e: three\n"; string(dec.Text) != want {
		t.Fatalf("got %q", dec.Text)
	}
	// A plaintext value the rules leave unencrypted, added after the fact,
	// breaks the MAC: sv refuses to re-MAC a file it cannot verify.
	if _, err := Encrypt(bytes.Replace(first.Out, []byte("d: ["), []byte("d_unencrypted: changed\nd: ["), 1), EncryptOptions{Keys: kr}); err == nil {
		t.Fatal("added a value to a file whose MAC no longer matches")
	} else if _, ok := err.(*MACError); !ok {
		t.Fatalf("want MACError, got %v", err)
	}
}

func TestReencryptKeepsCommentCiphertexts(t *testing.T) {
	r, kr := testKeys(t)
	src := []byte("# who\na: one # inline\nb:\n  # nested\n  c: two\n")
	first, err := Encrypt(src, EncryptOptions{KeyGroups: [][]crypt.Recipient{{r}}, EncryptComments: true})
	if err != nil {
		t.Fatal(err)
	}
	dec, err := Decrypt(first.Out, DecryptOptions{Keys: kr})
	if err != nil {
		t.Fatal(err)
	}
	edited := bytes.Replace(dec.Text, []byte("c: two"), []byte("c: three"), 1)
	res, err := Reencrypt(edited, dec, EncryptOptions{EncryptComments: true})
	if err != nil {
		t.Fatal(err)
	}
	comments := regexp.MustCompile(`#ENC\[[^\]]*\]`)
	before, after := comments.FindAllString(string(first.Out), -1), comments.FindAllString(string(res.Out), -1)
	if len(before) != 3 || strings.Join(before, "\n") != strings.Join(after, "\n") {
		t.Fatalf("comment ciphertexts changed:\n%v\n%v", before, after)
	}
}
