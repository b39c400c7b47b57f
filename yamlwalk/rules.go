package yamlwalk

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Rules decide which values are encrypted, as sops's selection keys do. At
// most one of the six may be set; with none, UnencryptedSuffix defaults to
// "_unencrypted".
type Rules struct {
	UnencryptedSuffix       string
	EncryptedSuffix         string
	UnencryptedRegex        string
	EncryptedRegex          string
	UnencryptedCommentRegex string
	EncryptedCommentRegex   string
	// MACOnlyEncrypted feeds only encrypted values to the MAC, so plaintext
	// values may be edited without breaking it.
	MACOnlyEncrypted bool

	unencRe, encRe, unencCommentRe, encCommentRe *regexp.Regexp
}

// DefaultUnencryptedSuffix is sops's default rule.
const DefaultUnencryptedSuffix = "_unencrypted"

// Compile validates the rules, applies the default, and compiles the
// regular expressions.
func (r *Rules) Compile() error {
	n := 0
	for _, s := range []string{r.UnencryptedSuffix, r.EncryptedSuffix, r.UnencryptedRegex, r.EncryptedRegex, r.UnencryptedCommentRegex, r.EncryptedCommentRegex} {
		if s != "" {
			n++
		}
	}
	if n > 1 {
		return errors.New("only one of unencrypted_suffix, encrypted_suffix, unencrypted_regex, encrypted_regex, unencrypted_comment_regex and encrypted_comment_regex may be set")
	}
	if n == 0 {
		r.UnencryptedSuffix = DefaultUnencryptedSuffix
	}
	var err error
	compile := func(name, s string) *regexp.Regexp {
		if s == "" || err != nil {
			return nil
		}
		re, e := regexp.Compile(s)
		if e != nil {
			err = fmt.Errorf("%s: %w", name, e)
		}
		return re
	}
	r.unencRe = compile("unencrypted_regex", r.UnencryptedRegex)
	r.encRe = compile("encrypted_regex", r.EncryptedRegex)
	r.unencCommentRe = compile("unencrypted_comment_regex", r.UnencryptedCommentRegex)
	r.encCommentRe = compile("encrypted_comment_regex", r.EncryptedCommentRegex)
	return err
}

// ShouldEncrypt reports whether the value at keys is encrypted. comments is
// the comment stack: the comments just before each key or item on the way
// down (used only by the comment regexes).
func (r *Rules) ShouldEncrypt(keys []string, comments []string) bool {
	for _, k := range keys {
		if r.UnencryptedSuffix != "" && strings.HasSuffix(k, r.UnencryptedSuffix) {
			return false
		}
		if r.EncryptedSuffix != "" && strings.HasSuffix(k, r.EncryptedSuffix) {
			return true
		}
		if r.unencRe != nil && r.unencRe.MatchString(k) {
			return false
		}
		if r.encRe != nil && r.encRe.MatchString(k) {
			return true
		}
	}
	for _, c := range comments {
		if r.unencCommentRe != nil && r.unencCommentRe.MatchString(c) {
			return false
		}
		if r.encCommentRe != nil && r.encCommentRe.MatchString(c) {
			return true
		}
	}
	return r.EncryptedSuffix == "" && r.EncryptedRegex == "" && r.EncryptedCommentRegex == ""
}

// matchesCommentRegex reports whether a comment is itself a selection marker
// (sops leaves a comment that matches a comment regex in clear).
func (r *Rules) matchesCommentRegex(comment string) bool {
	return r.unencCommentRe != nil && r.unencCommentRe.MatchString(comment) ||
		r.encCommentRe != nil && r.encCommentRe.MatchString(comment)
}

// usesComments reports whether the rules look at comments at all.
func (r *Rules) usesComments() bool { return r.unencCommentRe != nil || r.encCommentRe != nil }
