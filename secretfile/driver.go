package secretfile

// git's diff driver (textconv) and merge driver for encrypted files.

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"

	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/gitmerge"
	"github.com/sv-secrets/sv/yamlwalk"
)

// TextconvFile is what git diff shows for file: its plaintext for those
// who hold a key; for the others, or with mask, a YAML file with each
// encrypted value replaced by a marker derived from its ciphertext (files
// of other formats: see Textconv; mask does not apply to them). It never
// fails: the fallback is the file's own bytes, and note, if not empty,
// says why.
func TextconvFile(file string, mask bool, keys *Keys) (out []byte, note string) {
	src, err := os.ReadFile(file)
	if err != nil {
		return nil, "cannot read the file: " + PathCause(err).Error()
	}
	if f := FormatOf(file, src, FormatAuto); f != FormatYAML {
		return Textconv(f, src, keys)
	}
	if !yamlwalk.IsEncrypted(src) {
		return src, ""
	}
	masked := func(why string) ([]byte, string) {
		m, err := yamlwalk.Mask(src)
		if err != nil {
			return src, "showing the raw file: " + err.Error()
		}
		return m, why
	}
	if mask {
		return masked("")
	}
	kr, err := keys.Keyring()
	if err != nil {
		return masked("showing encrypted values as markers: cannot load keys: " + err.Error())
	}
	dec, err := yamlwalk.Decrypt(src, yamlwalk.DecryptOptions{Keys: kr})
	if err != nil {
		var nk *crypt.NoKeyError
		if errors.As(err, &nk) {
			return masked("") // the normal case for reviewers without the key
		}
		return src, "showing the raw file: " + err.Error()
	}
	return dec.Text, ""
}

// ErrNotEncryptedMerge: neither ours nor theirs is encrypted, so the
// files are git's to merge as text (MergeText).
var ErrNotEncryptedMerge = errors.New("neither side is encrypted")

// MergeFiles is git's merge driver for the files base, ours and theirs
// (git's %O %A %B; name is the path in the repository, %P): the three
// versions decrypted in memory, merged value by value, and the merged file
// returned encrypted with the data key of ours (or of theirs, if only
// theirs changed the keys: see MergeKeys). A side that is not encrypted
// (the commit that first encrypted the file) takes part as plaintext; if
// neither ours nor theirs is, the error is ErrNotEncryptedMerge. Both
// sides changing one value differently is a *ConflictError. Nothing is
// written.
func MergeFiles(base, ours, theirs, name string, now time.Time, keys *Keys) ([]byte, error) {
	var src [3][]byte
	for i, f := range []string{base, ours, theirs} {
		b, err := Read(f)
		if err != nil {
			return nil, err
		}
		src[i] = b
	}
	if !IsEncrypted(name, src[1]) && !IsEncrypted(name, src[2]) {
		return nil, ErrNotEncryptedMerge
	}
	if f := FormatOf(name, src[1], FormatAuto); f != FormatYAML {
		return Merge(name, f, src[0], src[1], src[2], now, keys)
	}
	return mergeYAML(name, src, now, keys)
}

// mergeYAML is MergeFiles for YAML: gitmerge's structural merge, which
// keeps comments and layout.
func mergeYAML(name string, src [3][]byte, now time.Time, keys *Keys) ([]byte, error) {
	kr, err := keys.Keyring()
	if err != nil {
		return nil, fileError(name, err)
	}
	sides := [3]string{"base", "ours", "theirs"}
	var dec [3]*yamlwalk.Decrypted
	var text [3][]byte
	for _, i := range []int{1, 2, 0} { // ours first: its error is the one to see
		b := src[i]
		if !yamlwalk.IsEncrypted(b) {
			text[i] = b
			continue
		}
		d, err := yamlwalk.Decrypt(b, yamlwalk.DecryptOptions{Keys: kr})
		if err != nil {
			return nil, fileError(name+" ("+sides[i]+")", err)
		}
		dec[i], text[i] = d, d.Text
	}
	prev, err := MergeKeys(dec[0], dec[1], dec[2])
	if err != nil {
		return nil, fileError(name, err)
	}
	res, err := gitmerge.Merge(text[0], text[1], text[2])
	if err != nil {
		return nil, fileError(name, err)
	}
	if len(res.Conflicts) > 0 {
		return nil, &ConflictError{File: name, Paths: res.Paths()}
	}
	for _, d := range dec[1:] {
		if d != nil && d != prev {
			prev.ReuseCiphertexts(d)
		}
	}
	keySide := src[1]
	for i, d := range dec {
		if d != nil && d == prev {
			keySide = src[i]
		}
	}
	// As sv edit and sv set do: comments stay encrypted if they were, and
	// the sops: block keeps the text of the side whose keys the file gets.
	out, err := yamlwalk.Reencrypt(res.Text, prev, yamlwalk.EncryptOptions{Now: now, EncryptComments: CommentsEncrypted(keySide)})
	if err != nil {
		return nil, fileError(name, err)
	}
	return yamlwalk.KeepMetadataText(keySide, out.Out), nil
}

// MergeText merges plaintext files the way git's own text driver does
// (git merge-file, labels name, base and theirs), writing the result, with
// conflict markers if any, to ours; git's messages go to w. conflict
// reports markers written.
func MergeText(base, ours, theirs, name string, w io.Writer) (conflict bool, err error) {
	cmd := exec.Command("git", "merge-file", "-L", name, "-L", "base", "-L", "theirs", ours, base, theirs)
	cmd.Stdout, cmd.Stderr = w, w
	err = cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() > 0 && ee.ExitCode() < 128 {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("git merge-file: %w", err)
	}
	return false, nil
}
