#!/usr/bin/env bash
# Prints the Debian packages that provide the shared libraries a binary links, one per line:
# the runtime image installs these instead of the whole build toolchain of .ci/packages.txt.
set -euo pipefail
binary=${1:?usage: runtime-packages.sh BINARY}
mapfile -t libraries < <(ldd "$binary" | awk '$3 ~ /^\// { print $3 }')
# bookworm registers some libraries under /lib, others under /usr/lib (merged /usr): ask dpkg
# about both spellings of each real path at once (one dpkg call: it is slow to start).
candidates=()
for library in "${libraries[@]}"; do
  real=$(realpath "$library")
  candidates+=("$real" "${real#/usr}")
done
owners=$(dpkg -S "${candidates[@]}" 2>/dev/null || true)
for library in "${libraries[@]}"; do
  real=$(realpath "$library")
  if ! grep -q -e ": $real\$" -e ": ${real#/usr}\$" <<<"$owners"; then
    echo "runtime-packages.sh: no Debian package owns $library" >&2
    exit 1
  fi
done
cut -d: -f1 <<<"$owners" | sort -u
