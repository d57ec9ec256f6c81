#!/bin/sh
# The default guest boots to its init, runs a command given on the kernel
# command line, prints what it computed, and powers off: Berth exits 0.
# With --timings every milestone is printed, in a sensible order.
. "$(dirname "$0")/lib.sh"

run_guest_command boot 'echo berth-says-$((6*7)); uname -r; cat /sys/bus/pci/devices/0000:00:00.0/vendor; dmesg | grep -c BIOS-e820' --timings
expect_status boot 0
expect_output boot 'berth-says-42'
expect_output boot "$(cat "$ROOT/build/guest/kernel-version")"
expect_output boot '0x1b36'  # the PCI host bridge, found through the DSDT and port 0xCF8
expect_output boot 'command exited with status 0'
expect_stderr boot 'guest powered off'

# Every milestone is reported, and the host-side ones in causal order.
previous=-1
for milestone in kvm-ready memory-mapped kernel-loaded first-kvm-run guest-init-reached vm-stopped; do
    line=$(grep " us  $milestone\$" "$TMP/boot.err") || fail "timings lack $milestone"
    us=$(echo "$line" | awk '{print $2}')
    [ "$us" -ge "$previous" ] || fail "$milestone at $us us comes before the previous milestone ($previous us)"
    previous=$us
done
grep -q ' us  first-serial-byte$' "$TMP/boot.err" || fail "timings lack first-serial-byte"
# The printed list is sorted by time.
awk '/ us  /{ if ($2 < last) bad = 1; last = $2 } END { exit bad }' "$TMP/boot.err" ||
    fail "timeline is not printed in time order"
echo "ok: guest ran the command; timeline complete"

# The same kernel uncompressed (build/guest/vmlinux, an ELF file from
# guest/extract-vmlinux): Berth loads its segments and enters startup_64
# directly, without the bzImage's decompressor. The guest must see the same
# kernel, command line and RAM map.
KERNEL=$ROOT/build/guest/vmlinux
[ -f "$KERNEL" ] || fail "missing $KERNEL: run ./scripts/setup"
run_guest_command vmlinux 'echo berth-says-$((6*7)); uname -r; cat /proc/cmdline; dmesg | grep -c BIOS-e820' --timings
expect_status vmlinux 0
expect_output vmlinux 'berth-says-42'
expect_output vmlinux "$(cat "$ROOT/build/guest/kernel-version")"
expect_output vmlinux "$GUEST_CMDLINE -- echo"
expect_output vmlinux 'command exited with status 0'
expect_stderr vmlinux 'guest powered off'
# The e820 map the kernel printed has as many entries as with the bzImage.
bz_e820=$(sed -n 's/^\([0-9][0-9]*\)\r*$/\1/p' "$TMP/boot.out" | tail -n 1)
vm_e820=$(sed -n 's/^\([0-9][0-9]*\)\r*$/\1/p' "$TMP/vmlinux.out" | tail -n 1)
[ -n "$bz_e820" ] && [ "$bz_e820" -ge 4 ] || fail "boot: the kernel logged ${bz_e820:-no} BIOS-e820 lines"
[ "$vm_e820" = "$bz_e820" ] || fail "vmlinux: the kernel logged ${vm_e820:-no} BIOS-e820 lines, the bzImage $bz_e820"
grep -q ' us  guest-init-reached$' "$TMP/vmlinux.err" || fail "vmlinux: timings lack guest-init-reached"
echo "ok: the uncompressed vmlinux boots the same guest ($vm_e820 e820 entries)"
