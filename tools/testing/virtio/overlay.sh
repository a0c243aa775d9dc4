#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Lay our in-tree files over the Linux 6.12 base tree in $BUILD:
#   1. extract /usr/src/linux-source-6.12.tar.xz once;
#   2. rsync every file we have under include/ drivers/ kernel/
#      Documentation/; rsync -c leaves unchanged files alone, so kbuild
#      rebuilds only what changed.  The base tree's other files stay,
#      drivers/virtio/ included: what our Kconfig does not build is
#      simply not built;
#   3. put back the base version of files we no longer carry;
#   4. gate the base-tree users of the upstream virtio API listed in
#      upstream-api-users behind VIRTIO_UPSTREAM_API, which is never set.
# The base version of every file we replace or edit is kept in
# $BUILD/pristine/, so every run starts from it and is idempotent.
#
# usage: overlay.sh [BUILD]        (default: $BUILD, else <repo>/build)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
BUILD=${1:-${BUILD:-$REPO/build}}
TARBALL=${TARBALL:-/usr/src/linux-source-6.12.tar.xz}
SRC=$BUILD/linux-source-6.12
PRISTINE=$BUILD/pristine
API_USERS=$HERE/upstream-api-users
ABSENT=.vtest-absent	# suffix of a marker: the base tree has no such file

die() { echo "overlay: $*" >&2; exit 1; }

grep -q '^config VIRTIO_UPSTREAM_API$' "$REPO/drivers/virtio/Kconfig" ||
	die "drivers/virtio/Kconfig must define VIRTIO_UPSTREAM_API"

# 1. The base tree, once.
if [ ! -e "$BUILD/.extracted" ]; then
	[ -r "$TARBALL" ] || die "$TARBALL missing: run 'make deps'"
	echo "overlay: extracting $TARBALL into $BUILD"
	rm -rf "$SRC" "$PRISTINE"
	mkdir -p "$BUILD"
	tar -xJf "$TARBALL" -C "$BUILD"
	[ -d "$SRC" ] || die "$TARBALL has no linux-source-6.12/"
	touch "$BUILD/.extracted" "$BUILD/.virtio-base"
fi
mkdir -p "$PRISTINE"

# A tree extracted by an earlier overlay.sh lacks the base drivers/virtio/
# (it was deleted then): bring back the base files we do not carry, and
# keep the base version of those we do, as step 2 would have.
if [ ! -e "$BUILD/.virtio-base" ]; then
	[ -r "$TARBALL" ] || die "$TARBALL missing: run 'make deps'"
	echo "overlay: restoring the base tree's drivers/virtio/"
	base=$(mktemp -d)
	tar -xJf "$TARBALL" -C "$base" linux-source-6.12/drivers/virtio
	for b in "$base"/linux-source-6.12/drivers/virtio/*; do
		f=drivers/virtio/${b##*/}
		if [ -e "$REPO/$f" ]; then
			mkdir -p "$PRISTINE/drivers/virtio"
			[ -e "$PRISTINE/$f" ] || cp -p "$b" "$PRISTINE/$f"
		else
			cp -p "$b" "$SRC/$f"
		fi
	done
	for r in "$REPO"/drivers/virtio/*; do
		f=drivers/virtio/${r##*/}
		[ -e "$PRISTINE/$f" ] || : >"$PRISTINE/$f$ABSENT"
	done
	rm -rf "$base"
	touch "$BUILD/.virtio-base"
fi

# Keep the base version of $1 (path in the tree) before we first change it.
save_pristine() {
	if [ -e "$PRISTINE/$1" ] || [ -e "$PRISTINE/$1$ABSENT" ]; then
		return 0
	fi
	mkdir -p "$(dirname "$PRISTINE/$1")"
	if [ -e "$SRC/$1" ]; then
		cp -p "$SRC/$1" "$PRISTINE/$1"
	else
		: >"$PRISTINE/$1$ABSENT"
	fi
}

# Replace $2 by $1 only if they differ, so its mtime changes only then.
install_if_changed() {
	if ! cmp -s "$1" "$2"; then
		cp "$1" "$2"
		echo "overlay: ${3:-updated} ${2#"$SRC"/}"
	fi
}

# 2. Our files.
ours=$(cd "$REPO" && for d in include drivers kernel Documentation; do
	[ ! -d "$d" ] || find "$d" -type f
done | sort)
for f in $ours; do
	save_pristine "$f"
done
printf '%s\n' "$ours" | rsync -rc --files-from=- --out-format='overlay: updated %n' \
	"$REPO/" "$SRC/" | sed '/\/$/d'

api_files=$(awk '!/^#/ && NF { print $1 }' "$API_USERS" | sort -u)

# 3. Base files we no longer carry or edit get their base version back.
for p in $(cd "$PRISTINE" && find . -type f | sed 's|^\./||'); do
	f=${p%"$ABSENT"}
	if grep -qxF "$f" <<<"$ours"$'\n'"$api_files"; then
		continue
	fi
	if [ "$p" != "$f" ]; then
		rm -f "$SRC/$f"
		echo "overlay: removed $f"
	else
		install_if_changed "$PRISTINE/$f" "$SRC/$f" restored
	fi
	rm -f "$PRISTINE/$p"
done

# 4. Gate the upstream-API users: "depends on VIRTIO_UPSTREAM_API" after
# each listed "config SYMBOL", applied to the base (or our) version.
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
for k in $api_files; do
	if [ -e "$REPO/$k" ]; then
		base=$REPO/$k
	else
		save_pristine "$k"
		base=$PRISTINE/$k
	fi
	[ -e "$base" ] || die "upstream-api-users: $k does not exist"
	syms=$(awk -v k="$k" '!/^#/ && $1 == k { print $2 }' "$API_USERS")
	awk -v syms="$syms" -v k="$k" '
		BEGIN { n = split(syms, s); for (i = 1; i <= n; i++) want[s[i]] = 1 }
		{ print }
		/^(menu)?config[ \t]+[A-Za-z0-9_]+[ \t]*$/ && ($2 in want) {
			print "\tdepends on VIRTIO_UPSTREAM_API"
			found[$2] = 1
		}
		END {
			for (w in want)
				if (!(w in found)) {
					print "overlay: no \"config " w "\" in " k > "/dev/stderr"
					exit 1
				}
		}' "$base" >"$tmp" || die "upstream-api-users is out of date"
	install_if_changed "$tmp" "$SRC/$k"
done

echo "overlay: $SRC has $(wc -w <<<"$ours") files of ours," \
	"$(awk '!/^#/ && NF' "$API_USERS" | wc -l) upstream-API users gated"
