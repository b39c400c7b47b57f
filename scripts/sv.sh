#!/bin/sh
# Launcher of the Helm "secrets" plugin when Helm runs it from a source
# checkout: bin/sv of `helm plugin install .` (Helm 3) or of
# `helm plugin install ./plugins/secrets` (Helm 4) is a link to this file
# when scripts/install.sh found an sv, and plugins/secrets-getter runs it
# directly. Helm expands no variables in a getter's command, so it finds sv
# itself: $SV_BIN if set, else an sv built in the checkout
# (go build -o sv .), else sv on PATH. 'sv plugin install' does not use this
# script; it links the plugin straight to the sv binary.
if [ -n "${SV_BIN:-}" ]; then
	exec "$SV_BIN" "$@"
fi
# The checkout: $0 is DIR/scripts/sv.sh or DIR/bin/sv, and DIR/scripts is
# the checkout's scripts/ or (plugins/*) a link to it, so the physical
# DIR/scripts/.. is the checkout either way.
root=$(CDPATH='' cd -P -- "$(dirname -- "$0")/../scripts/.." && pwd -P)
if [ -x "$root/sv" ] && [ -f "$root/sv" ]; then
	exec "$root/sv" "$@"
fi
if command -v sv >/dev/null 2>&1; then
	exec sv "$@"
fi
echo "sv: error: the Helm secrets plugin cannot find sv: put sv on PATH, set SV_BIN, or run 'go build -o sv .' in $root" >&2
exit 127
