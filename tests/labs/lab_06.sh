#!/bin/sh
# Lab 6 - a virtqueue by hand: the guest finds virtio-rng on the PCI bus,
# sets up a split virtqueue and gets 16 random bytes through it.
. "$(dirname "$0")/lib.sh"

run_lab 06-virtqueue.bin --mode protected --irqchip kernel --rng --stats

# Everything but the bytes is fixed: with --rng alone the device is in slot
# 1 and its BAR 0 is the first one Berth places.
head -n 4 "$TMP/out" >"$TMP/fixed"
printf '%s\n' "virtio-rng at 00:01.0
common cfg at 0xe0000000, notify at 0xe0003000 (multiplier 4)
features ok
queue 0: size 256" >"$TMP/expected"
bytes_line=$(sed -n 5p "$TMP/out")
if cmp -s "$TMP/expected" "$TMP/fixed" && [ "$(wc -l <"$TMP/out")" -eq 5 ] &&
    printf '%s\n' "$bytes_line" | grep -Eq '^got 16 bytes:( [0-9a-f]{2}){16}$'; then
    pass "the guest printed what the handout expects, and 16 bytes"
else
    check_failed "the guest's output differs from the handout's"
    echo "----- expected" && cat "$TMP/expected"
    echo "got 16 bytes: xx xx xx xx xx xx xx xx xx xx xx xx xx xx xx xx (16 bytes in hex)"
    echo "----- got (stdout)" && cat "$TMP/out"
    echo "----- Berth's stderr (last 20 lines)" && tail -n 20 "$TMP/err"
fi
# 128 random bits are all zero once in 2^128 runs: zeros mean the device
# wrote nothing (or the guest printed the wrong buffer).
if printf '%s\n' "$bytes_line" | grep -Eq '^got 16 bytes:( 00){16}$'; then
    check_failed "the 16 bytes are all zero: the device wrote nothing into the buffer printed"
elif [ -n "$bytes_line" ]; then
    pass "the bytes are not all zero"
fi
expect_status 0 'exit port'

# The notification is one 16-bit write of the queue index at the queue's
# notify address, where Berth registered a KVM ioeventfd: KVM signals the
# eventfd without an exit to Berth, and Berth's event loop counts it.
if grep -Eq '^berth: +ioeventfd doorbells +1 guest kicks? ' "$TMP/err"; then
    pass "--stats: one notification, delivered by an ioeventfd (no exit to Berth)"
else
    check_failed "--stats should count one ioeventfd kick (a 16-bit write at the notify address):"
    grep -E 'ioeventfd doorbells' "$TMP/err"
fi
finish_checks "lab 6 (a virtqueue by hand)"
