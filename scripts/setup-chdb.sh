#!/usr/bin/env bash
# setup-chdb.sh fetches the pinned libchdb.so (ClickHouse as a shared library)
# from npm, checks its sha512 integrity and installs it into the user cache,
# where store/chdb looks for it. Idempotent: does nothing when it is present.
set -euo pipefail

PKG="@chdb/lib-linux-x64-gnu"
VERSION="26.7.3-stable.1"
INTEGRITY="sha512-XP97mMqnc5tZpKQywR8N7cLTsHNiTmHr30pC5mzo3jWmukjKn2IBa60c2B/gWUNcuFjOMjWoorQICCqBVj5wpw=="

CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/flowslo"
DEST_DIR="$CACHE/chdb/$VERSION"
DEST="$DEST_DIR/libchdb.so"

if [ -s "$DEST" ]; then
	echo "$DEST"
	exit 0
fi

case "$(uname -s)-$(uname -m)" in
Linux-x86_64) ;;
*) echo "setup-chdb: $PKG only exists for linux x86_64, not $(uname -s)-$(uname -m)" >&2; exit 1 ;;
esac

mkdir -p "$DEST_DIR"
TMP="$(mktemp -d "$DEST_DIR/.setup.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

# npm pack downloads the tarball (178 MB) without installing anything.
TGZ="$TMP/$(cd "$TMP" && npm pack --silent "$PKG@$VERSION" | tail -n 1)"

got="sha512-$(openssl dgst -sha512 -binary "$TGZ" | base64 -w0)"
if [ "$got" != "$INTEGRITY" ]; then
	echo "setup-chdb: integrity mismatch for $PKG@$VERSION: got $got, want $INTEGRITY" >&2
	exit 1
fi

tar -xzf "$TGZ" -C "$TMP" package/libchdb.so
chmod 0755 "$TMP/package/libchdb.so"
# rename in the same directory: a reader never sees a half-written library.
mv "$TMP/package/libchdb.so" "$DEST"
echo "$DEST"
