package main

import (
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

// The environment exec-env and exec-file give the command they run (which
// variables a values file may set is secretfile.ProtectedVariable's).

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

var passKeysFlag = &cli.BoolFlag{Name: "pass-keys", Usage: "give the command sv's key variables (SOPS_AGE_KEY*, SOPS_AGE_SSH_PRIVATE_KEY_FILE) too"}
