#!/bin/sh
# --memory gives the guest that much RAM: below the 32-bit MMIO hole, and
# split around it for a guest larger than 3 GiB.
. "$(dirname "$0")/lib.sh"

check_memory() {  # SIZE_MIB: MemTotal must be at most SIZE and at least 85% of it
    size_mib=$1
    name="mem$size_mib"
    # Neither quotes nor "--": the kernel's command-line parser eats both.
    run_guest_command "$name" 'set x $(grep MemTotal /proc/meminfo); echo memtotal-kib=$3' --memory "${size_mib}M"
    expect_status "$name" 0
    kib=$(grep -o 'memtotal-kib=[0-9]*' "$TMP/$name.out" | cut -d= -f2)
    [ -n "$kib" ] || fail "$name: guest did not report MemTotal"
    max=$((size_mib * 1024))
    min=$((max * 85 / 100))
    [ "$kib" -le "$max" ] && [ "$kib" -ge "$min" ] ||
        fail "$name: MemTotal $kib KiB is not between $min and $max KiB"
    echo "ok: --memory ${size_mib}M gives MemTotal $kib KiB"
}

check_memory 256
check_memory 5120
