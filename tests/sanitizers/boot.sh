#!/bin/sh
# One boot of the default guest under the sanitized berth ($BERTH, set by
# tests/sanitizers/run.sh) with a disk, the rng and the virtio console, so
# the virtqueue, virtio-blk, virtio-rng and virtio-console paths run under
# ASan and UBSan. Any sanitizer report makes Berth exit non-zero.
. "$(dirname "$0")/../integration/lib.sh"

head -c 1048576 /dev/urandom >"$TMP/disk.img"
expected=$(md5sum <"$TMP/disk.img" | cut -d' ' -f1)
# --seccomp off: the sanitizers' runtime makes system calls of its own that
# no thread's allow-list has (LeakSanitizer, at exit, stops the world with
# clone and ptrace; ASan gives its shadow memory madvise hints). The filters
# are tested with the normal build (tests/integration/seccomp.sh).
run_guest_command sanitized \
    "md5sum /dev/vda; head -c 64 /dev/hwrng | wc -c; echo hvc-ok >/dev/hvc0; echo sanitized-boot-done" \
    --disk "$TMP/disk.img,ro" --rng --console virtio --seccomp off
[ "$STATUS" -eq 0 ] || fail "sanitized boot: status $STATUS (a sanitizer report ends Berth with an error)"
grep -q "^$expected " "$TMP/sanitized.out" || fail "sanitized boot: the guest's checksum of the disk is wrong"
grep -q '^ *64[[:space:]]*$' "$TMP/sanitized.out" || fail "sanitized boot: no 64 bytes from /dev/hwrng"
grep -q 'hvc-ok' "$TMP/sanitized.out" || fail "sanitized boot: nothing came through hvc0"
grep -q 'sanitized-boot-done' "$TMP/sanitized.out" || fail "sanitized boot: the guest did not finish"
if grep -q 'ERROR: AddressSanitizer\|runtime error:' "$TMP/sanitized.err"; then
    fail "sanitized boot: a sanitizer reported an error"
fi
echo "ok: the default guest booted under ASan + UBSan with virtio-blk, virtio-rng and virtio-console"
