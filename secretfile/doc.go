// Package secretfile is sv's application core: it opens, checks, changes
// and writes encrypted files, and compares them with the .sops.yaml
// creation rules that cover them.
//
// It returns values and typed errors for package main (the CLI) to format.
// It never prints, prompts or exits, and takes no *cli.Context: commands
// turn their flags into options and make one call. It reads no flag
// values from the environment either: SOPS_AGE_RECIPIENTS comes in
// RuleOptions; only sops's own lookups stay where sops has them
// (SOPS_CONFIG in sopsconfig.Find and sopsconfig.Named, the identity
// variables in NewKeys).
//
// The parts:
//   - format.go: the formats (Format, FormatOf, ParseFormat), the store
//     of each, and what differs by format (Inspect, Extract, SetValue …).
//   - keys.go: Keys, the process's identities loaded once on first use,
//     with the terminal side (KeyEnv) given by the caller.
//   - rules.go: recipients and selection in one place (ResolveRule:
//     flags > SOPS_AGE_RECIPIENTS > the nearest .sops.yaml), LoadConfig,
//     RuleFor, and the recipient checks (Drift, TrustedRecipients).
//   - rule.go: CompareRule, the one comparison of a file with its rule,
//     and SameRecipients, of two versions (both keygroups.Compare, which
//     the audit uses too).
//   - open.go: Decrypt (errors name the file: *FileError), Textconv.
//   - encrypt.go: Encrypt (new or incremental), Reencrypt after an edit,
//     Rotate and ReplaceKeys for the formats other than YAML.
//   - merge.go: the merge driver's value-by-value Merge.
//   - values.go: --extract and exec-env's variables.
//   - write.go: Read, and Write/Replace/Create (atomic, mode-keeping,
//     Replace with the changed-on-disk guard, *ChangedError).
//   - walk.go: Walk, the one way to find the files of a tree;
//     tree.go: ReadTreeFile, a found file read for a tree command.
//   - keyplan.go: updatekeys (PlanKeys without a key, KeyPlan.Apply).
//   - rotate.go: RotateFile, a new data key for the trusted recipients.
//   - status.go: StatusOf, a file's FileStatus (sv status, its --json).
//   - check.go: Check, sv check's Problems (incl. max-age).
//   - history.go: what git history says without keys: LogOptions (sv
//     log's files), ValueAges (status --ages), ParseSince.
//   - edit.go: OpenEdit and Edit.Save, sv edit's file side (running the
//     editor and asking the user are the caller's).
//   - set.go: Set and Unset, one value changed in place (made again on
//     top of a concurrent change).
//   - multi.go: DecryptEach, many files decrypted in parallel with the
//     keys loaded once; decrypt -o DIR (OutputDir, WritePlaintext).
//   - env.go: EnvFromFiles, exec-env's variables from several files, and
//     the names a values file may not set (ProtectedVariable).
//   - plainfile.go: NewPlainFile, exec-file's plaintext in a private
//     directory, as a file or a named pipe.
//   - driver.go: git's diff driver (TextconvFile) and merge driver
//     (MergeFiles; MergeText for plaintext sides).
//   - gitsetup.go: SetupGit, sv git setup's driver configuration,
//     .gitattributes lines and pre-commit hook.
//   - helm.go: the Helm plugin's side (HelmEncrypt, HelmDecrypt of a
//     file or URL, HelmFetch for the downloader), from helm-secrets'
//     command line as helmplugin parses it.
package secretfile
