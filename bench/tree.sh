#!/usr/bin/env bash
# A tree of sops-written files, whole process, side by side: 3 environments
# (dev, staging, prod) x 100 values files of about 40 KB each, encrypted by
# sops 3.13.3 for two recipients (comments encrypted, as sops does), then
#
#   decrypt     every file: one 'sv decrypt FILE...' against a shell loop of
#               'sops decrypt FILE' (and a loop of 'sv decrypt FILE', and sv
#               on one core, for scale)
#   updatekeys  after the second recipient leaves prod (.sops.yaml changed):
#               'sv updatekeys -y .' against a loop of 'sops updatekeys -y'
#               over every file; each run starts from a fresh copy of the
#               tree, whose cost is measured alone and subtracted
#
# Prints median wall and CPU time (user+sys, children included) and the
# ratios (the issue's goal: >= 10x on a 2-core machine).
#
#   bench/tree.sh
#   RUNS=5 FILES=100 LEAVES=280 bench/tree.sh
#
# The tree is kept in bench/out/tree (delete it to regenerate: sops takes a
# minute or two to write it). Nothing here is a test.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$PWD/bench/out/tree
mkdir -p "$out"
# The tree is not part of sv's repository (bench/out is ignored there, and
# sv leaves ignored files alone): git must not look above it.
export GIT_CEILING_DIRECTORIES=$out
RUNS=${RUNS:-3}
FILES=${FILES:-100}
LEAVES=${LEAVES:-280}

CGO_ENABLED=0 go build -tags urfave_cli_no_docs -o "$out/sv" .
go build -o "$out/measure" ./bench/measure
go build -o "$out/genvalues" ./bench/genvalues
sops=$(go tool -modfile=tools/go.mod -n sops)
export SOPS_DISABLE_VERSION_CHECK=1
unset SOPS_AGE_KEY SOPS_AGE_KEY_CMD SOPS_AGE_SSH_PRIVATE_KEY_FILE
for k in alice bob; do
  [ -f "$out/$k.key" ] || "$out/sv" keygen -o "$out/$k.key" 2>"$out/$k.pub"
done
alice=$(sed 's/^Public key: //' "$out/alice.pub")
bob=$(sed 's/^Public key: //' "$out/bob.pub")
export SOPS_AGE_KEY_FILE="$out/alice.key"

rules() { # rules PROD_RECIPIENTS
  printf 'creation_rules:\n'
  for e in dev staging; do printf '  - path_regex: ^%s/\n    age: %s,%s\n' "$e" "$alice" "$bob"; done
  printf '  - path_regex: ^prod/\n    age: %s\n' "$1"
}

tree=$out/src
if [ ! -f "$tree/.done-$FILES-$LEAVES" ]; then
  echo "writing the tree with sops ($((3 * FILES)) files)..." >&2
  rm -rf "$tree"
  mkdir -p "$tree"/{dev,staging,prod}
  rules "$alice,$bob" > "$tree/.sops.yaml"
  for e in dev staging prod; do
    for i in $(seq 1 "$FILES"); do
      "$out/genvalues" $((LEAVES - 10 + i % 20)) > "$tree/$e/values-$i.yaml"
    done
  done
  (cd "$tree" && for f in */*.yaml; do "$sops" encrypt -i "$f"; done)
  touch "$tree/.done-$FILES-$LEAVES"
fi
files=$(cd "$tree" && ls -d */*.yaml | wc -l)
bytes=$(cat "$tree"/*/*.yaml | wc -c)
echo "tree: $files files written by sops, $((bytes / files / 1024)) KB each on average; $(nproc) cores; median of $RUNS runs"

printf '%-12s %-40s %9s %9s %9s %9s\n' task command wall_ms cpu_ms wall_x cpu_x
row() { # row TASK NAME WALL CPU BASE_WALL BASE_CPU
  awk -v t="$1" -v n="$2" -v w="$3" -v c="$4" -v bw="${5:-}" -v bc="${6:-}" \
    'BEGIN { if (bw == "") printf "%-12s %-40s %9.0f %9.0f %9s %9s\n", t, n, w, c, "-", "-";
             else printf "%-12s %-40s %9.0f %9.0f %8.1fx %8.1fx\n", t, n, w, c, bw / w, bc / c }'
}

cd "$tree"
"$out/sv" decrypt */*.yaml > /dev/null   # every file opens
read -r s_ms s_cpu _ < <("$out/measure" "$RUNS" sh -c 'for f in */*.yaml; do "$0" decrypt "$f"; done' "$sops")
read -r l_ms l_cpu _ < <("$out/measure" "$RUNS" sh -c 'for f in */*.yaml; do "$0" decrypt "$f"; done' "$out/sv")
read -r a_ms a_cpu _ < <("$out/measure" "$RUNS" sh -c '"$0" decrypt */*.yaml' "$out/sv")
read -r o_ms o_cpu _ < <(GOMAXPROCS=1 "$out/measure" "$RUNS" sh -c '"$0" decrypt */*.yaml' "$out/sv")
row decrypt "loop: sops decrypt FILE" "$s_ms" "$s_cpu"
row decrypt "loop: sv decrypt FILE" "$l_ms" "$l_cpu" "$s_ms" "$s_cpu"
row decrypt "sv decrypt FILE... (GOMAXPROCS=1)" "$o_ms" "$o_cpu" "$s_ms" "$s_cpu"
row decrypt "sv decrypt FILE..." "$a_ms" "$a_cpu" "$s_ms" "$s_cpu"

# updatekeys: bob leaves prod.
work=$out/work
rules "$alice" > "$out/sops-after.yaml"
fresh='rm -rf "$W" && cp -a "$T" "$W" && cp "$R" "$W/.sops.yaml" && cd "$W"'
export W="$work" T="$tree" R="$out/sops-after.yaml" SV="$out/sv" SOPS="$sops"
read -r c_ms c_cpu _ < <("$out/measure" "$RUNS" sh -c "$fresh")
read -r s_ms s_cpu _ < <("$out/measure" "$RUNS" sh -c "$fresh"' && for f in */*.yaml; do "$SOPS" updatekeys -y "$f" >/dev/null 2>&1; done')
read -r a_ms a_cpu _ < <("$out/measure" "$RUNS" sh -c "$fresh"' && "$SV" updatekeys -y . >/dev/null 2>&1')
read -r o_ms o_cpu _ < <(GOMAXPROCS=1 "$out/measure" "$RUNS" sh -c "$fresh"' && "$SV" updatekeys -y . >/dev/null 2>&1')
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a - b }'; }
s_ms=$(sub "$s_ms" "$c_ms") s_cpu=$(sub "$s_cpu" "$c_cpu")
row updatekeys "loop: sops updatekeys -y FILE" "$s_ms" "$s_cpu"
row updatekeys "sv updatekeys -y . (GOMAXPROCS=1)" "$(sub "$o_ms" "$c_ms")" "$(sub "$o_cpu" "$c_cpu")" "$s_ms" "$s_cpu"
row updatekeys "sv updatekeys -y ." "$(sub "$a_ms" "$c_ms")" "$(sub "$a_cpu" "$c_cpu")" "$s_ms" "$s_cpu"
# both tools must have changed exactly the prod files
(eval "$fresh" && "$SV" updatekeys -y . >/dev/null 2>&1 && "$SV" status . | grep -c '^  matches:    yes$') | grep -qx "$files" || { echo "sv updatekeys left files unmatched" >&2; exit 1; }
