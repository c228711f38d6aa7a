#!/usr/bin/env bash
# Before a release: clone the repository into a temporary folder and run the
# README's two commands there, exactly as a newcomer would.
#   bash tools/fresh_clone_check.sh            # clones HEAD of this checkout
#   KEEP=1 bash tools/fresh_clone_check.sh     # keep the temporary folder
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
dir="$(mktemp -d)"
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$dir"' EXIT
git clone --quiet "$src" "$dir/mlhw-book"
cd "$dir/mlhw-book"
echo "[fresh-clone] $(git log -1 --oneline) in $dir/mlhw-book"
start=$(date +%s)
make book
built=$(date +%s)
make book >/dev/null
noop=$(date +%s)
make test
done_=$(date +%s)
echo "[fresh-clone] make book: $((built - start)) s; no-op make book: $((noop - built)) s; make test: $((done_ - noop)) s"
