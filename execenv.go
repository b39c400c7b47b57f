package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sv-secrets/sv/secretfile"
	"github.com/urfave/cli/v2"
)

// The environment exec-env and exec-file give the command they run.

// keyVariables are where sv finds identities: the command does not get
// them unless --pass-keys (it rarely needs them, and a compromised or
// careless tool would leak them).
func isKeyVariable(name string) bool {
	return strings.HasPrefix(name, "SOPS_AGE_KEY") || name == "SOPS_AGE_SSH_PRIVATE_KEY_FILE"
}

// childEnv is base without sv's key variables (unless passKeys).
func childEnv(base []string, passKeys bool) []string {
	if passKeys {
		return base
	}
	return slices.DeleteFunc(slices.Clone(base), func(kv string) bool {
		name, _, _ := strings.Cut(kv, "=")
		return isKeyVariable(name)
	})
}

// protectedVariable reports names a values file may not set in exec-env
// without --allow-env: they change which program runs or how it starts
// (PATH, the dynamic loader, shell start-up), where it looks for its
// configuration (HOME), or hand over keys (SOPS_*). Anyone who can push a
// values file could otherwise run code in CI through them.
func protectedVariable(name string) bool {
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

// checkProtected refuses a file value that would set a protected variable,
// naming the YAML path (never the value).
func checkProtected(vars []secretfile.EnvVar, allowed []string) error {
	for _, v := range vars {
		if protectedVariable(v.Name) && !slices.Contains(allowed, v.Name) {
			return withHint(fmt.Errorf("%s would set %s, which a values file may not change", v.Path, v.Name),
				"use --prefix, rename the key, or pass --allow-env "+v.Name+" if the file is meant to set it")
		}
	}
	return nil
}

var passKeysFlag = &cli.BoolFlag{Name: "pass-keys", Usage: "give the command sv's key variables (SOPS_AGE_KEY*, SOPS_AGE_SSH_PRIVATE_KEY_FILE) too"}
