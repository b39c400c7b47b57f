// Package secretfile is sv's application core: it opens, checks, changes
// and writes encrypted files, and compares them with the .sops.yaml
// creation rules that cover them.
//
// It returns values and typed errors for package main (the CLI) to format.
// It never prints, prompts or exits, and takes no *cli.Context: commands
// turn their flags into options and make one call.
package secretfile
