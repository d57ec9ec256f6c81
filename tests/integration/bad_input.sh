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
    # shellcheck disable=SC2086 # RUN_AS: a command prefix, split on purpose
    ${RUN_AS:-} "$BERTH" "$@" </dev/null >"$TMP/$name.out" 2>"$TMP/$name.err" || STATUS=$?
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
# The uncompressed kernel (an ELF vmlinux) has checks of its own.
VMLINUX=$ROOT/build/guest/vmlinux
[ -f "$VMLINUX" ] || fail "missing $VMLINUX: run ./scripts/setup"
head -c 20000000 "$VMLINUX" >"$TMP/truncated-vmlinux"
refuse truncated-vmlinux 'truncated' run --kernel "$TMP/truncated-vmlinux"
cp "$VMLINUX" "$TMP/elf32"
printf '\001' | dd of="$TMP/elf32" bs=1 seek=4 conv=notrunc 2>/dev/null  # EI_CLASS: ELFCLASS32
refuse vmlinux-32-bit '32-bit ELF' run --kernel "$TMP/elf32"
refuse elf-not-a-kernel 'not an executable' run --kernel "$BERTH"
refuse vmlinux-memory-too-small 'too small for this kernel' run --kernel "$VMLINUX" --memory 40M
rm -f "$TMP/truncated-vmlinux" "$TMP/elf32"
refuse missing-initrd 'cannot open initrd' run --kernel "$KERNEL" --initrd /nonexistent/initrd
refuse empty-initrd 'initrd .* is empty' run --kernel "$KERNEL" --initrd "$TMP/empty"
# An initrd larger than guest RAM below the 32-bit hole (sparse: no space used).
truncate -s 3G "$TMP/huge-initrd"
refuse oversized-initrd 'need more than the 3072 MiB of RAM' run --kernel "$KERNEL" --initrd "$TMP/huge-initrd"
rm -f "$TMP/huge-initrd"
refuse memory-too-small 'too small for this kernel' $(run --memory 16M)
refuse memory-too-large 'more than this host' $(run --memory 64T)
refuse memory-not-a-size 'not a size' $(run --memory lots)
long_cmdline=$(head -c 3000 /dev/zero | tr '\0' a)
refuse cmdline-too-long 'command line is 3000 bytes long' run --kernel "$KERNEL" --cmdline "$long_cmdline"
refuse zero-cpus 'out of range' $(run --cpus 0)
refuse too-many-cpus 'out of range' $(run --cpus 255)
# Disks: checked (and locked) before KVM too. $(run ...) splits on blanks:
# $TMP has none.
refuse missing-disk 'no such file' $(run --disk /nonexistent/disk.img)
refuse directory-disk 'directory' $(run --disk "$TMP")
head -c 1000 /dev/zero >"$TMP/odd.img"
refuse odd-size-disk 'not a multiple of 512' $(run --disk "$TMP/odd.img")
refuse empty-disk 'empty' $(run --disk "$TMP/empty")
head -c 4096 /dev/zero >"$TMP/disk.img"
refuse disk-bad-setting "unknown setting 'cache=none'" $(run --disk "$TMP/disk.img,cache=none")
refuse disk-long-serial 'serial must be 1 to 20' $(run --disk "$TMP/disk.img,serial=123456789012345678901")
if command -v flock >/dev/null; then
    # Another writer holds the image's lock: this shell, through fd 8.
    exec 8>>"$TMP/disk.img"
    flock -x 8
    refuse locked-disk 'in use by another process' $(run --disk "$TMP/disk.img")
    refuse locked-disk-ro 'in use by another process' $(run --disk "$TMP/disk.img,ro")
    exec 8>&-
fi
# As an unprivileged user (root may open anything): a disk it cannot open,
# and a tap it may not create. cwd and $TMP must be reachable for it.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
    chmod 711 "$TMP"
    chmod 777 "$TMP/cwd"
    head -c 4096 /dev/zero >"$TMP/unreadable.img"
    chmod 000 "$TMP/unreadable.img"
    RUN_AS="setpriv --reuid=65534 --regid=65534 --clear-groups"
    refuse unreadable-disk 'not writable (permission denied)' $(run --disk "$TMP/unreadable.img")
    refuse unreadable-disk-ro 'not readable (permission denied)' $(run --disk "$TMP/unreadable.img,ro")
    refuse tap-not-permitted 'no permission to open /dev/net/tun' $(run --net tap=berthbad0)
    RUN_AS=
else
    echo "skipped: unreadable-disk and tap-not-permitted need root (to become another user) and setpriv"
fi
refuse net-no-tap 'no tap' $(run --net mac=52:54:00:12:34:56)
refuse net-bad-mac 'not a unicast address' $(run --net tap=tap0,mac=01:00:5e:00:00:01)
refuse net-bad-name 'not a valid interface name' $(run --net tap=a/b)
refuse console-kind 'must be serial' $(run --console hvc0)
# The exit observatory: a bad --trace-exits filter, a --stats-json that cannot be written.
refuse trace-exits-term "unknown term 'bogus'" $(run --trace-exits=io,bogus)
refuse trace-exits-range 'ends before it starts' $(run --trace-exits=port=0x3ff-0x3f8)
refuse trace-exits-port 'goes past 0xffff' $(run --trace-exits=port=0x10000)
refuse stats-json-directory 'stats-json .* is a directory' $(run --stats-json "$TMP")
refuse stats-json-no-dir 'is not a directory' $(run --stats-json /nonexistent/stats.json)
refuse unknown-option 'berth --help' run --kernel "$KERNEL" --frobnicate
refuse no-kernel-option 'give --kernel PATH' run
# Lab guests (--image, docs/lab-machine.md).
LAB_IMAGE=$ROOT/build/guest/labs/01-hello.bin
refuse missing-image 'nonexistent' run --image /nonexistent/lab.bin
refuse empty-image 'empty' run --image "$TMP/empty"
refuse image-and-kernel 'excludes' run --kernel "$KERNEL" --image "$LAB_IMAGE"
refuse bad-mode 'mode' run --image "$LAB_IMAGE" --mode unreal
refuse bad-entry 'not an address' run --image "$LAB_IMAGE" --entry 0x7c00z
refuse entry-outside-image 'entry' run --image "$LAB_IMAGE" --entry 0x9000
refuse mode-without-image 'only applies to --image' $(run --mode long)
refuse bad-irqchip 'give kernel or none' $(run --irqchip split)
refuse linux-without-irqchip 'Linux needs the in-kernel irqchip' $(run --irqchip none)
refuse image-with-initrd 'not --image' run --image "$LAB_IMAGE" --initrd "$INITRD"
refuse image-with-cpus 'one vCPU' run --image "$LAB_IMAGE" --cpus 2
refuse virtio-without-irqchip 'add --irqchip kernel' run --image "$LAB_IMAGE" --rng
refuse bad-seccomp 'give on, log or off' $(run --seccomp strict)
echo "ok: every bad input refused with one line and status 2"
