package secretfile

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/internal/parallel"
	"github.com/sv-secrets/sv/yamlwalk"
)

// RotateOptions are the caller's choices for RotateFile.
type RotateOptions struct {
	// Add (--add-age) are recipients to add to the first key group;
	// Remove (--rm-age) recipients to drop from every group.
	Add, Remove []string
	// Keys (required) opens the file's data key and parses recipients
	// (plugin recipients through its UI).
	Keys  *Keys
	Write WriteOptions
}

// Rotation is what RotateFile did, or got to before an error.
type Rotation struct {
	// Trusted is the recipients check (TrustedRecipients); nil if the
	// file was not opened.
	Trusted *Trusted
	// Removed are the recipients of RotateOptions.Remove the file had.
	Removed []string
	// Result is the re-encrypted file (its Warnings and Respelled for the
	// caller to report); nil if it was not made.
	Result *yamlwalk.Result
	// Groups are the recipients of the new data key, key group by key
	// group.
	Groups [][]string
}

// RotateFile re-encrypts file, read as src, under a new data key for its
// recipients adjusted by o (filtered by TrustedRecipients: only those the
// rule or o.Add names get the key) and writes it (Replace). Every value is
// verified on the way in, and the result decrypted again and compared
// before it is written. The result is not nil even with an error: it says
// how far the rotation got.
func RotateFile(file string, src []byte, o RotateOptions) (*Rotation, error) {
	r := &Rotation{}
	dec, err := DecryptAs(file, src, FormatAuto, yamlwalk.DecryptOptions{Keys: o.Keys})
	if err != nil {
		return r, err
	}
	meta := dec.Metadata
	if otherKeys(meta) {
		return r, fmt.Errorf("%w: use sops rotate", ErrOtherKeys)
	}
	groups := FileRecipients(meta)
	for i := range groups {
		groups[i] = slices.DeleteFunc(groups[i], func(rc string) bool {
			if slices.Contains(o.Remove, rc) {
				if !slices.Contains(r.Removed, rc) {
					r.Removed = append(r.Removed, rc)
				}
				return true
			}
			return false
		})
	}
	for _, a := range o.Add {
		if !slices.ContainsFunc(groups, func(g []string) bool { return slices.Contains(g, a) }) {
			groups[0] = append(groups[0], a)
		}
	}
	r.Trusted, err = TrustedRecipients(file, groups, o.Add)
	if err != nil {
		return r, err
	}
	groups = r.Trusted.Groups
	var (
		parsed [][]crypt.Recipient
		all    []crypt.Recipient
	)
	for i, g := range groups {
		if len(g) == 0 {
			if len(groups) == 1 {
				return r, errors.New("removing those recipients would leave the file with none")
			}
			return r, fmt.Errorf("removing those recipients would leave key group %d empty", i+1)
		}
		rs, err := o.Keys.ParseRecipients(g)
		if err != nil {
			return r, err
		}
		parsed = append(parsed, rs)
		all = append(all, rs...)
	}
	if err := crypt.CheckMix(all); err != nil {
		return r, err
	}
	thresh := 0
	if len(parsed) > 1 {
		thresh = meta.ShamirThreshold
	}
	res, err := rotated(file, src, dec, parsed, thresh)
	if err != nil {
		return r, err
	}
	r.Result = res
	if err := Replace(file, src, res.Out, o.Write); err != nil {
		return r, err
	}
	r.Groups = groups
	return r, nil
}

// rotated is src (opened as dec) encrypted again under a new data key for
// groups, checked.
func rotated(file string, src []byte, dec *yamlwalk.Decrypted, groups [][]crypt.Recipient, thresh int) (*yamlwalk.Result, error) {
	if f := FormatOf(file, src, FormatAuto); f != FormatYAML {
		return Rotate(f, src, dec, groups, thresh)
	}
	// The new data key is made here rather than inside Encrypt so the
	// result can be checked with it: no second unwrap (a second touch of a
	// hardware key), and a check even when the caller removed themselves.
	key, err := crypt.NewDataKey()
	if err != nil {
		return nil, err
	}
	wrapped, err := WrapKeyGroups(key, groups, thresh)
	if err != nil {
		return nil, err
	}
	meta := dec.Metadata
	fresh := dec.WithKey(key, &yamlwalk.Metadata{
		KeyGroups: wrapped, Grouped: len(wrapped) > 1, ShamirThreshold: thresh, Rules: meta.Rules, Version: yamlwalk.FormatVersion,
	})
	res, err := yamlwalk.Reencrypt(dec.Text, fresh, yamlwalk.EncryptOptions{Now: time.Now(), EncryptComments: CommentsEncrypted(src)})
	if err != nil {
		return nil, err
	}
	back, err := yamlwalk.Decrypt(res.Out, yamlwalk.DecryptOptions{Keys: FixedKey(key)})
	if err != nil {
		return nil, fmt.Errorf("the re-encrypted file does not decrypt; nothing written (please report this): %w", err)
	}
	if !bytes.Equal(back.Text, dec.Text) {
		return nil, errors.New("the re-encrypted file would not decrypt to the same text; nothing written (please report this)")
	}
	return res, nil
}

// RotatedFile is one file of a tree as RotateTree left it: Skipped, not
// read (Err, Rotation nil), or rotated (Err nil) or not (Err) as Rotation
// says.
type RotatedFile struct {
	TreeFile
	Rotation *Rotation
}

// RotateTree finds the files of paths (Walk, Tree), and reads and
// rotates them (ReadTreeFile, RotateFile) in parallel, handing each to
// emit in the order of the files as it goes. Only a failure to start is
// an error; each file's own is in its RotatedFile.
func RotateTree(paths []string, o RotateOptions, emit func(RotatedFile)) error {
	files, err := Walk(paths, Tree)
	if err != nil {
		return err
	}
	parallel.Ordered(len(files), 0, func(i int) RotatedFile {
		r := RotatedFile{TreeFile: ReadTreeFile(files[i])}
		if !r.Skipped && r.Err == nil {
			r.Rotation, r.Err = RotateFile(r.Path, r.Src, o)
		}
		return r
	}, func(_ int, r RotatedFile) { emit(r) })
	return nil
}
