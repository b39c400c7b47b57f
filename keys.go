package main

import (
	"errors"
	"fmt"
	"os"

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
		func(format string, v ...any) { fmt.Fprintf(os.Stderr, "sv: warning: "+format+"\n", v...) },
	)
	env.Passphrase = readPassphrase
	return env
}

// loadKeyring loads identities from every standard source.
func loadKeyring() (*crypt.Keyring, error) {
	return crypt.LoadKeyring(keyEnv())
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
