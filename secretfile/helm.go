package secretfile

import (
	"github.com/sv-secrets/sv/helmplugin"
	"github.com/sv-secrets/sv/yamlwalk"
)

// HelmOptions are the choices of the Helm plugin's reads (the downloader
// and `helm secrets decrypt`).
type HelmOptions struct {
	// Settings are helm-secrets' variables and options (path policy,
	// size limit, --ignore-mac of the backend arguments …).
	Settings helmplugin.Settings
	// KeyEnv is the terminal side of the identities; the key file of a
	// secrets+age-import:// URL is set as its KeyFile.
	KeyEnv KeyEnv
	// IgnoreMAC skips the MAC check (Settings.Backend.IgnoreMAC does too).
	IgnoreMAC bool
}

// HelmText is a document read for Helm.
type HelmText struct {
	// Name is how messages name the document: the file, the URL without
	// credentials, or "secrets+literal value".
	Name string
	// Text is what Helm (or standard output) gets.
	Text []byte
	// Src is the document as read, for explaining a MAC mismatch.
	Src []byte
	// Remote: Name is a URL.
	Remote bool
	// Decrypted: a data key was opened; Warnings and Metadata are the
	// decryption's.
	Decrypted bool
	Warnings  []string
	Metadata  *yamlwalk.Metadata
}

// HelmFetch is the downloader Helm runs for a secrets:// URL (see
// helmplugin.Downloader.Fetch): the plaintext of href, decrypted in
// memory. On an error after decryption the result is not nil and holds
// the decryption's warnings.
func HelmFetch(href string, o HelmOptions) (*HelmText, error) {
	t := &HelmText{}
	out, err := o.downloader(t).Fetch(href)
	t.Text = out
	return t, err
}

// HelmDecrypt is `helm secrets decrypt FILE` (fa.File): the plaintext of
// a local file, or of an http(s) or getter URL fetched in memory under the
// downloader's policy; in fa's --input-type, converted to its
// --output-type, its --extract applied. Errors name the file (the URL
// without credentials); on an error the result, if not nil, holds Src.
func HelmDecrypt(fa *helmplugin.FileArgs, o HelmOptions) (*HelmText, error) {
	as, err := ParseFormat(fa.InputType)
	if err != nil {
		return nil, err
	}
	output, err := ParseFormat(fa.OutputType)
	if err != nil {
		return nil, err
	}
	o.IgnoreMAC = o.IgnoreMAC || fa.IgnoreMAC
	file := fa.File
	t := &HelmText{Name: file, Remote: helmplugin.LocationScheme(file) != ""}
	if t.Remote {
		t.Name = helmplugin.RedactURL(file)
		src, err := o.downloader(t).ReadURL(file)
		if err != nil {
			return nil, err
		}
		if !helmplugin.LooksEncrypted(src) {
			return nil, WithFile(t.Name, yamlwalk.ErrNotEncrypted)
		}
		t.Src = src
	} else {
		src, err := Read(file)
		if err != nil {
			return nil, err
		}
		t.Src = src
	}
	format := FormatOf(t.Name, t.Src, as)
	dec, err := o.decrypt(t, t.Name, t.Src, "", format)
	if err != nil {
		return t, err
	}
	t.Text = dec.Text
	if Converts(format, output) {
		if t.Text, err = Convert(t.Text, format, output); err != nil {
			return t, WithFile(t.Name, err)
		}
		format = output
	}
	if fa.Extract != "" {
		if t.Text, err = Extract(format, t.Text, fa.Extract); err != nil {
			return t, WithFile(t.Name, err)
		}
	}
	return t, nil
}

// HelmEncrypt is `helm secrets encrypt FILE` (fa.File): Encrypt with
// fa's options; envRecipients is SOPS_AGE_RECIPIENTS. The result is
// Encrypt's; nothing is written.
func HelmEncrypt(fa *helmplugin.FileArgs, envRecipients string, keys *Keys) (*EncryptResult, error) {
	o := EncryptOptions{IgnoreMAC: fa.IgnoreMAC, EncryptComments: fa.EncryptComments, Keys: keys,
		Rule: HelmRule(fa, envRecipients, keys)}
	var err error
	if o.As, err = ParseFormat(fa.InputType); err != nil {
		return nil, err
	}
	if o.Output, err = ParseFormat(fa.OutputType); err != nil {
		return nil, err
	}
	return Encrypt(fa.File, o)
}

// HelmRule is ResolveRule's options from fa (--age, --config, the
// selection options) for a new file; envRecipients is SOPS_AGE_RECIPIENTS.
func HelmRule(fa *helmplugin.FileArgs, envRecipients string, keys *Keys) RuleOptions {
	return RuleOptions{Recipients: fa.Age, EnvRecipients: envRecipients, Config: fa.Config,
		Selection: fa.Selection, MACOnlyEncrypted: fa.MACOnlyEncrypted, Keys: keys}
}

// downloader is helmplugin's downloader decrypting with o's keys into t.
func (o HelmOptions) downloader(t *HelmText) *helmplugin.Downloader {
	return &helmplugin.Downloader{
		Settings: o.Settings,
		HelmGet:  helmplugin.HelmGetter(helmplugin.HelmBinary("")),
		Decrypt: func(name string, src []byte, keyFile string) ([]byte, error) {
			t.Name, t.Src = name, src
			dec, err := o.decrypt(t, name, src, keyFile, FormatAuto)
			if err != nil {
				return nil, err
			}
			return dec.Text, nil
		},
	}
}

// decrypt opens src, named name, with the identities of the process, or
// those of keyFile in place of SOPS_AGE_KEY_FILE (secrets+age-import://,
// as in helm-secrets), recording the outcome in t.
func (o HelmOptions) decrypt(t *HelmText, name string, src []byte, keyFile string, as Format) (*yamlwalk.Decrypted, error) {
	env := o.KeyEnv
	if keyFile != "" {
		env.KeyFile = keyFile
	}
	dec, err := Decrypt(name, src, DecryptOptions{As: as, IgnoreMAC: o.IgnoreMAC || o.Settings.Backend.IgnoreMAC, Keys: NewKeys(env)})
	if err != nil {
		return nil, err
	}
	t.Decrypted, t.Warnings, t.Metadata = true, dec.Warnings, dec.Metadata
	return dec, nil
}
