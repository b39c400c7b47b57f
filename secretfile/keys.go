package secretfile

import (
	"sync"

	"filippo.io/age/plugin"
	"github.com/sv-secrets/sv/crypt"
)

// KeyEnv is what the caller gives Keys beyond the process environment:
// the terminal side (secretfile never prints or prompts) and an optional
// key file.
type KeyEnv struct {
	// PluginUI talks to age plugins (hardware keys); nil disables plugins.
	PluginUI *plugin.ClientUI
	// Passphrase asks for the passphrase of a protected identity file;
	// nil means such files fail with a clear error.
	Passphrase func(prompt string) ([]byte, error)
	// KeyFile, if set, stands in for SOPS_AGE_KEY_FILE (helm-secrets'
	// secrets+age-import://).
	KeyFile string
}

// Keys is the identities of the process, loaded from every standard
// source (sops's variables and default files) on first use and then
// kept: a command that never needs a key never loads one, and one that
// opens many files loads them once. It is a yamlwalk.KeySource; data
// keys are opened one at a time (see keyLock). Safe for concurrent use.
type Keys struct {
	env  crypt.Env
	once sync.Once
	kr   *crypt.Keyring
	err  error
}

// NewKeys returns the identities of the process environment with e's
// terminal side; nothing is loaded yet.
func NewKeys(e KeyEnv) *Keys {
	env := crypt.DefaultEnv()
	env.PluginUI, env.Passphrase = e.PluginUI, e.Passphrase
	if e.KeyFile != "" {
		get := env.Getenv
		env.Getenv = func(k string) string {
			if k == "SOPS_AGE_KEY_FILE" {
				return e.KeyFile
			}
			return get(k)
		}
	}
	return &Keys{env: env}
}

// Env is the identity environment Keys loads from.
func (k *Keys) Env() crypt.Env { return k.env }

// Keyring loads the identities (once; a failure is kept too).
func (k *Keys) Keyring() (*crypt.Keyring, error) {
	k.once.Do(func() { k.kr, k.err = crypt.LoadKeyring(k.env) })
	return k.kr, k.err
}

// DataKey opens a data key with the identities, loading them first if
// needed; one at a time (see keyLock).
func (k *Keys) DataKey(groups []crypt.KeyGroup, threshold int) ([]byte, error) {
	kr, err := k.Keyring()
	if err != nil {
		return nil, err
	}
	keyLock.Lock()
	defer keyLock.Unlock()
	return kr.DataKey(groups, threshold)
}

// ParseRecipients parses recipients as given on the command line or in
// .sops.yaml, age plugin recipients talking through Keys' PluginUI (a
// nil Keys has none).
func (k *Keys) ParseRecipients(rs []string) ([]crypt.Recipient, error) {
	if k == nil {
		return crypt.ParseRecipients(rs, nil)
	}
	return crypt.ParseRecipients(rs, k.env.PluginUI)
}

// keyLock serialises every use of identities and recipients while files
// are worked on in parallel: an encrypted ssh key asks for its passphrase
// on first use, and age plugins (hardware keys) talk to the terminal, so
// two files must never do it at once. Opening or wrapping a data key takes
// well under a millisecond; parsing and decrypting the values, the bulk of
// the work, run in parallel.
var keyLock sync.Mutex

// SerialKeys is a KeySource that opens data keys with kr one at a time
// (see keyLock), for a keyring loaded already and shared by workers.
type SerialKeys struct{ Keyring *crypt.Keyring }

// DataKey implements yamlwalk.KeySource.
func (s SerialKeys) DataKey(groups []crypt.KeyGroup, threshold int) ([]byte, error) {
	keyLock.Lock()
	defer keyLock.Unlock()
	return s.Keyring.DataKey(groups, threshold)
}

// WrapKeyGroups is crypt.WrapKeyGroups one at a time (see keyLock): an
// age plugin recipient may talk to the terminal.
func WrapKeyGroups(key []byte, groups [][]crypt.Recipient, threshold int) ([]crypt.KeyGroup, error) {
	keyLock.Lock()
	defer keyLock.Unlock()
	return crypt.WrapKeyGroups(key, groups, threshold)
}

// FixedKey is a KeySource that knows the data key already.
type FixedKey []byte

// DataKey implements yamlwalk.KeySource.
func (k FixedKey) DataKey([]crypt.KeyGroup, int) ([]byte, error) { return k, nil }
