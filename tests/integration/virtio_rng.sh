#!/bin/sh
# --rng: Linux's own virtio_pci and virtio-rng modules find the device on the
# PCI bus, negotiate, and read entropy through the virtqueue; completions
# arrive as MSI-X interrupts.
. "$(dirname "$0")/lib.sh"

# berth.modules=1: the guest's init loads the virtio modules first.
run_berth rng --rng --cmdline "$GUEST_CMDLINE berth.modules=1 -- cat /sys/class/misc/hw_random/rng_current; head -c 32 /dev/hwrng | od -An -tx1; grep virtio0-input /proc/interrupts"
expect_status rng 0
expect_output rng 'virtio_rng.0'
expect_output rng 'PCI-MSI.*virtio0-input'
# 32 bytes came back: two od lines of 16 hex pairs, and not all the same.
lines=$(grep -cE '^ ([0-9a-f]{2} ){15}[0-9a-f]{2}' "$TMP/rng.out")
[ "$lines" -ge 2 ] || fail "rng: expected 32 bytes from /dev/hwrng, got $lines lines"
distinct=$(grep -E '^ ([0-9a-f]{2} ){15}' "$TMP/rng.out" | tr ' ' '\n' | grep . | sort -u | wc -l)
[ "$distinct" -gt 4 ] || fail "rng: the bytes look constant"
echo "ok: the guest read entropy from virtio-rng over virtio-pci with MSI-X"
