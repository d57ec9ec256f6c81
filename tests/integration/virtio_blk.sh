#!/bin/sh
# --disk: Linux's virtio_blk driver reads what the host wrote into an image,
# writes bytes the host then finds in the file, sees a read-only disk as
# read-only (and cannot change it), reads the serial, writes a file to an
# ext4 root given with root=, and boots into it; a second Berth cannot open
# an image the first one writes.
. "$(dirname "$0")/lib.sh"

sum() { sha256sum | cut -d' ' -f1; }

# --- Two raw disks: vda writable, vdb read-only --------------------------------
dd if=/dev/urandom of="$TMP/data.img" bs=1M count=8 2>/dev/null
dd if=/dev/urandom of="$TMP/ro.img" bs=1M count=1 2>/dev/null
first_half=$(dd if="$TMP/data.img" bs=1M count=4 2>/dev/null | sum)
ro_before=$(sum <"$TMP/ro.img")

# The guest prints the checksum of the first 4 MiB of vda, writes 2 MiB of its
# own random bytes at 4 MiB (conv=fsync: flushed through VIRTIO_BLK_T_FLUSH),
# then tries to overwrite vdb.
guest='echo read=$(dd if=/dev/vda bs=1M count=4 2>/dev/null | sha256sum | cut -c1-64)
dd if=/dev/urandom of=/tmp/w bs=1M count=2 2>/dev/null
echo wrote=$(sha256sum </tmp/w | cut -c1-64)
dd if=/tmp/w of=/dev/vda bs=1M seek=4 conv=fsync 2>/dev/null && echo write-ok
echo serial=$(cat /sys/block/vda/serial) size=$(cat /sys/block/vda/size) ro=$(cat /sys/block/vdb/ro)
dd if=/dev/zero of=/dev/vdb bs=512 count=1 conv=fsync 2>/dev/null
echo ro-write-status=$?'
run_guest_script disks "$guest" --disk "$TMP/data.img,serial=berth-disk-1" --disk "$TMP/ro.img,ro"
expect_status disks 0
expect_output disks "read=$first_half"
expect_output disks 'write-ok'
expect_output disks 'serial=berth-disk-1 size=16384 ro=1'
grep -q 'ro-write-status=[1-9]' "$TMP/disks.out" || fail "disks: writing the read-only disk did not fail"
wrote=$(sed -n 's/.*wrote=\([0-9a-f]\{64\}\).*/\1/p' "$TMP/disks.out" | head -n 1)
[ -n "$wrote" ] || fail "disks: the guest did not print what it wrote"
on_disk=$(dd if="$TMP/data.img" bs=1M skip=4 count=2 2>/dev/null | sum)
[ "$on_disk" = "$wrote" ] || fail "disks: the image holds $on_disk at 4 MiB, the guest wrote $wrote"
[ "$(sum <"$TMP/ro.img")" = "$ro_before" ] || fail "disks: the read-only image changed"
echo "ok: bytes read and written through virtio-blk; the read-only disk stayed unchanged"

# --- An ext4 root file system (mkfs.ext4 -d: no loop mount needed) -------------
mkdir -p "$TMP/tree/bin" "$TMP/tree/sbin" "$TMP/tree/proc"
cp /bin/busybox "$TMP/tree/bin/busybox"
echo "hello from the root disk" >"$TMP/tree/hello.txt"
cat >"$TMP/tree/sbin/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox echo "disk-init: pid $$ says $(/bin/busybox cat /hello.txt)"
/bin/busybox poweroff -f
INIT
chmod 755 "$TMP/tree/sbin/init"
mkfs.ext4 -q -d "$TMP/tree" -L berthroot "$TMP/root.img" 16M || fail "mkfs.ext4 failed"

# Command mode: the disk is mounted on /sysroot and the command runs.
run_berth rootcmd --disk "$TMP/root.img" --cmdline "$GUEST_CMDLINE root=LABEL=berthroot -- cat /sysroot/hello.txt"
expect_status rootcmd 0
expect_output rootcmd 'hello from the root disk'
# rw: the guest writes a file and syncs; after power-off the host finds it in
# the image (debugfs reads ext4 without mounting it).
run_berth rootwrite --disk "$TMP/root.img" \
    --cmdline "$GUEST_CMDLINE root=/dev/vda rw -- echo written-by-the-guest >/sysroot/guest.txt && sync"
expect_status rootwrite 0
expect_output rootwrite 'command exited with status 0'
debugfs -R 'cat /guest.txt' "$TMP/root.img" 2>/dev/null | grep -q '^written-by-the-guest$' ||
    fail "rootwrite: the file the guest wrote is not in the image"
# No command: switch_root into the disk and run its /sbin/init as PID 1.
run_berth rootinit --disk "$TMP/root.img" --cmdline "$GUEST_CMDLINE root=/dev/vda"
expect_status rootinit 0
expect_output rootinit 'disk-init: pid 1 says hello from the root disk'
echo "ok: the guest mounted an ext4 root from virtio-blk, wrote a file the host reads back, and ran its init"

# --- A second Berth on the same writable image is refused ---------------------
start_shell holder "$GUEST_CMDLINE" --disk "$TMP/data.img"
run_berth second --disk "$TMP/data.img"
expect_status second 2
expect_stderr second 'in use by another process'
printf 'poweroff\r' >&3
finish
expect_status holder 0
echo "ok: a second Berth could not open the image the first one had"
