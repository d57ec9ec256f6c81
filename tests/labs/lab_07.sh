#!/bin/sh
# Lab 7 - Boot Linux: Berth boots the default guest (Debian's kernel and the
# busybox initramfs) with 3.5 GiB of RAM, so that the e820 map has RAM on
# both sides of the 32-bit MMIO hole, and writes the boot timeline
# (--trace-boot). The checks follow the boot protocol from the host's side
# to the guest's: the kernel's e820 lines are the map the handout
# (docs/labs/07-boot-linux.md) expects, the kernel got the command line and
# the whole initrd, the zero page holds what Berth wrote, init ran, and the
# timeline has the host's milestones in causal order.
. "$(dirname "$0")/lib.sh"

KERNEL=${LAB_KERNEL:-$ROOT/build/guest/vmlinuz}
INITRD=${LAB_INITRD:-$ROOT/build/guest/initrd.img}
for file in "$KERNEL" "$INITRD"; do
    if [ ! -f "$file" ]; then
        echo "FAIL: $file is missing: build the default guest with ./scripts/setup (or ./scripts/lab-check 7)" >&2
        exit 1
    fi
done

# No "quiet": the kernel's boot messages, e820 map included, are the point.
# Words after " -- " are the guest's command (no double quotes, no "--").
# The zero page as the kernel kept it is /sys/kernel/boot_params/data:
# e820_entries at 0x1e8, the setup header's loader fields at 0x210.
ZP=/sys/kernel/boot_params/data
CMDLINE="console=ttyS0 reboot=k panic=-1 berth.lab=7 -- cat /proc/cmdline; cat /sys/kernel/boot_params/version; xxd -s 0x1e8 -l 1 $ZP; xxd -s 0x210 -l 2 $ZP"
TRACE=$TMP/boot-trace.json

STATUS=0
"$BERTH" run --kernel "$KERNEL" --initrd "$INITRD" --memory 3584M \
    --cmdline "$CMDLINE" --trace-boot "$TRACE" --timeout "$LAB_TIMEOUT" \
    </dev/null >"$TMP/out" 2>"$TMP/err" || STATUS=$?
# The console copy without carriage returns, and without the printk
# timestamps ("[    0.000000] "), which differ from boot to boot.
tr -d '\r' <"$TMP/out" | sed 's/^\[ *[0-9]*\.[0-9]*\] //' >"$TMP/console"

# Berth refused or failed before the kernel printed anything (the blank's
# zero_page.cpp, for one, throws): one failure, with Berth's reason.
if [ ! -s "$TMP/console" ]; then
    check_failed "Berth booted nothing: no console output, exit status $STATUS. Berth's stderr:"
    tail -n 5 "$TMP/err"
    finish_checks "lab 7 (boot Linux)"
fi

show_console() {  # PATTERN: the console lines that match, or its last lines
    if grep -q -- "$1" "$TMP/console"; then
        grep -- "$1" "$TMP/console" | head -n 20
    else
        echo "----- the console's last 15 lines" && tail -n 15 "$TMP/console"
        echo "----- Berth's stderr (last 5 lines)" && tail -n 5 "$TMP/err"
    fi
}

# 1. Berth loaded the kernel, entered it at startup_64 and it ran: the
#    decompressed kernel's first line. Nothing else works without this.
if grep -q '^Linux version ' "$TMP/console"; then
    pass "the kernel started: $(grep -m 1 -o '^Linux version [^ ]*' "$TMP/console")"
else
    check_failed "the kernel printed no 'Linux version' line (Berth's status $STATUS):"
    show_console 'Linux version'
fi

# 2. The e820 map, as the kernel read it from the zero page
#    (arch/x86/kernel/e820.c prints each entry of boot_params.e820_table).
printf '%s\n' \
    'BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable' \
    'BIOS-e820: [mem 0x000000000009fc00-0x000000000009ffff] reserved' \
    'BIOS-e820: [mem 0x00000000000e0000-0x00000000000fffff] reserved' \
    'BIOS-e820: [mem 0x0000000000100000-0x00000000bfffffff] usable' \
    'BIOS-e820: [mem 0x0000000100000000-0x000000011fffffff] usable' >"$TMP/e820.expected"
grep '^BIOS-e820: ' "$TMP/console" >"$TMP/e820.got" || true
if cmp -s "$TMP/e820.expected" "$TMP/e820.got"; then
    pass "the kernel's e820 map is the one the handout expects for 3.5 GiB (5 entries)"
else
    check_failed "the kernel's e820 map differs from the handout's:"
    echo "----- expected" && cat "$TMP/e820.expected"
    echo "----- got" && cat "$TMP/e820.got"
    [ -s "$TMP/e820.got" ] || show_console 'BIOS-e820'
fi

# 3. The command line: the kernel echoes it early ("Command line: ...")
#    and the guest printed /proc/cmdline.
if grep -qxF "Command line: $CMDLINE" "$TMP/console" && grep -qxF "$CMDLINE" "$TMP/console"; then
    pass "the kernel found the command line through cmd_line_ptr"
else
    check_failed "the kernel did not get the command line (cmd_line_ptr and the bytes at 0x20000):"
    show_console 'Command line'
fi

# 4. The initrd: the kernel unpacked it and freed its pages, all of them
#    (free_initrd_mem rounds the end up to a page: ramdisk_size is right).
initrd_kib=$((($(wc -c <"$INITRD") + 4095) / 4096 * 4))
if grep -qx "Freeing initrd memory: ${initrd_kib}K" "$TMP/console" &&
    grep -q '^Run /init as init process' "$TMP/console"; then
    pass "the kernel unpacked the ${initrd_kib} KiB initrd and ran its /init"
else
    check_failed "the kernel should free ${initrd_kib}K of initrd memory and run /init:"
    show_console 'initrd\|initramfs\|/init'
fi

# 5. The zero page, read back inside the guest: the boot protocol version,
#    5 e820 entries, type_of_loader 0xff, and in loadflags LOADED_HIGH and
#    CAN_USE_HEAP without KEEP_SEGMENTS (the kernel's decompressor may have
#    added KASLR_FLAG, 0x02, since).
loadflags=$(sed -n 's/^00000210: ff\([0-9a-f][0-9a-f]\) .*/\1/p' "$TMP/console" | head -n 1)
if grep -qx '0x020[c-f]' "$TMP/console" && grep -q '^000001e8: 05 ' "$TMP/console" &&
    [ -n "$loadflags" ] && [ $((0x$loadflags & 0xc1)) -eq $((0x81)) ]; then
    pass "the zero page: boot protocol $(grep -x '0x020[c-f]' "$TMP/console"), e820_entries 5, type_of_loader 0xff, loadflags 0x$loadflags"
else
    check_failed "the zero page seen from the guest: expected e820_entries (0x1e8) 05, type_of_loader (0x210) ff and loadflags (0x211) with 0x81 set and 0x40 clear:"
    show_console '^0x02\|^000001e8\|^00000210'
fi

# 6. Init ran the command and powered the VM off.
if [ "$STATUS" -eq 0 ] && grep -q 'berth-guest: command exited with status 0' "$TMP/console" &&
    grep -q 'guest powered off' "$TMP/err"; then
    pass "the guest's init ran the command and powered off; Berth exited 0"
else
    check_failed "the guest should run its command and power off (Berth's status $STATUS):"
    tail -n 5 "$TMP/console"
    tail -n 5 "$TMP/err"
fi

# 7. The boot timeline (--trace-boot): Berth's milestones are instant events
#    of process 1, one per line; they must all be there, in causal order.
if [ -s "$TRACE" ]; then
    sed -n 's/^{"name":"\([^"]*\)","ph":"i","s":"t","ts":\([0-9]*\),"pid":1,.*/\2 \1/p' \
        "$TRACE" >"$TMP/host-milestones"
    previous=-1
    order_ok=1
    for milestone in kernel-loaded first-kvm-run first-serial-byte guest-init-reached vm-stopped; do
        us=$(awk -v m="$milestone" '$2 == m { print $1; exit }' "$TMP/host-milestones")
        if [ -z "$us" ]; then
            check_failed "the boot trace lacks the host milestone $milestone"
            order_ok=0
        elif [ "$us" -lt "$previous" ]; then
            check_failed "$milestone ($us us) comes before the milestone before it ($previous us)"
            order_ok=0
        else
            previous=$us
        fi
    done
    if [ "$order_ok" -eq 1 ]; then
        pass "the boot trace has kernel-loaded, first-kvm-run, first-serial-byte, guest-init-reached and vm-stopped in that order"
        awk '{ printf "      %10d us  %s\n", $1, $2 }' "$TMP/host-milestones"
    else
        cat "$TMP/host-milestones"
    fi
    if grep -q '"name":"kernel-start","ph":"i","s":"t","ts":[0-9]*,"pid":2,' "$TRACE" &&
        grep -q '"name":"init-started","ph":"i","s":"t","ts":[0-9]*,"pid":2,' "$TRACE"; then
        pass "the boot trace has the guest kernel's track, from kernel-start to init-started"
    else
        check_failed "the boot trace lacks the guest kernel's kernel-start or init-started"
    fi
else
    check_failed "berth run --trace-boot wrote no trace (Berth's status $STATUS):"
    tail -n 5 "$TMP/err"
fi

finish_checks "lab 7 (boot Linux)"
