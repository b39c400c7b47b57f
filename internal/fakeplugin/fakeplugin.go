// Package fakeplugin is an age plugin for tests, named "svtest": recipients
// age1svtest1… and identities AGE-PLUGIN-SVTEST-1… that a real age client
// (sv, sops, age) runs as the binary age-plugin-svtest through the age
// plugin protocol, the way it runs age-plugin-yubikey for a hardware key.
//
// Its payloads are ordinary X25519 keys, but its stanzas have the type
// "svtest", so only the plugin itself can open what it wrapped: a test that
// decrypts proves the plugin was used. While unwrapping it sends the client
// a message ("touch your key"), as hardware plugins do.
//
// It is for tests only and protects nothing.
package fakeplugin

import (
	"errors"
	"flag"
	"io"

	"filippo.io/age"
	"filippo.io/age/plugin"
)

// Name is the plugin's name: its binary is age-plugin-svtest.
const Name = "svtest"

// BinaryName is the executable name clients look for on PATH.
const BinaryName = "age-plugin-" + Name

// Message is what the plugin displays while unwrapping.
const Message = "svtest: touch your (fake) key"

// stanzaType replaces "X25519" in the plugin's stanzas.
const stanzaType = "svtest"

// Generate returns a new plugin identity and its recipient.
func Generate() (identity, recipient string, err error) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return "", "", err
	}
	return plugin.EncodeIdentity(Name, []byte(id.String())), plugin.EncodeRecipient(Name, []byte(id.Recipient().String())), nil
}

// Main runs the plugin protocol with args (without the program name) and
// returns the exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	p, err := plugin.New(Name)
	if err != nil {
		return 1
	}
	fs := flag.NewFlagSet(BinaryName, flag.ContinueOnError)
	fs.SetOutput(stderr)
	p.RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	p.SetIO(stdin, stdout, stderr)
	p.HandleRecipient(func(data []byte) (age.Recipient, error) {
		r, err := age.ParseX25519Recipient(string(data))
		if err != nil {
			return nil, errors.New("malformed svtest recipient")
		}
		return recipient{r}, nil
	})
	p.HandleIdentity(func(data []byte) (age.Identity, error) {
		id, err := age.ParseX25519Identity(string(data))
		if err != nil {
			return nil, errors.New("malformed svtest identity")
		}
		return identity{id: id, p: p}, nil
	})
	return p.Main()
}

type recipient struct{ r *age.X25519Recipient }

func (r recipient) Wrap(fileKey []byte) ([]*age.Stanza, error) {
	ss, err := r.r.Wrap(fileKey)
	if err != nil {
		return nil, err
	}
	for _, s := range ss {
		s.Type = stanzaType
	}
	return ss, nil
}

type identity struct {
	id *age.X25519Identity
	p  *plugin.Plugin
}

func (i identity) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	var ours []*age.Stanza
	for _, s := range stanzas {
		if s.Type == stanzaType {
			c := *s
			c.Type = "X25519"
			ours = append(ours, &c)
		}
	}
	if len(ours) == 0 {
		return nil, age.ErrIncorrectIdentity
	}
	if err := i.p.DisplayMessage(Message); err != nil {
		return nil, err
	}
	return i.id.Unwrap(ours)
}
