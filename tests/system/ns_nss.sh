# The installed libnss_cognito.so.2 (not the test build) as glibc itself
# finds it, for tests that run real programs in a private mount namespace.
# Source it after lib.sh; call ns_nss_enable as root INSIDE the namespace
# (e.g. in a script run by `unshare --mount --propagation private`):
#
#   ns_nss_enable CACHE_DIR SCRATCH_DIR
#
# Afterwards, in that namespace only:
# - the built module is in the system library directory (the one libc.so.6
#   lives in, which glibc's NSS dlopen searches after ld.so.cache; on Debian
#   12 /lib is /usr/lib, so /lib/x86_64-linux-gnu is the same directory).
#   setuid programs (su, sudo) ignore LD_LIBRARY_PATH, so it is put there by
#   a read-only overlayfs whose top layer, in SCRATCH_DIR, holds the module;
# - CACHE_DIR is bind-mounted over the module's compiled-in cache directory
#   (NSS_CACHEDIR, `cachedir` of configure); when that directory does not
#   exist, an overlay over its deepest existing parent makes it;
# - /etc/nsswitch.conf is a copy with `cognito` after `files` for passwd
#   and group.
# Every change is a mount that dies with the namespace: the host's files
# are never written. Point a config's cache_dir at $NSS_CACHEDIR so that
# cognitoctl sync, pam_cognito and the module share one cache, as installed.

NSS_MODULE=${NSS_MODULE:-$top_builddir/nss_cognito/.libs/libnss_cognito.so.2}
if [ -z "${NSS_CACHEDIR:-}" ]; then
	# Run by hand, not by make check: ask the build tree's Makefile.
	NSS_CACHEDIR=$(printf 'ns_nss_cachedir:\n\t@echo $(cachedir)\n' |
		make -s --no-print-directory -C "$top_builddir" -f Makefile -f - ns_nss_cachedir 2>/dev/null)
fi

# ns_nss_layer DIR LAYER: LAYER's files appear in DIR, over DIR's own.
# LAYER's top directory gives DIR its owner and mode, so it copies DIR's.
ns_nss_layer() {
	chown --reference="$1" "$2" && chmod --reference="$1" "$2" &&
		mount -t overlay overlay -o "ro,lowerdir=$2:$1" "$1"
}

ns_nss_enable() {
	ns_cache=$1
	ns_scratch=$2
	[ -f "$NSS_MODULE" ] || { echo "ns_nss: no $NSS_MODULE: build first" >&2; return 1; }
	case $NSS_CACHEDIR in
	/*) ;;
	*) echo "ns_nss: NSS_CACHEDIR unknown: set it to the build's cachedir" >&2; return 1 ;;
	esac
	grep -qF "$NSS_CACHEDIR" "$NSS_MODULE" ||
		{ echo "ns_nss: $NSS_MODULE does not read $NSS_CACHEDIR" >&2; return 1; }

	ns_libdir=$(ldd "$(command -v getent)" | sed -n 's/^[[:space:]]*libc\.so\.6 => \(.*\)\/libc\.so\.6 .*/\1/p')
	ns_libdir=$(cd -P "$ns_libdir" && pwd -P) || return 1
	mkdir -p "$ns_scratch/lib" && cp "$NSS_MODULE" "$ns_scratch/lib/libnss_cognito.so.2" &&
		chmod 0644 "$ns_scratch/lib/libnss_cognito.so.2" &&
		ns_nss_layer "$ns_libdir" "$ns_scratch/lib" ||
		{ echo "ns_nss: cannot put the module into $ns_libdir" >&2; return 1; }

	if [ ! -d "$NSS_CACHEDIR" ]; then
		ns_parent=$NSS_CACHEDIR
		while [ ! -d "$ns_parent" ]; do
			ns_parent=$(dirname "$ns_parent")
		done
		mkdir -p "$ns_scratch/cachedir/${NSS_CACHEDIR#"$ns_parent"}" &&
			ns_nss_layer "$ns_parent" "$ns_scratch/cachedir" ||
			{ echo "ns_nss: cannot make $NSS_CACHEDIR" >&2; return 1; }
	fi
	mount --bind "$ns_cache" "$NSS_CACHEDIR" ||
		{ echo "ns_nss: cannot mount $ns_cache on $NSS_CACHEDIR" >&2; return 1; }

	awk '$1 == "passwd:" || $1 == "group:" {
		line = $1; added = 0
		for (i = 2; i <= NF; i++) {
			line = line " " $i
			if ($i == "files" && !added) { line = line " cognito"; added = 1 }
		}
		$0 = added ? line : line " cognito"
	} { print }' /etc/nsswitch.conf >"$ns_scratch/nsswitch.conf" &&
		mount --bind "$ns_scratch/nsswitch.conf" /etc/nsswitch.conf ||
		{ echo "ns_nss: cannot mount nsswitch.conf" >&2; return 1; }
}
