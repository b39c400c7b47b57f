#!/usr/bin/env bash
# sv and sops 3.13.3 decrypting the same files, whole process, side by side:
# a values file written by sops (`sops encrypt`, which encrypts every
# comment too) and the same plaintext written by sv (`sv encrypt`, comments
# readable), at 10 and 100,000 leaves. Prints median wall and CPU time (user+sys)
# and peak RSS of `decrypt` for both tools, and the ratios: speedup (sops
# time / sv time; the issue's goal is >= 20x at 100k leaves and >= 4x for
# the small file) and memory (sv / sops peak; goal <= 0.25). Also sv on
# the sops-written file against sv on its own (goal <= 1.3x).
#
#   bench/sops_written.sh
#   SIZES="100000" RUNS=5 bench/sops_written.sh
#
# Inputs are generated (internal/benchgen), encrypted once for a throwaway
# key and kept in bench/out/written (delete it to regenerate). Nothing here
# is a test: on a busy machine read the CPU columns. Both files take
# yamlwalk's fast decrypt path (TestFastDecryptTakesBenchmark fails if they
# stop doing so); sv's output is checked against sops's below.
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/out/written
mkdir -p "$out"
SIZES=${SIZES:-"10 100000"}

CGO_ENABLED=0 go build -tags urfave_cli_no_docs -o "$out/sv" .   # the lean release build
go build -o "$out/measure" ./bench/measure
go build -o "$out/genvalues" ./bench/genvalues
sops=$(go tool -modfile=tools/go.mod -n sops)
if [ ! -f "$out/key.txt" ]; then
  "$out/sv" keygen -o "$out/key.txt" 2>"$out/recipient.txt"
fi
recipient=$(sed 's/^Public key: //' "$out/recipient.txt")
export SOPS_AGE_KEY_FILE="$PWD/$out/key.txt" SOPS_DISABLE_VERSION_CHECK=1
unset SOPS_AGE_KEY SOPS_AGE_KEY_CMD SOPS_AGE_SSH_PRIVATE_KEY_FILE

printf '%-7s %-9s %9s %9s %9s %7s %8s %9s %6s %7s %8s %6s\n' \
  leaves written_by bytes sv_ms sops_ms speed sv_cpu sops_cpu cpu_x sv_MiB sops_MiB mem
for n in $SIZES; do
  plain="$out/plain-$n.yaml"
  [ -f "$plain" ] || "$out/genvalues" "$n" > "$plain"
  if [ ! -f "$out/sops-$n.yaml" ]; then
    "$sops" encrypt --age "$recipient" --input-type yaml --output-type yaml "$plain" > "$out/sops-$n.yaml"
  fi
  if [ ! -f "$out/sv-$n.yaml" ]; then
    "$out/sv" encrypt --age "$recipient" -o "$out/sv-$n.yaml" "$plain" 2>/dev/null
  fi
  runs=${RUNS:-$([ "$n" -ge 100000 ] && echo 3 || echo 15)}
  declare -A svcpu
  for who in sops sv; do
    f="$out/$who-$n.yaml"
    # sv gives back the plaintext of its own file byte for byte, and the
    # same text as sops for sops's file (which sops wrote in its layout).
    want=$plain
    if [ "$who" = sops ]; then "$sops" decrypt "$f" > "$out/dec-sops"; want=$out/dec-sops; fi
    "$out/sv" decrypt "$f" | cmp -s - "$want" || { echo "sv decrypt of $f is not $want" >&2; exit 1; }
    rm -f "$out/dec-sops"
    read -r a_ms a_cpu a_mib < <("$out/measure" "$runs" "$out/sv" decrypt "$f")
    read -r s_ms s_cpu s_mib < <("$out/measure" "$runs" "$sops" decrypt "$f")
    svcpu[$who]=$a_cpu
    awk -v n="$n" -v w="$who" -v b="$(wc -c < "$f")" -v a="$a_ms" -v s="$s_ms" -v ac="$a_cpu" -v sc="$s_cpu" -v am="$a_mib" -v sm="$s_mib" \
      'BEGIN { printf "%-7s %-9s %9s %9s %9s %6.1fx %8s %9s %5.1fx %7s %8s %5.2fx\n", n, w, b, a, s, s / a, ac, sc, sc / ac, am, sm, am / sm }'
  done
  awk -v n="$n" -v a="${svcpu[sops]}" -v b="${svcpu[sv]}" \
    'BEGIN { printf "%-7s sv CPU on the sops-written file / on its own: %.2fx\n", n, a / b }'
done
