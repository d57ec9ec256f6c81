#!/bin/sh
# Every user mistake gets exactly one line on stderr naming the problem, exit
# status 2, and nothing written. None of these needs KVM: Berth checks what it
# was given before it opens /dev/kvm.
. "$(dirname "$0")/lib.sh"

mkdir "$TMP/cwd"
cd "$TMP/cwd" || exit 1

# refuse NAME PATTERN berth-arguments...: exit 2, one line matching PATTERN.
refuse() {
    name=$1
    pattern=$2
    shift 2
    STATUS=0
    "$BERTH" "$@" </dev/null >"$TMP/$name.out" 2>"$TMP/$name.err" || STATUS=$?
    expect_status "$name" 2
    lines=$(wc -l <"$TMP/$name.err")
    [ "$lines" -eq 1 ] || fail "$name: $lines lines on stderr, expected one"
    grep -q -- "$pattern" "$TMP/$name.err" || fail "$name: stderr lacks '$pattern': $(cat "$TMP/$name.err")"
    [ -z "$(ls -A "$TMP/cwd")" ] || fail "$name: files were written"
    echo "ok: $name -> $(cat "$TMP/$name.err")"
}

run() {  # berth run with the default guest plus the given options
    echo run --kernel "$KERNEL" --initrd "$INITRD" "$@"
}

refuse missing-kernel 'cannot open kernel /nonexistent/bzImage' run --kernel /nonexistent/bzImage
refuse directory-kernel 'is not a regular file' run --kernel "$TMP"
: >"$TMP/empty"
refuse empty-kernel 'too small' run --kernel "$TMP/empty"
refuse not-a-kernel 'not a bootable kernel image' run --kernel "$INITRD"
# A boot sector (0xAA55 at 0x1fe) that is not Linux: no "HdrS" at 0x202.
head -c 4096 /dev/zero >"$TMP/bootsector"
printf '\125\252' | dd of="$TMP/bootsector" bs=1 seek=510 conv=notrunc 2>/dev/null
refuse boot-sector 'not a Linux bzImage' run --kernel "$TMP/bootsector"
head -c 3000000 "$KERNEL" >"$TMP/truncated"
refuse truncated-kernel 'truncated' run --kernel "$TMP/truncated"
cp "$KERNEL" "$TMP/old-kernel"
# Boot protocol version at 0x206 (518), little-endian: claim 2.00.
printf '\000\002' | dd of="$TMP/old-kernel" bs=1 seek=518 conv=notrunc 2>/dev/null
refuse old-protocol '2.12' run --kernel "$TMP/old-kernel"
refuse missing-initrd 'cannot open initrd' run --kernel "$KERNEL" --initrd /nonexistent/initrd
refuse empty-initrd 'initrd .* is empty' run --kernel "$KERNEL" --initrd "$TMP/empty"
refuse memory-too-small 'too small for this kernel' $(run --memory 16M)
refuse memory-too-large 'more than this host' $(run --memory 64T)
refuse memory-not-a-size 'not a size' $(run --memory lots)
long_cmdline=$(head -c 3000 /dev/zero | tr '\0' a)
refuse cmdline-too-long 'command line is 3000 bytes long' run --kernel "$KERNEL" --cmdline "$long_cmdline"
refuse zero-cpus 'out of range' $(run --cpus 0)
refuse too-many-cpus 'out of range' $(run --cpus 255)
refuse unknown-option 'berth --help' run --kernel "$KERNEL" --frobnicate
refuse no-kernel-option 'kernel' run
echo "ok: every bad input refused with one line and status 2"
