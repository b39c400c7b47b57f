package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/sv-secrets/sv/crypt"
	"github.com/sv-secrets/sv/internal/atomicfile"
	"github.com/sv-secrets/sv/internal/child"
	"github.com/sv-secrets/sv/internal/safetext"
	"github.com/sv-secrets/sv/secretfile"
	"github.com/sv-secrets/sv/sopsconfig"
	"github.com/sv-secrets/sv/yamlwalk"
)

// Exit codes. MAC and key failures use sops's codes so CI scripts that
// check them keep working.
const (
	exitFailure      = 1
	exitUsage        = 2
	exitMACMismatch  = 51
	exitNoKey        = 128
	exitNotEncrypted = 3
)

func exitCodeFor(err error) int {
	var (
		mac *yamlwalk.MACError
		nk  *crypt.NoKeyError
		ue  *usageError
		fe  *secretfile.FormatError
		cs  *child.StartError
	)
	switch {
	case errors.As(err, &ue), errors.As(err, &fe):
		return exitUsage
	case errors.As(err, &cs):
		return cs.Code() // 127 or 126, as a shell
	case errors.As(err, &mac):
		return exitMACMismatch
	case errors.As(err, &nk):
		return exitNoKey
	case errors.Is(err, yamlwalk.ErrNotEncrypted):
		return exitNotEncrypted
	}
	return exitFailure
}

func hintsFor(err error) []string {
	var hints []string
	var he *hintError
	if errors.As(err, &he) {
		hints = append(hints, he.hints...)
	}
	var (
		ue  *usageError
		nk  *crypt.NoKeyError
		mac *yamlwalk.MACError
		nr  *sopsconfig.ErrNoRule
		md  *yamlwalk.MetadataError
		le  *yamlwalk.LimitError
		fe  *secretfile.FormatError
		ro  *atomicfile.ReadOnlyError
		ce  *secretfile.ChangedError
		lk  *atomicfile.LockedError
	)
	switch {
	case errors.As(err, &ue):
		if ue.hint != "" {
			hints = append(hints, ue.hint)
		}
	case errors.As(err, &fe):
		if fe.Hint != "" {
			hints = append(hints, fe.Hint)
		}
	case errors.As(err, &ro):
		hints = append(hints, fmt.Sprintf("make it writable first (chmod u+w %s), or pass --force, if you mean to change it", ro.Path))
	case errors.As(err, &ce):
		hints = append(hints, "nothing was written; run the command again")
	case errors.As(err, &lk):
		hints = append(hints, "nothing was written; run the command again when the other process is done")
	case errors.As(err, &nk):
		hints = append(hints, "looked for identities in: "+strings.Join(nk.Places, ", "))
		hints = append(hints, "set SOPS_AGE_KEY_FILE to a file holding one of the file's identities, or SOPS_AGE_KEY to the identity itself")
	case errors.As(err, &mac) && he == nil:
		hints = append(hints, "if you trust the file as it is, 'sv decrypt --ignore-mac' recovers the values; every value's own tag is still checked")
	case errors.Is(err, yamlwalk.ErrNotEncrypted):
		hints = append(hints, "encrypt it with 'sv encrypt FILE'")
	case errors.As(err, &nr):
		hints = append(hints, "add a creation rule with a path_regex matching this file, or pass --age")
	case errors.Is(err, sopsconfig.ErrNotFound):
		hints = append(hints, "pass --age RECIPIENT, set SOPS_AGE_RECIPIENTS, or create .sops.yaml with creation_rules")
	case errors.As(err, &md) && he == nil:
		hints = append(hints, "sops and sv never write such a sops block: if the file is encrypted, its block was changed by hand or by someone without the key; compare it with the history (git log -p FILE)")
	case errors.As(err, &le):
		hints = append(hints, "sv refuses files that would make it (and every other reader) do unbounded work; no real values file needs this")
	}
	return hints
}

// usageError is a wrong invocation.
type usageError struct{ msg, hint string }

func (e *usageError) Error() string { return e.msg }

// hintError carries extra lines for the user.
type hintError struct {
	err   error
	hints []string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }

func withHint(err error, hints ...string) error { return &hintError{err: err, hints: hints} }

// exitError carries a specific exit code (e.g. a wrapped command's).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

// reportError is the one place errors are formatted for users:
// "sv: error: …" lowercase without a trailing period, then "sv: hint: …".
func reportError(w io.Writer, err error) int {
	var ee *exitError
	if errors.As(err, &ee) && ee.err == nil {
		return ee.code
	}
	// A command sv ran failed: its status is sv's, and it spoke for itself.
	var ce *child.ExitError
	if errors.As(err, &ce) && err == error(ce) {
		return ce.Code
	}
	msg := strings.TrimSuffix(err.Error(), ".")
	say(w, "error", msg)
	for _, h := range hintsFor(err) {
		say(w, "hint", h)
	}
	if ee != nil {
		return ee.code
	}
	return exitCodeFor(err)
}

// warnf and notef are sv's voice for what is not an error, next to
// reportError's "sv: error:" and "sv: hint:": one line on w, "sv: warning:"
// or "sv: note:" in front, characters a terminal would act on escaped.
func warnf(w io.Writer, format string, args ...any) {
	say(w, "warning", fmt.Sprintf(format, args...))
}

func notef(w io.Writer, format string, args ...any) {
	say(w, "note", fmt.Sprintf(format, args...))
}

func say(w io.Writer, kind, msg string) {
	fmt.Fprintf(w, "sv: %s: %s\n", kind, safetext.Terminal(msg))
}

// sameExitCode returns the exit code every error shares, or exitFailure.
func sameExitCode(errs []error) int {
	code := -1
	for _, e := range errs {
		c := exitCodeFor(e)
		if code >= 0 && c != code {
			return exitFailure
		}
		code = c
	}
	if code < 0 {
		return exitFailure
	}
	return code
}
