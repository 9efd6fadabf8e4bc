#!/usr/bin/env bash
# Builds the same inputs with two mpfs binaries and compares the warehouses byte for byte:
# the check that a refactoring changed no output. Inputs: the fixture mirror, and the real
# CMS sample when ../shared/cms-samples/rvu25d.zip is there; built once with `mpfs build`
# and once with `mpfs run` (run reports, which hold timestamps, are left out).
#
#   scripts/same-warehouse.sh OLD_MPFS NEW_MPFS
#
# Prints each differing file and exits 1, or prints the number of identical files. Files
# only the new warehouse has are listed; with ALLOW_ADDED=1 (a change that adds files on
# purpose) they do not fail the check, but files that differ or went missing always do.
set -euo pipefail
old=$(realpath "$1"); new=$(realpath "$2")
cd "$(dirname "$0")/.."
samples=${MPFS_SAMPLES:-../shared/cms-samples}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir -p "$work/mirror"
cp fixtures/mirror/*.zip "$work/mirror/"
[ -f "$samples/rvu25d.zip" ] && cp "$samples/rvu25d.zip" "$work/mirror/"

for side in old new; do
  bin=${!side}
  # Run from an empty folder so no config/mpfs.toml is picked up.
  (cd "$work" && "$bin" -qq build --mirror "$work/mirror" --warehouse "$work/$side-build/warehouse" >/dev/null)
  (cd "$work" && "$bin" -qq run --mirror "$work/mirror" --data-dir "$work/$side-run" >/dev/null) || [ $? -eq 4 ]
done

status=0
for kind in build run; do
  (cd "$work/old-$kind/warehouse" && find . -type f ! -path './_runs/*' | sort) > "$work/old-$kind.files"
  (cd "$work/new-$kind/warehouse" && find . -type f ! -path './_runs/*' | sort) > "$work/new-$kind.files"
  missing=$(comm -23 "$work/old-$kind.files" "$work/new-$kind.files")
  added=$(comm -13 "$work/old-$kind.files" "$work/new-$kind.files")
  for file in $missing; do echo "$kind: $file is missing from the new warehouse"; status=1; done
  for file in $added; do
    echo "$kind: $file is new"
    [ "${ALLOW_ADDED:-0}" = 1 ] || status=1
  done
  comm -12 "$work/old-$kind.files" "$work/new-$kind.files" > "$work/common-$kind.files"
  same=0
  while read -r file; do
    if cmp -s "$work/old-$kind/warehouse/$file" "$work/new-$kind/warehouse/$file"; then
      same=$((same + 1))
    else
      echo "$kind: $file differs"; status=1
    fi
  done < "$work/common-$kind.files"
  echo "$kind: $same files byte-identical"
done
exit $status
