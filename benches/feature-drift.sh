#!/usr/bin/env bash
# Prints every crate whose feature set differs between the run build (`cargo run --release`)
# and the test build (`cargo test --release`). A line naming a crate that polars also uses
# means the test build recompiles polars: add the feature to the alignment block in
# Cargo.toml. Crates only the tests use (insta, proptest, png, …) are not compared.
set -euo pipefail
cd "$(dirname "$0")/.."
tree() { cargo tree -e "$1" -f '{p} {f}' --prefix none | sed -e 's/ (\*)$//' -e 's/ *$//' | sort -u; }
run=$(tree normal,build)
all=$(tree normal,build,dev)
names=$(printf '%s\n' "$run" | awk '{print $1" "$2}' | sort -u)
comm -13 <(printf '%s\n' "$run") <(printf '%s\n' "$all") | while read -r name ver feats; do
  if grep -qxF "$name $ver" <<<"$names"; then echo "$name $ver: test build adds ($feats)"; fi
done
