package secretfile

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/formats/binfile"
	"github.com/sv-secrets/sv/formats/dotenv"
	"github.com/sv-secrets/sv/formats/inifile"
	"github.com/sv-secrets/sv/formats/jsonfile"
	"github.com/sv-secrets/sv/yamlwalk"
)

// EncryptOptions are the caller's choices for Encrypt.
type EncryptOptions struct {
	// As is the input format (--input-type), FormatAuto to choose by
	// FormatOf; Output (--output-type), when set and another format,
	// converts the plaintext file to it (Convert) before encrypting, so
	// that the result is the sops file of that format.
	As, Output Format
	// IgnoreMAC adds values to an encrypted file whose MAC does not
	// verify.
	IgnoreMAC bool
	// EncryptComments encrypts comments too (--encrypt-comments); a
	// rule's sv_encrypt_comments does for a new file.
	EncryptComments bool
	// Rule resolves recipients and selection for a file not encrypted
	// yet (ResolveRule).
	Rule RuleOptions
	// Keys opens an encrypted file's data key, only when values are
	// added to it.
	Keys yamlwalk.KeySource
	// Now is the time recorded as lastmodified (time.Now if zero).
	Now time.Time
}

// EncryptResult is what Encrypt did; nothing is written.
type EncryptResult struct {
	// Result holds Out (the encrypted file), Changed (false: nothing to
	// encrypt, Out is the input), Encrypted (values encrypted), Warnings
	// and Respelled (paths whose text differs after decryption).
	*yamlwalk.Result
	// Src is the file as read, for a Replace of it.
	Src    []byte
	Format Format
	// Added are the values that were in plaintext in an already encrypted
	// file (now encrypted): someone without the key may have put them
	// there. Paths only.
	Added []string
	// RecipientsIgnored: the file was encrypted already, so the
	// recipients given in o.Rule.Recipients (non-nil: the flag was
	// given) were not used.
	RecipientsIgnored bool
	// Plan is how a new file was encrypted (nil for an encrypted one).
	Plan *Plan
}

// Encrypt encrypts file as sv encrypt does, for sv encrypt and helm
// secrets encrypt to write: in its format; a new file with the
// recipients, selection and sv_encrypt_comments of ResolveRule; an
// encrypted one by adding the values still in plaintext under its data
// key. Errors from the format are *FileError naming file; on such an
// error the result is not nil and holds Src (for explaining a MAC
// mismatch).
func Encrypt(file string, o EncryptOptions) (*EncryptResult, error) {
	src, err := Read(file)
	if err != nil {
		return nil, err
	}
	r := &EncryptResult{Src: src, Format: FormatOf(file, src, o.As)}
	plain := src
	if Converts(r.Format, o.Output) {
		if r.Format.IsEncrypted(src) {
			return nil, &FormatError{Msg: fmt.Sprintf("%s is already encrypted: --output-type converts a plaintext file", file),
				Hint: "decrypt it with --output-type " + string(o.Output) + ", then encrypt the result"}
		}
		if plain, err = Convert(src, r.Format, o.Output); err != nil {
			return nil, fileError(file, err)
		}
		r.Format = o.Output
	}
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	opt := yamlwalk.EncryptOptions{Keys: o.Keys, IgnoreMAC: o.IgnoreMAC, Now: now, EncryptComments: o.EncryptComments}
	if r.Format.IsEncrypted(src) {
		r.Added, _ = ValuePaths(src)
		r.RecipientsIgnored = o.Rule.Recipients != nil
	} else {
		if r.Plan, err = ResolveRule(file, o.Rule); err != nil {
			return nil, err
		}
		opt.Rules, opt.KeyGroups, opt.ShamirThreshold = r.Plan.Rules, r.Plan.KeyGroups, r.Plan.Threshold
		opt.EncryptComments = r.Plan.EncryptComments || o.EncryptComments
	}
	if r.Result, err = r.Format.Encrypt(plain, opt); err != nil {
		return r, fileError(file, err)
	}
	return r, nil
}

// Reencrypt encrypts plain, the edited plaintext of the encrypted file
// src (opened as dec), under the same data key and metadata; unchanged
// values keep their ciphertext (sv edit, set, the merge driver).
func Reencrypt(file string, src, plain []byte, dec *yamlwalk.Decrypted, opt yamlwalk.EncryptOptions) (*yamlwalk.Result, error) {
	switch FormatOf(file, src, FormatAuto) {
	case FormatJSON:
		return jsonfile.Reencrypt(src, plain, dec.Key, opt)
	case FormatDotenv:
		return dotenv.Reencrypt(src, plain, dec.Key, opt)
	case FormatINI:
		return inifile.Reencrypt(src, plain, dec.Key, opt)
	case FormatBinary:
		return binfile.Reencrypt(src, plain, dec.Key, opt)
	}
	return yamlwalk.Reencrypt(plain, dec, opt)
}

// Rotate is rotate for JSON, dotenv, INI and binary files: the plaintext
// of src (opened as dec) encrypted again, under a new data key, for
// groups, with the file's rules; Encrypt checks its own output.
func Rotate(f Format, src []byte, dec *yamlwalk.Decrypted, groups [][]crypt.Recipient, thresh int) (*yamlwalk.Result, error) {
	rules := dec.Metadata.Rules
	if f == FormatBinary {
		rules = yamlwalk.Rules{}
	}
	opt := yamlwalk.EncryptOptions{Rules: rules, KeyGroups: groups, ShamirThreshold: thresh, Now: time.Now(),
		EncryptComments: CommentsEncrypted(src)}
	// Wrapping touches the recipients' keys (plugins, hardware): one file
	// at a time, as WrapKeyGroups does.
	keyLock.Lock()
	defer keyLock.Unlock()
	res, err := f.Encrypt(dec.Text, opt)
	if err != nil {
		return nil, err
	}
	if f == FormatINI {
		res.Warnings = nil // the plaintext is in the INI layout already
	}
	return res, nil
}

// ReplaceKeys is updatekeys for JSON, dotenv, INI and binary files: src's
// data key (opened with keys) wrapped for groups in a new metadata block
// (meta, src's own, with the new groups), values, MAC and lastmodified
// untouched, checked by decrypting the result with the same data key. It
// returns the new file.
func ReplaceKeys(f Format, src []byte, meta *yamlwalk.Metadata, groups [][]crypt.Recipient, thresh int, keys yamlwalk.KeySource) ([]byte, error) {
	dec, err := f.Decrypt(src, yamlwalk.DecryptOptions{Keys: keys})
	if err != nil {
		return nil, err
	}
	wrapped, err := WrapKeyGroups(dec.Key, groups, thresh)
	if err != nil {
		return nil, err
	}
	m := *meta
	m.KeyGroups, m.Grouped, m.ShamirThreshold = wrapped, len(wrapped) > 1, thresh
	if f == FormatBinary {
		m.Rules = yamlwalk.Rules{} // sops writes none for a binary file
	}
	var out []byte
	switch f {
	case FormatJSON:
		out, err = jsonfile.ReplaceMetadata(src, &m)
	case FormatDotenv:
		out, err = dotenv.ReplaceMetadata(src, &m)
	case FormatINI:
		out, err = inifile.ReplaceMetadata(src, &m)
	case FormatBinary:
		out, err = binfile.ReplaceMetadata(src, &m)
	default:
		return nil, fmt.Errorf("updatekeys: unexpected format %s", f)
	}
	if err != nil {
		return nil, err
	}
	back, err := f.Decrypt(out, yamlwalk.DecryptOptions{Keys: FixedKey(dec.Key)})
	if err != nil {
		return nil, fmt.Errorf("the rewritten file does not decrypt; nothing written (please report this): %w", err)
	}
	if !bytes.Equal(back.Text, dec.Text) || back.Metadata.MAC != meta.MAC || back.Metadata.LastModified != meta.LastModified {
		return nil, errors.New("the rewritten file changed values or its mac; nothing written (please report this)")
	}
	return out, nil
}
