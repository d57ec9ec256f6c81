#!/bin/sh
# Without /dev/kvm, or without permission to open it, Berth says so in one
# line that names scripts/kvm-sandbox, and exits 2. Needs root to build a
# private /dev in a new mount namespace; reports "skipped" (77) otherwise.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null || ! command -v setpriv >/dev/null; then
    echo "skipped: needs root, unshare and setpriv"
    exit 77
fi

check() {  # NAME PATTERN SETUP-COMMANDS PREFIX
    name=$1
    STATUS=0
    unshare --mount sh -c "mount -t tmpfs none /dev && $3 && exec $4 \"$BERTH\" run --kernel \"$KERNEL\" --initrd \"$INITRD\"" \
        </dev/null >"$TMP/$name.out" 2>"$TMP/$name.err" || STATUS=$?
    expect_status "$name" 2
    [ "$(wc -l <"$TMP/$name.err")" -eq 1 ] || fail "$name: expected one line: $(cat "$TMP/$name.err")"
    expect_stderr "$name" "$2"
    expect_stderr "$name" 'scripts/kvm-sandbox'
    echo "ok: $name -> $(cat "$TMP/$name.err")"
}

check no-kvm '/dev/kvm does not exist' true ''
# A private /dev/kvm node (KVM's fixed major/minor) only root may open.
check no-permission 'no permission to open /dev/kvm' \
    'mknod /dev/kvm c 10 232 && chmod 600 /dev/kvm' 'setpriv --reuid=65534 --regid=65534 --clear-groups'
