package secretfile

// The merge driver's value-by-value merge of encrypted files.

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sv-secrets/sv/formats/binfile"
	"github.com/sv-secrets/sv/formats/dotenv"
	"github.com/sv-secrets/sv/formats/inifile"
	"github.com/sv-secrets/sv/formats/jsonfile"
	"github.com/sv-secrets/sv/formats/sopsfile"
	"github.com/sv-secrets/sv/yamlwalk"
)

// ConflictError is a merge that needs a person: both sides changed the
// values at Paths (paths only, never values).
type ConflictError struct {
	File  string
	Paths []string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%s: conflicting changes to %s", e.File, ListPaths(e.Paths, 10))
}

// ListPaths joins up to max paths for a message, saying how many more
// there are.
func ListPaths(paths []string, max int) string {
	if len(paths) <= max {
		return strings.Join(paths, ", ")
	}
	return strings.Join(paths[:max], ", ") + fmt.Sprintf(" and %d more", len(paths)-max)
}

// Merge is the merge driver for JSON, dotenv, INI and binary files: the
// three versions decrypted in memory, merged value by value
// (sopsfile.Merge3; a binary file is one value, so only one side may
// change it), and encrypted again under the key side's data key,
// unchanged values keeping its ciphertexts.
func Merge(name string, f Format, base, ours, theirs []byte, now time.Time, keys *Keys) ([]byte, error) {
	var values func([]byte) (*sopsfile.Doc, error)
	switch f {
	case FormatJSON:
		values = jsonfile.Values
	case FormatDotenv:
		values = dotenv.Values
	case FormatINI:
		values = inifile.Values
	case FormatBinary:
		values = binfile.Values
	default:
		return nil, fileError(name, fmt.Errorf("%s files are not merged value by value; merge it by hand", f))
	}
	kr, err := keys.Keyring()
	if err != nil {
		return nil, fileError(name, err)
	}
	sides := [3]string{"base", "ours", "theirs"}
	src := [3][]byte{base, ours, theirs}
	var dec [3]*yamlwalk.Decrypted
	var docs [3]*sopsfile.Doc
	for _, i := range []int{1, 2, 0} {
		text := src[i]
		if f.IsEncrypted(src[i]) {
			d, err := f.Decrypt(src[i], yamlwalk.DecryptOptions{Keys: kr})
			if err != nil {
				return nil, fileError(name+" ("+sides[i]+")", err)
			}
			dec[i], text = d, d.Text
		}
		if i == 0 && len(bytes.TrimSpace(text)) == 0 {
			docs[i] = &sopsfile.Doc{}
			continue
		}
		if docs[i], err = values(text); err != nil {
			return nil, fileError(name+" ("+sides[i]+")", err)
		}
	}
	prev, err := MergeKeys(dec[0], dec[1], dec[2])
	if err != nil {
		return nil, fileError(name, err)
	}
	merged, err := sopsfile.Merge3(docs[0], docs[1], docs[2])
	if err != nil {
		var ce *sopsfile.ConflictError
		if errors.As(err, &ce) {
			return nil, &ConflictError{File: name, Paths: ce.Paths}
		}
		return nil, fileError(name, err)
	}
	keySide := src[1]
	for i, d := range dec {
		if d != nil && d == prev {
			keySide = src[i]
		}
	}
	res, err := Reencrypt(name, keySide, merged, prev, yamlwalk.EncryptOptions{Now: now, EncryptComments: CommentsEncrypted(keySide)})
	if err != nil {
		return nil, fileError(name, err)
	}
	return res.Out, nil
}

// MergeKeys picks whose data key and key groups the merged file gets:
// ours, unless only theirs changed them relative to base (updatekeys or a
// rotation on their branch, which the merge must keep).
func MergeKeys(base, ours, theirs *yamlwalk.Decrypted) (*yamlwalk.Decrypted, error) {
	switch {
	case ours == nil:
		return theirs, nil
	case theirs == nil || base == nil:
		return ours, nil
	}
	oursChanged, theirsChanged := !SameKeys(base, ours), !SameKeys(base, theirs)
	switch {
	case theirsChanged && !oursChanged:
		return theirs, nil
	case theirsChanged && oursChanged && !SameKeys(ours, theirs):
		return nil, errors.New("both sides changed the file's recipients, data key or encryption rules; merge those by hand")
	}
	return ours, nil
}

// SameKeys reports whether a and b have the same data key, encryption
// rules, and recipients and threshold (SameRecipients: the comparison
// status, check and updatekeys make).
func SameKeys(a, b *yamlwalk.Decrypted) bool {
	if !bytes.Equal(a.Key, b.Key) {
		return false
	}
	ra, rb := a.Metadata.Rules, b.Metadata.Rules
	if ra.UnencryptedSuffix != rb.UnencryptedSuffix || ra.EncryptedSuffix != rb.EncryptedSuffix ||
		ra.UnencryptedRegex != rb.UnencryptedRegex || ra.EncryptedRegex != rb.EncryptedRegex ||
		ra.UnencryptedCommentRegex != rb.UnencryptedCommentRegex || ra.EncryptedCommentRegex != rb.EncryptedCommentRegex ||
		ra.MACOnlyEncrypted != rb.MACOnlyEncrypted {
		return false
	}
	return SameRecipients(a.Metadata, b.Metadata)
}
