package helmplugin

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/shlex"
)

// DefaultMaxSize is the largest input the downloader reads (a local file,
// an HTTP body, the output of a Helm getter). Values files are small; the
// limit makes secrets:///dev/zero, a huge file or an endless response fail
// fast instead of filling the memory of an Argo CD repo server.
const DefaultMaxSize = 16 << 20

// DefaultHTTPTimeout bounds one http(s) fetch (connect, headers and body).
const DefaultHTTPTimeout = 30 * time.Second

// Settings are the helm-secrets environment variables and options the
// downloader and the wrapper honour.
type Settings struct {
	Policy
	// IgnoreMissing: HELM_SECRETS_IGNORE_MISSING_VALUES=true or
	// --ignore-missing-values; a missing file reads as empty.
	IgnoreMissing bool
	// URLExpansion: HELM_SECRETS_URL_VARIABLE_EXPANSION=true; ${NAME} in an
	// http(s) URL is replaced by the variable's value.
	URLExpansion bool
	// SkipDecrypt: HELM_SECRETS_SKIP_DECRYPT=true or --skip-decrypt; encrypted
	// files are passed on as they are (helm-secrets' documented CI mode).
	SkipDecrypt bool
	// Backend are the sops options of HELM_SECRETS_BACKEND_ARGS or -a.
	Backend BackendArgs
	// HTTPTimeout bounds one http(s) fetch; SV_HELM_HTTP_TIMEOUT (a Go
	// duration such as 10s) overrides the default.
	HTTPTimeout time.Duration
	// MaxSize is the largest input read, in bytes.
	MaxSize int64
	// DenyRemote: SV_HELM_ALLOW_REMOTE set to anything but "true"; URLs
	// inside secrets:// (http(s), getter schemes) are refused, so an
	// Application author cannot make a shared repo server fetch from its
	// network (cloud metadata endpoints, internal services).
	DenyRemote bool
}

// Boolean variables fail closed: only the exact value helm-secrets
// documents changes the default, and for the restrictions only "true"
// allows. An empty variable counts as unset, as in helm-secrets' shell
// (${VAR:-default}).
func envFlag(getenv func(string) string, name string, def bool) bool {
	v := getenv(name)
	if v == "" {
		return def
	}
	return v == "true"
}

// SettingsFromEnv reads helm-secrets' environment variables. It fails
// with an *UnsupportedError for a setting sv cannot honour (a backend other
// than sops, gpg keys, template evaluation), so nothing is silently done
// differently.
func SettingsFromEnv(getenv func(string) string) (Settings, error) {
	s := Settings{
		Policy:        PolicyFromEnv(getenv),
		IgnoreMissing: envFlag(getenv, "HELM_SECRETS_IGNORE_MISSING_VALUES", false),
		URLExpansion:  envFlag(getenv, "HELM_SECRETS_URL_VARIABLE_EXPANSION", false),
		SkipDecrypt:   envFlag(getenv, "HELM_SECRETS_SKIP_DECRYPT", false),
		HTTPTimeout:   DefaultHTTPTimeout,
		MaxSize:       DefaultMaxSize,
		DenyRemote:    !envFlag(getenv, "SV_HELM_ALLOW_REMOTE", true),
	}
	for _, name := range []string{"HELM_SECRETS_BACKEND", "HELM_SECRETS_DRIVER"} {
		if err := CheckBackend(getenv(name), name); err != nil {
			return s, err
		}
	}
	if err := CheckAllowedBackends(getenv("HELM_SECRETS_ALLOWED_BACKENDS")); err != nil {
		return s, err
	}
	if v := getenv("HELM_SECRETS_LOAD_GPG_KEYS"); v != "" && v != "false" {
		return s, &UnsupportedError{What: "HELM_SECRETS_LOAD_GPG_KEYS", Hint: "sv decrypts with age keys only; unset it and provide an age identity (SOPS_AGE_KEY_FILE)"}
	}
	args := getenv("HELM_SECRETS_BACKEND_ARGS")
	if args == "" {
		args = getenv("HELM_SECRETS_DRIVER_ARGS")
	}
	b, err := ParseBackendArgs(args)
	if err != nil {
		return s, err
	}
	s.Backend = b
	if v := getenv("SV_HELM_HTTP_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return s, fmt.Errorf("SV_HELM_HTTP_TIMEOUT=%q is not a duration such as 30s", v)
		}
		s.HTTPTimeout = d
	}
	return s, nil
}

// CheckBackend accepts an empty backend name and "sops" (what sv is);
// anything else (vals, noop, a custom backend script) is an
// *UnsupportedError naming where it came from.
func CheckBackend(name, from string) error {
	if name == "" || name == "sops" {
		return nil
	}
	what := fmt.Sprintf("secret backend %q", name)
	if from != "" {
		what += " (" + from + ")"
	}
	return &UnsupportedError{What: what, Hint: "sv is a sops backend for age keys; use sops (or leave it unset)"}
}

// CheckAllowedBackends is HELM_SECRETS_ALLOWED_BACKENDS: when set, it must
// allow sops, the only backend sv has.
func CheckAllowedBackends(list string) error {
	if list == "" {
		return nil
	}
	if slices.Contains(strings.Split(list, ","), "sops") {
		return nil
	}
	return fmt.Errorf("HELM_SECRETS_ALLOWED_BACKENDS=%s does not allow sops, the only backend sv has", list)
}

// BackendArgs are the sops command-line options helm-secrets passes on
// (HELM_SECRETS_BACKEND_ARGS, -a/--backend-args) that sv understands.
type BackendArgs struct {
	IgnoreMAC bool     // --ignore-mac
	Verbose   bool     // --verbose
	Config    string   // --config FILE (encrypt, edit)
	Age       []string // --age RECIPIENTS (encrypt)
}

// BackendArgsError is an option in HELM_SECRETS_BACKEND_ARGS or
// --backend-args that sv does not understand.
type BackendArgsError struct {
	Arg    string
	Reason string
}

func (e *BackendArgsError) Error() string {
	return fmt.Sprintf("backend argument %q %s", e.Arg, e.Reason)
}

// ParseBackendArgs splits s like a shell (quotes, backslashes) and reads
// the sops options sv understands: --ignore-mac, --verbose, --config FILE,
// --age RECIPIENTS, --input-type/--output-type yaml. Options that select
// other key services (--kms, --pgp, …) and anything unknown fail, so a
// setting is never dropped silently.
func ParseBackendArgs(s string) (BackendArgs, error) {
	var b BackendArgs
	if strings.TrimSpace(s) == "" {
		return b, nil
	}
	toks, err := shlex.Split(s)
	if err != nil {
		return b, fmt.Errorf("backend arguments %q: %v", s, err)
	}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		name, val, hasVal := strings.Cut(t, "=")
		value := func() (string, error) {
			if hasVal {
				return val, nil
			}
			if i+1 >= len(toks) {
				return "", &BackendArgsError{Arg: t, Reason: "needs a value"}
			}
			i++
			return toks[i], nil
		}
		switch name {
		case "--ignore-mac":
			b.IgnoreMAC = true
		case "--verbose":
			b.Verbose = true
		case "--config":
			v, err := value()
			if err != nil {
				return b, err
			}
			b.Config = v
		case "--age", "-a":
			v, err := value()
			if err != nil {
				return b, err
			}
			b.Age = append(b.Age, v)
		case "--input-type", "--output-type":
			v, err := value()
			if err != nil {
				return b, err
			}
			if v != "yaml" {
				return b, &BackendArgsError{Arg: name + " " + v, Reason: "is not supported by sv: Helm values are YAML, and sv reads and writes YAML"}
			}
		case "--pgp", "-p", "--kms", "-k", "--gcp-kms", "--azure-kv", "--hc-vault-transit", "--aws-profile",
			"--keyservice", "--enable-local-keyservice", "--decryption-order", "--shamir-secret-sharing-threshold":
			return b, &BackendArgsError{Arg: name, Reason: "is not supported by sv: sv decrypts with age keys only"}
		default:
			return b, &BackendArgsError{Arg: t, Reason: "is not a sops option sv understands (it knows --ignore-mac, --verbose, --config FILE, --age RECIPIENTS, --input-type yaml, --output-type yaml)"}
		}
	}
	return b, nil
}
