package yamlwalk

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/sv-secrets/sv/crypt"
)

func TestKeepMetadataText(t *testing.T) {
	r, kr := testKeys(t)
	src := []byte("a: 1\nb:\n  c: secret\n")
	res, err := Encrypt(src, EncryptOptions{KeyGroups: [][]crypt.Recipient{{r}}, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	// Another tool's spelling of the block: deeper indentation of the
	// armored key, and an older version.
	prev := bytes.ReplaceAll(res.Out, []byte("\n        "), []byte("\n          "))
	prev = bytes.Replace(prev, []byte("version: "+FormatVersion), []byte("version: 3.9.0"), 1)
	dec, err := Decrypt(prev, DecryptOptions{Keys: kr})
	if err != nil {
		t.Fatalf("the re-spelled file does not decrypt: %v", err)
	}
	edited := bytes.Replace(dec.Text, []byte("secret"), []byte("changed"), 1)
	re, err := Reencrypt(edited, dec, EncryptOptions{Now: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	out := KeepMetadataText(prev, re.Out)
	if bytes.Equal(out, re.Out) {
		t.Fatal("KeepMetadataText kept nothing")
	}
	// Only c, lastmodified, mac and version differ from prev.
	pl, ol := strings.Split(string(prev), "\n"), strings.Split(string(out), "\n")
	if len(pl) != len(ol) {
		t.Fatalf("line count changed:\n%s", out)
	}
	for i := range pl {
		if pl[i] == ol[i] {
			continue
		}
		key, _, _ := strings.Cut(strings.TrimSpace(ol[i]), ":")
		switch key {
		case "c", "lastmodified", "mac", "version":
		default:
			t.Errorf("line %d changed: %q -> %q", i+1, pl[i], ol[i])
		}
	}
	back, err := Decrypt(out, DecryptOptions{Keys: kr})
	if err != nil || !bytes.Equal(back.Text, edited) {
		t.Fatalf("result does not decrypt to the edit: %v", err)
	}
	if back.Metadata.Version != FormatVersion {
		t.Errorf("version %s, want %s", back.Metadata.Version, FormatVersion)
	}

	// Different recipients: the new block stays as it was rendered.
	r2, _ := testKeys(t)
	other, err := Encrypt(src, EncryptOptions{KeyGroups: [][]crypt.Recipient{{r2}}, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if got := KeepMetadataText(prev, other.Out); !bytes.Equal(got, other.Out) {
		t.Error("KeepMetadataText spliced a block with other recipients")
	}
	if got := KeepMetadataText([]byte("a: 1\n"), re.Out); !bytes.Equal(got, re.Out) {
		t.Error("KeepMetadataText changed out for a plaintext prev")
	}
}
