#!/bin/sh
# The default guest boots to its init, runs a command given on the kernel
# command line, prints what it computed, and powers off: Berth exits 0.
# With --timings every milestone is printed, in a sensible order.
. "$(dirname "$0")/lib.sh"

run_guest_command boot 'echo berth-says-$((6*7)); uname -r; cat /sys/bus/pci/devices/0000:00:00.0/vendor' --timings
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
