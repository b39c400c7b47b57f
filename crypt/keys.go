package crypt

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"filippo.io/age/armor"
	"filippo.io/age/plugin"
	"github.com/google/shlex"
	"golang.org/x/crypto/ssh"
)

// Env is where identities come from. The zero value is not useful; use
// DefaultEnv.
type Env struct {
	Getenv    func(string) string
	Home      string // home directory, for ~/.ssh
	ConfigDir string // user config dir, for sops/age/keys.txt
	// PluginUI talks to age plugins (hardware keys); nil disables plugins.
	PluginUI *plugin.ClientUI
	// Passphrase asks for the passphrase of a protected identity file; nil
	// means there is no way to ask and such files fail with a clear error.
	Passphrase func(prompt string) ([]byte, error)
}

// DefaultEnv reads the process environment the way sops does.
func DefaultEnv() Env {
	home, _ := os.UserHomeDir()
	cfg := os.Getenv("XDG_CONFIG_HOME")
	if cfg == "" {
		if runtime.GOOS == "linux" || runtime.GOOS == "darwin" {
			if runtime.GOOS == "darwin" {
				cfg, _ = os.UserConfigDir()
			} else if home != "" {
				cfg = filepath.Join(home, ".config")
			}
		} else {
			cfg, _ = os.UserConfigDir()
		}
	}
	return Env{Getenv: os.Getenv, Home: home, ConfigDir: cfg}
}

// Keyring holds the identities found in an Env, and remembers where it
// looked so a failure can say so.
type Keyring struct {
	env    Env
	ids    []age.Identity
	places []string
	cmd    string
}

// DefaultKeysFile returns the sops default identity file for env.
func (e Env) DefaultKeysFile() string {
	if e.ConfigDir == "" {
		return ""
	}
	return filepath.Join(e.ConfigDir, "sops", "age", "keys.txt")
}

// LoadKeyring gathers identities from every source sops reads, in sops's
// order: SOPS_AGE_SSH_PRIVATE_KEY_FILE, ~/.ssh/id_ed25519 and ~/.ssh/id_rsa,
// SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY_CMD (run lazily, per
// recipient) and <config dir>/sops/age/keys.txt. A source that is named
// explicitly but broken is an error; absent default files are not.
//
// The process becomes non-dumpable first (Linux): see noCoreDumps.
func LoadKeyring(env Env) (*Keyring, error) {
	noCoreDumps()
	k := &Keyring{env: env}
	get := env.Getenv
	if get == nil {
		get = func(string) string { return "" }
	}
	if f := get("SOPS_AGE_SSH_PRIVATE_KEY_FILE"); f != "" {
		id, err := k.loadSSH(f)
		if err != nil {
			return nil, fmt.Errorf("SOPS_AGE_SSH_PRIVATE_KEY_FILE: %w", err)
		}
		k.add("SOPS_AGE_SSH_PRIVATE_KEY_FILE="+f, id)
	} else {
		k.places = append(k.places, "SOPS_AGE_SSH_PRIVATE_KEY_FILE (unset)")
	}
	if env.Home != "" {
		for _, name := range []string{"id_ed25519", "id_rsa"} {
			f := filepath.Join(env.Home, ".ssh", name)
			if _, err := os.Stat(f); err != nil {
				k.places = append(k.places, f+" (not found)")
				continue
			}
			id, err := k.loadSSH(f)
			if err != nil {
				// sops skips unusable default ssh keys too; say why.
				k.places = append(k.places, fmt.Sprintf("%s (unusable: %v)", f, err))
				continue
			}
			k.add(f, id)
		}
	}
	if s := get("SOPS_AGE_KEY"); s != "" {
		ids, err := k.parseIdentities(strings.NewReader(strings.Join(strings.Fields(s), "\n")), "SOPS_AGE_KEY")
		if err != nil {
			return nil, fmt.Errorf("SOPS_AGE_KEY: %w", err)
		}
		k.add("SOPS_AGE_KEY", ids...)
	} else {
		k.places = append(k.places, "SOPS_AGE_KEY (unset)")
	}
	if f := get("SOPS_AGE_KEY_FILE"); f != "" {
		ids, err := k.loadFile(f)
		if err != nil {
			return nil, fmt.Errorf("SOPS_AGE_KEY_FILE: %w", err)
		}
		k.add("SOPS_AGE_KEY_FILE="+f, ids...)
	} else {
		k.places = append(k.places, "SOPS_AGE_KEY_FILE (unset)")
	}
	if c := get("SOPS_AGE_KEY_CMD"); c != "" {
		k.cmd = c
		k.places = append(k.places, "SOPS_AGE_KEY_CMD")
	} else {
		k.places = append(k.places, "SOPS_AGE_KEY_CMD (unset)")
	}
	if f := env.DefaultKeysFile(); f != "" {
		if _, err := os.Stat(f); err != nil {
			k.places = append(k.places, f+" (not found)")
		} else {
			ids, err := k.loadFile(f)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			k.add(f, ids...)
		}
	}
	return k, nil
}

func (k *Keyring) add(place string, ids ...age.Identity) {
	k.ids = append(k.ids, ids...)
	k.places = append(k.places, place)
}

// Places lists every place the keyring looked, for error hints.
func (k *Keyring) Places() []string { return k.places }

// Empty reports whether no identity was found (SOPS_AGE_KEY_CMD not counted).
func (k *Keyring) Empty() bool { return len(k.ids) == 0 && k.cmd == "" }

// Identities returns the identities to try for a stanza addressed to
// recipient, running SOPS_AGE_KEY_CMD if set. The command runs at most once
// per process (a file with thousands of recipient stanzas must not start
// thousands of processes, nor touch a hardware key thousands of times),
// with SOPS_AGE_RECIPIENT set to the first recipient it is asked for; its
// identities, or its failure, are reused for every other stanza.
func (k *Keyring) Identities(recipient string) ([]age.Identity, error) {
	if k.cmd == "" {
		return k.ids, nil
	}
	keyCmd.Lock()
	defer keyCmd.Unlock()
	if !keyCmd.ran || keyCmd.cmd != k.cmd {
		keyCmd.ran, keyCmd.cmd = true, k.cmd
		keyCmd.ids, keyCmd.err = k.runKeyCmd(recipient)
		keyCmd.runs++
	}
	if keyCmd.err != nil {
		return nil, keyCmd.err
	}
	return append(slices.Clone(keyCmd.ids), k.ids...), nil
}

// keyCmd is SOPS_AGE_KEY_CMD's one run in this process.
var keyCmd struct {
	sync.Mutex
	ran  bool
	cmd  string
	ids  []age.Identity
	err  error
	runs int // for tests
}

func (k *Keyring) runKeyCmd(recipient string) ([]age.Identity, error) {
	// Split like sops does (github.com/google/shlex): words, quotes,
	// backslash escapes; # starts a comment.
	args, err := shlex.Split(k.cmd)
	if err != nil {
		return nil, fmt.Errorf("SOPS_AGE_KEY_CMD: cannot split it into words: %w", err)
	}
	if len(args) == 0 {
		return nil, errors.New("SOPS_AGE_KEY_CMD is empty after splitting")
	}
	c := exec.Command(args[0], args[1:]...)
	c.Env = append(os.Environ(), "SOPS_AGE_RECIPIENT="+recipient)
	c.Stderr = os.Stderr
	out, err := c.Output()
	if err != nil {
		return nil, fmt.Errorf("SOPS_AGE_KEY_CMD failed: %w", err)
	}
	ids, err := k.parseIdentities(bytes.NewReader(out), "SOPS_AGE_KEY_CMD")
	if err != nil {
		return nil, fmt.Errorf("SOPS_AGE_KEY_CMD output: %w", err)
	}
	return ids, nil
}

func (k *Keyring) loadFile(name string) ([]age.Identity, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	if bytes.HasPrefix(b, []byte("age-encryption.org/")) || bytes.HasPrefix(b, []byte(armor.Header)) {
		return k.decryptIdentityFile(name, b)
	}
	if bytes.Contains(b, []byte("PRIVATE KEY-----")) {
		id, err := k.loadSSH(name)
		if err != nil {
			return nil, err
		}
		return []age.Identity{id}, nil
	}
	return k.parseIdentities(bytes.NewReader(b), name)
}

// decryptIdentityFile opens a passphrase-protected identity file, as age
// and sops do.
func (k *Keyring) decryptIdentityFile(name string, b []byte) ([]age.Identity, error) {
	if k.env.Passphrase == nil {
		return nil, errors.New("identity file is passphrase-protected and there is no terminal to ask for the passphrase")
	}
	var r io.Reader = bytes.NewReader(b)
	if bytes.HasPrefix(b, []byte(armor.Header)) {
		r = armor.NewReader(r)
	}
	pass, err := k.env.Passphrase(fmt.Sprintf("Enter passphrase for identity file %q:", name))
	if err != nil {
		return nil, fmt.Errorf("reading passphrase: %w", err)
	}
	sid, err := age.NewScryptIdentity(string(pass))
	if err != nil {
		return nil, err
	}
	out, err := age.Decrypt(r, sid)
	if err != nil {
		return nil, fmt.Errorf("decrypting identity file: %w", err)
	}
	return k.parseIdentities(out, name)
}

func (k *Keyring) loadSSH(name string) (age.Identity, error) {
	pem, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	id, err := agessh.ParseIdentity(pem)
	if err == nil {
		return id, nil
	}
	var missing *ssh.PassphraseMissingError
	if !errors.As(err, &missing) {
		return nil, err
	}
	pub := missing.PublicKey
	if pub == nil {
		pb, err := os.ReadFile(name + ".pub")
		if err != nil {
			return nil, errors.New("encrypted ssh key without a readable .pub file next to it")
		}
		if pub, _, _, _, err = ssh.ParseAuthorizedKey(pb); err != nil {
			return nil, fmt.Errorf("parsing %s.pub: %w", name, err)
		}
	}
	ask := k.env.Passphrase
	if ask == nil {
		ask = func(string) ([]byte, error) {
			return nil, errors.New("ssh key is passphrase-protected and there is no terminal to ask for the passphrase")
		}
	}
	return agessh.NewEncryptedSSHIdentity(pub, pem, func() ([]byte, error) {
		return ask(fmt.Sprintf("Enter passphrase for %q:", name))
	})
}

// parseIdentities reads identity lines: AGE-SECRET-KEY-1…,
// AGE-SECRET-KEY-PQ-1… and AGE-PLUGIN-…; "#" comments and blank lines are
// skipped. Errors name the line, never its content.
func (k *Keyring) parseIdentities(r io.Reader, source string) ([]age.Identity, error) {
	var ids []age.Identity
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, err := ParseIdentity(line, k.env.PluginUI)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		ids = append(ids, id)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("no identities in %s", source)
	}
	return ids, nil
}

// ParseIdentity parses one identity line. The error never contains the line.
func ParseIdentity(s string, ui *plugin.ClientUI) (age.Identity, error) {
	switch {
	case strings.HasPrefix(s, "AGE-SECRET-KEY-PQ-1"):
		id, err := age.ParseHybridIdentity(s)
		if err != nil {
			return nil, errors.New("malformed post-quantum identity")
		}
		return id, nil
	case strings.HasPrefix(s, "AGE-SECRET-KEY-1"):
		id, err := age.ParseX25519Identity(s)
		if err != nil {
			return nil, errors.New("malformed age identity")
		}
		return id, nil
	case strings.HasPrefix(s, "AGE-PLUGIN-"):
		if ui == nil {
			return nil, errors.New("plugin identity found, but age plugins are not available here")
		}
		id, err := plugin.NewIdentity(s, ui)
		if err != nil {
			return nil, errors.New("malformed age plugin identity")
		}
		return id, nil
	}
	return nil, errors.New("not an age identity (want AGE-SECRET-KEY-1…, AGE-SECRET-KEY-PQ-1… or AGE-PLUGIN-…)")
}
