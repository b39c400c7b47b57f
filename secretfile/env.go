package secretfile

// exec-env's environment: the values of several files as variables, a
// later file's replacing an earlier one's, and the variables a values file
// may not set.

import (
	"fmt"
	"slices"
	"strings"
)

// EnvOptions are the caller's choices for EnvFromFiles.
type EnvOptions struct {
	// Prefix goes in front of every name (--prefix).
	Prefix string
	// Allow are protected names the files may set (--allow-env).
	Allow []string
	// Keys are loaded once, before the first file.
	Keys *Keys
}

// EnvFile is what EnvFromFiles made of one file.
type EnvFile struct {
	File string
	// Warnings are the decryption's (paths only).
	Warnings []string
	// Overrides are the variables of this file that replace an earlier
	// file's.
	Overrides []Override
	// Err names the file (*FileError); a *ProtectedError inside is a
	// value that would set a protected variable.
	Err error
}

// Override is a variable that replaces an earlier file's of the same
// name: names and paths, never values.
type Override struct {
	Name, Path         string
	PrevFile, PrevPath string
}

// EnvFromFiles decrypts files (DecryptEach) and turns their values into
// environment variables (EnvVars), in the order of files; a later file's
// variable replaces an earlier one's of the same name, at the earlier
// one's place. Every file is tried; the caller runs nothing if any EnvFile
// has an Err. The error returned is failing to load the identities.
func EnvFromFiles(files []string, o EnvOptions) ([]EnvVar, []EnvFile, error) {
	var (
		vars   []EnvVar
		per    = make([]EnvFile, len(files))
		from   = map[string]int{} // name -> index in vars
		origin = map[string]string{}
	)
	err := DecryptEach(files, ManyOptions{Keys: o.Keys}, func(i int, d Opened) {
		f := &per[i]
		f.File = files[i]
		if f.Err = d.Err; d.Err != nil {
			return
		}
		f.Warnings = d.Warnings
		vs, err := EnvVars(f.File, d.Src, d.Text, o.Prefix)
		if err == nil {
			err = CheckProtected(vs, o.Allow)
		}
		if err != nil {
			f.Err = fileError(f.File, err)
			return
		}
		for _, v := range vs {
			if j, ok := from[v.Name]; ok {
				f.Overrides = append(f.Overrides, Override{Name: v.Name, Path: v.Path, PrevFile: origin[v.Name], PrevPath: vars[j].Path})
				vars[j] = v
				origin[v.Name] = f.File
				continue
			}
			from[v.Name] = len(vars)
			origin[v.Name] = f.File
			vars = append(vars, v)
		}
	})
	if err != nil {
		return nil, nil, err
	}
	return vars, per, nil
}

// ProtectedError is a file value that would set a protected variable
// (ProtectedVariable) that was not allowed: named by its path, never its
// value.
type ProtectedError struct{ Path, Name string }

func (e *ProtectedError) Error() string {
	return fmt.Sprintf("%s would set %s, which a values file may not change", e.Path, e.Name)
}

// CheckProtected refuses (*ProtectedError) a variable that would set a
// protected name not in allowed.
func CheckProtected(vars []EnvVar, allowed []string) error {
	for _, v := range vars {
		if ProtectedVariable(v.Name) && !slices.Contains(allowed, v.Name) {
			return &ProtectedError{Path: v.Path, Name: v.Name}
		}
	}
	return nil
}

// ProtectedVariable reports names a values file may not set without being
// allowed to: they change which program runs or how it starts (PATH, the
// dynamic loader, shell start-up), where it looks for its configuration
// (HOME), or hand over keys (SOPS_*). Anyone who can push a values file
// could otherwise run code in CI through them.
func ProtectedVariable(name string) bool {
	for _, p := range []string{"LD_", "DYLD_", "BASH_FUNC_", "SOPS_", "GIT_"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	switch name {
	case "PATH", "HOME", "USER", "LOGNAME", "SHELL", "IFS", "ENV", "BASH_ENV",
		"CDPATH", "PS4", "PROMPT_COMMAND", "SHELLOPTS", "BASHOPTS", "GLOBIGNORE",
		"TMPDIR", "GCONV_PATH", "HOSTALIASES", "LOCALDOMAIN", "RES_OPTIONS",
		"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PERL5LIB", "PERL5OPT", "PERLLIB",
		"RUBYLIB", "RUBYOPT", "NODE_OPTIONS", "NODE_PATH", "JAVA_TOOL_OPTIONS",
		"_JAVA_OPTIONS", "KUBECONFIG", "HELM_PLUGINS", "EDITOR", "VISUAL", "PAGER":
		return true
	}
	return false
}
