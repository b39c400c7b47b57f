package helmplugin

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/sv-secrets/sv/sopsconfig"
	"github.com/sv-secrets/sv/yamlwalk"
)

// OptionError is a wrong `helm secrets` command line (an unknown option, a
// missing value): the caller's mistake. Hint, if not empty, says what to
// do instead.
type OptionError struct{ Msg, Hint string }

func (e *OptionError) Error() string { return e.Msg }

// helpHint points at `helm secrets help`.
const helpHint = "run 'helm secrets help' for usage"

// Env is the process environment with the variables set by helm-secrets'
// own options laid over it; the helm child gets the same, so the
// downloader runs it starts see what the options said.
type Env map[string]string

// Getenv is os.Getenv with e's variables first.
func (e Env) Getenv(k string) string {
	if v, ok := e[k]; ok {
		return v
	}
	return os.Getenv(k)
}

// Environ is os.Environ with e's variables appended (a later entry wins).
func (e Env) Environ() []string {
	env := os.Environ()
	for k, v := range e {
		env = append(env, k+"="+v)
	}
	return env
}

// Invocation is a `helm secrets` command line with helm-secrets' own
// options (those before the command) read.
type Invocation struct {
	// Env are the variables the options set (HELM_SECRETS_QUIET, …).
	Env Env
	// Args are the command and its arguments; ["help"] for -h/--help.
	Args []string
	// Version: -v/--version, which ends the command line.
	Version bool
}

// ParseOptions reads helm-secrets' options in front of the command:
// -q, -b/-d (backend), -a (backend args), --ignore-missing-values,
// --skip-decrypt, --decrypt-secrets-in-tmp-dir, --evaluate-templates
// (refused when true: sv is a sops backend), -h and -v. Boolean options
// take "--flag", "--flag true|false" and "--flag=true|false". An unknown
// option is an *OptionError.
func ParseOptions(args []string) (*Invocation, error) {
	inv := &Invocation{Env: Env{}}
	env := inv.Env
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		a := args[0]
		name, _, _ := strings.Cut(a, "=")
		n := 1
		var (
			v   string
			err error
		)
		switch name {
		case "-q", "--quiet":
			env["HELM_SECRETS_QUIET"] = "true"
		case "-b", "--backend", "-d", "--driver":
			if v, n, err = optionValue(args, name); err == nil {
				err = CheckBackend(v, name)
			}
			env["HELM_SECRETS_BACKEND"], env["HELM_SECRETS_DRIVER"] = v, ""
		case "-a", "--backend-args", "--driver-args":
			v, n, err = optionValue(args, name)
			env["HELM_SECRETS_BACKEND_ARGS"], env["HELM_SECRETS_DRIVER_ARGS"] = v, ""
		case "--ignore-missing-values":
			v, n, err = boolOption(args, name)
			env["HELM_SECRETS_IGNORE_MISSING_VALUES"] = v
		case "--skip-decrypt":
			v, n, err = boolOption(args, name)
			env["HELM_SECRETS_SKIP_DECRYPT"] = v
		case "--decrypt-secrets-in-tmp-dir", "--evaluate-templates-decode-secrets":
			// sv never writes decrypted files, so there is nothing to move;
			// decoding only matters to --evaluate-templates.
			_, n, err = boolOption(args, name)
		case "--evaluate-templates":
			if v, n, err = boolOption(args, name); err == nil && v == "true" {
				err = &UnsupportedError{What: "--evaluate-templates", Hint: ValsOnly}
			}
		case "-h", "--help":
			inv.Args = []string{"help"}
			return inv, nil
		case "-v", "--version":
			inv.Version = true
			return inv, nil
		default:
			return nil, &OptionError{Msg: fmt.Sprintf("unknown helm secrets option %s", a), Hint: "run 'helm secrets help'; options of Helm commands go after the command"}
		}
		if err != nil {
			return nil, err
		}
		args = args[n:]
	}
	inv.Args = args
	return inv, nil
}

// ValsOnly says why template evaluation is not in sv.
const ValsOnly = "it evaluates vals references (ref+…) in rendered manifests; sv is a sops backend"

// boolOption reads helm-secrets' "--flag [true|false]" and "--flag=VALUE"
// forms; it returns the value and how many arguments it used.
func boolOption(args []string, name string) (string, int, error) {
	if v, ok := strings.CutPrefix(args[0], name+"="); ok {
		if v != "true" && v != "false" {
			return "", 0, &OptionError{Msg: fmt.Sprintf("%s: want true or false, got %q", name, v)}
		}
		return v, 1, nil
	}
	if len(args) > 1 && (args[1] == "true" || args[1] == "false") {
		return args[1], 2, nil
	}
	return "true", 1, nil
}

// optionValue reads "--flag VALUE" and "--flag=VALUE" (short form "-x VALUE").
func optionValue(args []string, long string) (string, int, error) {
	if v, ok := strings.CutPrefix(args[0], long+"="); ok {
		return v, 1, nil
	}
	if len(args) < 2 {
		return "", 0, &OptionError{Msg: fmt.Sprintf("%s needs a value", args[0]), Hint: helpHint}
	}
	return args[1], 2, nil
}

// FileArgs are the options of `helm secrets encrypt|decrypt|edit FILE`:
// helm-secrets' own (-i, --terraform), sv's options of the same command
// (sv encrypt, sv decrypt, sv edit), and those of -a /
// HELM_SECRETS_BACKEND_ARGS that apply.
type FileArgs struct {
	File string
	// Help: -h, --help (or FILE "help" for decrypt).
	Help bool
	// InPlace (-i) replaces FILE; Terraform (decrypt) prints
	// {"content_base64":"…"}.
	InPlace, Terraform                bool
	IgnoreMAC, EncryptComments, Force bool
	// Age are the recipients of --age (the backend's first), each list
	// split at commas.
	Age []string
	// Config is --config, else the backend's, else (encrypt, edit) the
	// .sops.yaml nearest to FILE's directory: helm-secrets runs sops
	// there, so its rules are found from there.
	Config string
	// Output (-o), Extract (decrypt), InputType and OutputType as sv's.
	Output, Extract, InputType, OutputType string
	// Selection is the selection of --unencrypted-suffix, … if one was
	// given (it replaces the rule's entirely).
	Selection *yamlwalk.Rules
	// MACOnlyEncrypted is --mac-only-encrypted if given.
	MACOnlyEncrypted *bool
}

// ParseFileArgs reads the arguments of `helm secrets CMD` for cmd encrypt,
// decrypt or edit, as Go's flag package does (options before FILE, "-x",
// "--x", "--x=v"). encrypt and edit take exactly one FILE; decrypt takes
// the first argument that is not an option and ignores what follows, as
// helm-secrets does (helmfile appends its helmDefaults.args to 'helm
// secrets decrypt FILE'). A wrong command line is an *OptionError.
func ParseFileArgs(cmd string, args []string, b BackendArgs) (*FileArgs, error) {
	fa := &FileArgs{IgnoreMAC: b.IgnoreMAC, Age: splitList(b.Age)}
	var sel yamlwalk.Rules
	selection := map[string]*string{
		"unencrypted-suffix": &sel.UnencryptedSuffix, "encrypted-suffix": &sel.EncryptedSuffix,
		"unencrypted-regex": &sel.UnencryptedRegex, "encrypted-regex": &sel.EncryptedRegex,
		"unencrypted-comment-regex": &sel.UnencryptedCommentRegex, "encrypted-comment-regex": &sel.EncryptedCommentRegex,
	}
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.BoolVar(&fa.IgnoreMAC, "ignore-mac", fa.IgnoreMAC, "")
	fs.BoolVar(&fa.Force, "force", false, "")
	config := ""
	if cmd != "decrypt" {
		age := func(v string) error { fa.Age = append(fa.Age, splitList([]string{v})...); return nil }
		fs.Func("age", "", age)
		fs.Func("a", "", age)
		fs.StringVar(&config, "config", "", "")
		fs.BoolVar(&fa.EncryptComments, "encrypt-comments", false, "")
		for n, p := range selection {
			fs.StringVar(p, n, "", "")
		}
		fs.BoolFunc("mac-only-encrypted", "", func(v string) error {
			on, err := strconv.ParseBool(v)
			fa.MACOnlyEncrypted = &on
			if err != nil {
				return errors.New("parse error") // as the flag package's bool flags say
			}
			return nil
		})
	}
	if cmd != "edit" {
		for _, n := range []string{"i", "in-place"} {
			fs.BoolVar(&fa.InPlace, n, false, "")
		}
		for _, n := range []string{"o", "output"} {
			fs.StringVar(&fa.Output, n, "", "")
		}
		fs.StringVar(&fa.InputType, "input-type", "", "")
		fs.StringVar(&fa.OutputType, "output-type", "", "")
	}
	if cmd == "decrypt" {
		fs.BoolVar(&fa.Terraform, "terraform", false, "")
		fs.StringVar(&fa.Extract, "extract", "", "")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fa.Help = true
			return fa, nil
		}
		return nil, &OptionError{Msg: err.Error(), Hint: helpHint}
	}
	fs.Visit(func(f *flag.Flag) {
		if selection[f.Name] != nil {
			fa.Selection = &sel
		}
	})
	switch {
	case cmd == "decrypt" && fs.Arg(0) == "help":
		fa.Help = true
		return fa, nil
	case cmd == "decrypt" && fs.NArg() == 0:
		return nil, &OptionError{Msg: "decrypt needs a FILE", Hint: helpHint}
	case cmd != "decrypt" && fs.NArg() != 1:
		return nil, &OptionError{Msg: cmd + " needs exactly one FILE", Hint: helpHint}
	}
	fa.File = fs.Arg(0)
	switch {
	case cmd == "decrypt" && fa.InPlace && fa.Output != "":
		return nil, &OptionError{Msg: "--in-place and --output cannot be used together"}
	case fa.InPlace && fa.Extract != "":
		return nil, &OptionError{Msg: "--extract and --in-place cannot be used together"}
	case fa.InPlace && cmd == "decrypt" && (fa.Terraform || LocationScheme(fa.File) != ""):
		return nil, &OptionError{Msg: "decrypt -i works on a local file only, without --terraform"}
	}
	fa.Config = config
	if config == "" && cmd != "decrypt" {
		fa.Config = b.Config
		if fa.Config == "" {
			if p, err := sopsconfig.Find(filepath.Dir(fa.File), ""); err == nil {
				fa.Config = p
			}
		}
	}
	return fa, nil
}

// splitList splits each value at commas, as sv's repeatable options do.
func splitList(vs []string) []string {
	var out []string
	for _, v := range vs {
		for _, s := range strings.Split(v, ",") {
			out = append(out, strings.TrimSpace(s))
		}
	}
	return out
}

// HelmBinary is the helm to run: explicit, else $HELM_SECRETS_HELM_PATH
// (helm-secrets' name for the real helm behind a wrapper script), else
// $HELM_BIN (set by Helm for its plugins), else helm on PATH.
func HelmBinary(explicit string) string {
	for _, v := range []string{explicit, os.Getenv("HELM_SECRETS_HELM_PATH"), os.Getenv("HELM_BIN")} {
		if v != "" {
			return v
		}
	}
	return "helm"
}
