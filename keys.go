package main

import (
	"errors"
	"fmt"
	"os"

	"filippo.io/age/plugin"
	"github.com/sv-secrets/sv/secretfile"
	"golang.org/x/term"
)

// keyEnv is the terminal side of the process's identities: age plugins
// talking through the terminal, and passphrase prompts on /dev/tty.
func keyEnv() secretfile.KeyEnv {
	return secretfile.KeyEnv{
		PluginUI: plugin.NewTerminalUI(
			func(format string, v ...any) { fmt.Fprintf(os.Stderr, "sv: "+format+"\n", v...) },
			func(format string, v ...any) { warnf(os.Stderr, format, v...) },
		),
		Passphrase: readPassphrase,
	}
}

// newKeys is the identities of the process, loaded on first use; a
// command makes one and shares it.
func newKeys() *secretfile.Keys { return secretfile.NewKeys(keyEnv()) }

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
