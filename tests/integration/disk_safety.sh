#!/bin/sh
# What Berth does with the host's files around the guest's disks:
#   - a read-only disk (,ro) is open O_RDONLY, under a shared flock, and its
#     bytes stay the same whatever the guest tries; a writable one is open
#     O_RDWR under an exclusive flock that other processes meet too;
#   - a disk on a full host file system (a tmpfs of 8 MiB holding a 64 MiB
#     sparse image; needs root, else that part is skipped) makes the guest
#     see I/O errors: every write acknowledged to the guest is in the image,
#     the failed ones fail (with O_DIRECT and through fsync), Berth says so
#     once, keeps running, and the guest reads its earlier data back;
#   - SIGTERM stops Berth (143) with a write the guest never flushed in the
#     image and every image unlocked; the next start reads it all back;
#     SIGINT stops that one (130), again leaving nothing locked.
# That each stop also fdatasyncs the writable images is checked inside one
# process by tests/lifecycle/vm_cycles.cpp (the vm_cycles test).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/disk_lib.sh"

dd if=/dev/urandom of="$TMP/data.img" bs=1M count=8 2>/dev/null
dd if=/dev/urandom of="$TMP/ro.img" bs=1M count=1 2>/dev/null
ro_before=$(sha <"$TMP/ro.img")

# The full file system: a tmpfs of 8 MiB, lazily unmounted at the end (a
# Berth killed by fail() may still be letting go of it).
full=
if [ "$(id -u)" = 0 ] && mkdir "$TMP/full" && mount -t tmpfs -o size=8m tmpfs "$TMP/full"; then
    trap 'umount -l "$TMP/full" 2>/dev/null; rm -rf "$TMP"' EXIT
    truncate -s 64M "$TMP/full/full.img"
    full=$TMP/full/full.img
else
    echo "skipped: the full-file-system part (needs root to mount a tmpfs)"
fi

# --- Boot 1: read-only, full, an unflushed write, SIGTERM --------------------
guest='dd if=/dev/zero of=/dev/vdb bs=512 count=1 oflag=direct 2>/dev/null
echo ro-write-status=$?
dd if=/dev/urandom of=/tmp/u bs=4096 count=16 2>/dev/null
echo unflushed=$(sha256sum </tmp/u | cut -c1-64)
# O_DIRECT and no fsync: the device gets the writes and never a FLUSH.
dd if=/tmp/u of=/dev/vda bs=4096 seek=256 oflag=direct 2>/dev/null && echo unflushed-written'
if [ -n "$full" ]; then
    guest="$guest"'
dd if=/dev/urandom of=/tmp/f bs=1M count=4 2>/dev/null
dd if=/tmp/f of=/dev/vdc bs=1M conv=fsync 2>/dev/null && echo full-first=$(sha256sum </tmp/f | cut -c1-64)
# 1 MiB blocks from 8 MiB on, O_DIRECT: dd fails at the first block the
# device fails; each block it acknowledged is printed with its checksum.
b=8
while [ $b -lt 24 ]; do
    dd if=/dev/urandom of=/tmp/b bs=1M count=1 2>/dev/null
    dd if=/tmp/b of=/dev/vdc bs=1M seek=$b count=1 oflag=direct 2>/dev/null || break
    echo "full-block $b $(sha256sum </tmp/b | cut -c1-64)"
    b=$((b + 1))
done
echo full-failed-at=$b
# Through the page cache: the error reaches fsync.
dd if=/tmp/b of=/dev/vdc bs=1M seek=40 count=1 conv=fsync 2>/dev/null
echo fsync-write-status=$?
echo io-errors=$(dmesg | grep -c "I/O error")
echo 3 >/proc/sys/vm/drop_caches
echo full-reread=$(dd if=/dev/vdc bs=1M count=4 iflag=direct 2>/dev/null | sha256sum | cut -c1-64)'
    disks="--disk $TMP/data.img --disk $TMP/ro.img,ro --disk $full"
else
    disks="--disk $TMP/data.img --disk $TMP/ro.img,ro"
fi
guest="$guest"'
echo safety-waiting
sleep 100000'
# shellcheck disable=SC2086 # $disks: words on purpose (no blanks in $TMP)
start_guest_script boot1 "$guest" $disks
wait_marker boot1 safety-waiting
expect_output boot1 'unflushed-written'
grep -q 'ro-write-status=[1-9]' "$TMP/boot1.out" || fail "boot1: writing the read-only disk did not fail"

# How Berth holds the images, while it runs: each descriptor's access mode
# (the last octal digit of fdinfo's flags: 0 O_RDONLY, 2 O_RDWR) ...
modes_of() {  # IMAGE: the access modes of Berth's descriptors for IMAGE
    want=$(readlink -f "$1")
    for fd in /proc/"$berth_pid"/fd/*; do
        [ "$(readlink "$fd")" = "$want" ] || continue
        flags=$(sed -n 's/^flags:[[:space:]]*//p' /proc/"$berth_pid"/fdinfo/"${fd##*/}")
        echo $((${flags#"${flags%?}"} & 3))
    done | sort -u | tr '\n' ' '
}
[ "$(modes_of "$TMP/ro.img")" = "0 " ] ||
    fail "boot1: the read-only image is open with access modes '$(modes_of "$TMP/ro.img")', not only O_RDONLY (0)"
[ "$(modes_of "$TMP/data.img")" = "2 " ] ||
    fail "boot1: the writable image is open with access modes '$(modes_of "$TMP/data.img")', not O_RDWR (2)"
# ... its flocks, as the kernel lists them ...
has_flock() {  # KIND IMAGE
    grep -Eq "FLOCK +ADVISORY +$1 +$berth_pid +[0-9a-f]+:[0-9a-f]+:$(stat -c %i "$2") " /proc/locks
}
has_flock READ "$TMP/ro.img" || fail "boot1: no shared flock on the read-only image in /proc/locks"
has_flock WRITE "$TMP/data.img" || fail "boot1: no exclusive flock on the writable image in /proc/locks"
# ... and what another process meets: a writer is kept out of both, a reader
# shares the read-only one.
command -v flock >/dev/null || fail "flock(1) is missing (util-linux)"
flock -n -x "$TMP/data.img" true && fail "boot1: another process could lock the image Berth writes"
flock -n -x "$TMP/ro.img" true && fail "boot1: another process could lock the read-only image for writing"
flock -n -s "$TMP/ro.img" true || fail "boot1: another reader could not share the read-only image"
echo "ok: the read-only image is open O_RDONLY under a shared flock, the writable one O_RDWR under an exclusive flock that another process meets"

stop_with TERM
expect_status boot1 143
expect_stderr boot1 'stopped by signal SIGTERM'
grep -q 'flushing the image at stop failed' "$TMP/boot1.err" && fail "boot1: a flush at stop failed"
[ "$(sha <"$TMP/ro.img")" = "$ro_before" ] || fail "boot1: the read-only image changed"
unflushed=$(sed -n 's/.*unflushed=\([0-9a-f]\{64\}\).*/\1/p' "$TMP/boot1.out" | head -n 1)
[ -n "$unflushed" ] || fail "boot1: the guest did not print what it wrote"
[ "$(dd if="$TMP/data.img" bs=4096 skip=256 count=16 2>/dev/null | sha)" = "$unflushed" ] ||
    fail "boot1: the write the guest never flushed is not in the image after SIGTERM"
expect_unlocked "$TMP/data.img"
expect_unlocked "$TMP/ro.img"
echo "ok: SIGTERM: status 143, the unflushed write in the image, the read-only image unchanged, nothing left locked"

if [ -n "$full" ]; then
    first=$(sed -n 's/.*full-first=\([0-9a-f]\{64\}\).*/\1/p' "$TMP/boot1.out" | head -n 1)
    [ -n "$first" ] || fail "boot1: the first 4 MiB did not fit on the 8 MiB file system"
    [ "$(head -c 4194304 "$full" | sha)" = "$first" ] || fail "boot1: the first 4 MiB are not in the image"
    failed_at=$(sed -n 's/.*full-failed-at=\([0-9]*\).*/\1/p' "$TMP/boot1.out" | head -n 1)
    [ -n "$failed_at" ] && [ "$failed_at" -lt 24 ] ||
        fail "boot1: the guest never saw a write fail on the full file system"
    acknowledged=0
    # Every block the guest was told was written is in the image.
    sed -n 's/.*full-block \([0-9]*\) \([0-9a-f]\{64\}\).*/\1 \2/p' "$TMP/boot1.out" >"$TMP/blocks"
    while read -r block sum; do
        [ "$(dd if="$full" bs=1M skip="$block" count=1 2>/dev/null | sha)" = "$sum" ] ||
            fail "boot1: block $block was acknowledged to the guest but the image does not hold it"
        acknowledged=$((acknowledged + 1))
    done <"$TMP/blocks"
    grep -q 'fsync-write-status=[1-9]' "$TMP/boot1.out" ||
        fail "boot1: fsync after a write to the full disk did not fail"
    grep -q 'io-errors=[1-9]' "$TMP/boot1.out" || fail "boot1: the guest kernel logged no I/O error"
    expect_output boot1 "full-reread=$first"
    [ "$(grep -c 'I/O error, reported to the guest: No space left on device' "$TMP/boot1.err")" -eq 1 ] ||
        fail "boot1: Berth did not say once that the disk's writes failed with ENOSPC"
    expect_unlocked "$full"
    echo "ok: full file system: $acknowledged blocks of 1 MiB acknowledged and in the image, the write of block $failed_at failed with an I/O error in the guest (O_DIRECT and fsync), Berth kept running and the guest read its first 4 MiB back"
fi

# --- Boot 2: the next start after SIGTERM reads it all back; SIGINT ----------
guest='echo again-unflushed=$(dd if=/dev/vda bs=4096 skip=256 count=16 iflag=direct 2>/dev/null | sha256sum | cut -c1-64)'
[ -z "$full" ] ||
    guest="$guest"'
echo again-full=$(dd if=/dev/vdc bs=1M count=4 iflag=direct 2>/dev/null | sha256sum | cut -c1-64)'
guest="$guest"'
echo safety2-waiting
sleep 100000'
# shellcheck disable=SC2086
start_guest_script boot2 "$guest" $disks
wait_marker boot2 safety2-waiting
expect_output boot2 "again-unflushed=$unflushed"
[ -z "$full" ] || expect_output boot2 "again-full=$first"
stop_with INT
expect_status boot2 130
expect_stderr boot2 'stopped by signal SIGINT'
expect_unlocked "$TMP/data.img"
[ "$(sha <"$TMP/ro.img")" = "$ro_before" ] || fail "boot2: the read-only image changed"
echo "ok: Berth started again on the images SIGTERM left, the guest read its data back, and SIGINT stopped it (130) with nothing left locked"
