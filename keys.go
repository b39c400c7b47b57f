package main

import (
	"errors"
	"fmt"
	"os"
	"sync"

	"filippo.io/age/plugin"
	"github.com/sv-secrets/sv/crypt"
	"golang.org/x/term"
)

// keyEnv is the identity environment of the process: sops's variables and
// default files, age plugins talking through the terminal, and passphrase
// prompts on /dev/tty.
func keyEnv() crypt.Env {
	env := crypt.DefaultEnv()
	env.PluginUI = plugin.NewTerminalUI(
		func(format string, v ...any) { fmt.Fprintf(os.Stderr, "sv: "+format+"\n", v...) },
		func(format string, v ...any) { warnf(os.Stderr, format, v...) },
	)
	env.Passphrase = readPassphrase
	return env
}

// loadKeyring loads identities from every standard source.
func loadKeyring() (*crypt.Keyring, error) {
	return crypt.LoadKeyring(keyEnv())
}

// keyLock serialises every use of identities and recipients while files
// are worked on in parallel: an encrypted ssh key asks for its passphrase
// on first use, and age plugins (hardware keys) talk to the terminal, so
// two files must never do it at once. Opening or wrapping a data key takes
// well under a millisecond; parsing and decrypting the values, the bulk of
// the work, run in parallel.
var keyLock sync.Mutex

// serialKeys is a KeySource that opens data keys with kr one at a time
// (see keyLock). The keyring is loaded once per command and shared.
type serialKeys struct{ kr *crypt.Keyring }

func (s serialKeys) DataKey(groups []crypt.KeyGroup, threshold int) ([]byte, error) {
	keyLock.Lock()
	defer keyLock.Unlock()
	return s.kr.DataKey(groups, threshold)
}

// wrapKeyGroups is crypt.WrapKeyGroups under keyLock: an age plugin
// recipient may talk to the terminal.
func wrapKeyGroups(key []byte, groups [][]crypt.Recipient, threshold int) ([]crypt.KeyGroup, error) {
	keyLock.Lock()
	defer keyLock.Unlock()
	return crypt.WrapKeyGroups(key, groups, threshold)
}

// readPassphrase prompts on the terminal, bypassing redirected stdio.
func readPassphrase(prompt string) ([]byte, error) {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil, errors.New("no terminal to ask for a passphrase on")
	}
	defer tty.Close()
	fmt.Fprintf(tty, "%s ", prompt)
	p, err := term.ReadPassword(int(tty.Fd()))
	fmt.Fprintln(tty)
	return p, err
}
