#!/usr/bin/env python3
"""Write the seed corpora of the fuzz targets in tests/fuzz/ that are made
from code rather than checked in as files: fuzz_descriptor_chain,
fuzz_block_request, fuzz_cli_options, fuzz_uart_16550, fuzz_acpi_tables,
fuzz_linux_loader, fuzz_vmlinux and fuzz_pci_config.

Each seed is a small, valid (or deliberately broken) input in the format that
its target's header comment describes; a few reproduce bugs the fuzzers
found and stay as regression seeds. Run from anywhere; the seeds are
committed, so this only needs running again when a format changes.
"""
import os
import struct

NEXT, WRITE, INDIRECT = 1, 2, 4
INDIRECT_DESC, EVENT_IDX = 1, 2

DESC, AVAIL, USED = 0x000, 0x400, 0x600  # as header bytes 4-6 below encode them
QUEUE_SIZE = 8


class Seed:
    def __init__(self, features=0, chunk=5, start=0, size_log2=3):
        self.header = bytes([size_log2, features | ((chunk - 1) << 2),
                             start & 0xff, start >> 8,
                             DESC // 16, AVAIL // 8, USED // 8, 0])
        self.memory = bytearray(0x1000)
        self.avail_idx = start
        self.size = 1 << size_log2

    def put(self, address, fmt, *values):
        struct.pack_into("<" + fmt, self.memory, address, *values)

    def desc(self, index, addr, length, flags=0, next_index=0, table=DESC):
        self.put(table + 16 * index, "QIHH", addr, length, flags, next_index)

    def offer(self, head):
        self.put(AVAIL + 4 + 2 * (self.avail_idx % self.size), "H", head)
        self.avail_idx = (self.avail_idx + 1) & 0xffff
        self.put(AVAIL + 2, "H", self.avail_idx)

    def data(self):
        return self.header + bytes(self.memory).rstrip(b"\0")


def seeds():
    s = Seed()
    s.desc(0, 0x800, 16)
    s.offer(0)
    yield "single_readable", s

    s = Seed()
    s.desc(2, 0x800, 16, NEXT, 5)
    s.desc(5, 0x900, 512, NEXT, 1)
    s.desc(1, 0xb00, 1, WRITE)
    s.offer(2)
    yield "blk_like_request", s

    s = Seed(features=INDIRECT_DESC, chunk=3)
    s.desc(0, 0xa00, 48, INDIRECT)
    s.desc(0, 0x800, 16, NEXT, 1, table=0xa00)
    s.desc(1, 0x900, 8, WRITE | NEXT, 2, table=0xa00)
    s.desc(2, 0x1800, 64, WRITE, table=0xa00)  # in the second RAM range
    s.offer(0)
    yield "indirect", s

    s = Seed(features=EVENT_IDX | INDIRECT_DESC)
    s.desc(0, 0x800, 8, NEXT, 1)
    s.desc(1, 0xa80, 32, INDIRECT)  # direct buffers before an indirect table
    s.desc(0, 0x900, 8, WRITE, table=0xa80)
    s.desc(3, 0x880, 4, WRITE)
    s.offer(0)
    s.offer(3)
    s.put(AVAIL + 4 + 2 * QUEUE_SIZE, "H", 1)  # used_event
    yield "event_idx_two_chains", s

    s = Seed()
    s.desc(0, 0x800, 8, NEXT, 1)
    s.desc(1, 0x800, 8, NEXT, 0)
    s.offer(0)
    yield "loop", s

    s = Seed(start=0xffff, chunk=1)
    s.desc(0, 0x800, 4)
    s.desc(1, 0x900, 4, WRITE)
    s.offer(0)
    s.offer(1)
    yield "wrap_around", s

    s = Seed()
    s.desc(0, 0xff8, 16)  # straddles the end of the first RAM range
    s.offer(0)
    yield "straddles_ram_gap", s


# --- fuzz_block_request: virtio-blk requests -------------------------------

BLK_INDIRECT, BLK_RO, BLK_DISCARD, BLK_WRITE_ZEROES, BLK_EVENT_IDX, BLK_DIRECT = (
    1, 2, 4, 8, 16, 32)
T_IN, T_OUT, T_FLUSH, T_GET_ID, T_DISCARD, T_WRITE_ZEROES = 0, 1, 4, 8, 11, 13
UNMAP = 1
BLK_DESC, BLK_AVAIL = 0x000, 0x100  # fixed by the target
BLK_RAM = 0x6000  # [0, 0x4000) and [0x5000, 0x6000), as one flat image


class BlkSeed:
    """A queue of 16 entries with block requests in it."""

    def __init__(self, flags=BLK_DISCARD | BLK_WRITE_ZEROES, sectors=16):
        self.header = bytes([4, flags, sectors - 1, 0])
        self.memory = bytearray(BLK_RAM)
        self.next_desc = 0
        self.next_data = 0x400
        self.avail_idx = 0

    def put(self, address, fmt, *values):
        struct.pack_into("<" + fmt, self.memory, address, *values)

    def buffer(self, length, contents=b"", align=16):
        address = (self.next_data + align - 1) // align * align
        self.memory[address:address + len(contents)] = contents
        self.next_data = address + max(length, len(contents))
        return address

    def request_header(self, kind, sector=0):
        return self.buffer(16, struct.pack("<IIQ", kind, 0, sector))

    def chain(self, buffers, table=None):
        """buffers: (address, length, writable); returns the head index."""
        base = BLK_DESC if table is None else table
        first = self.next_desc if table is None else 0
        for i, (address, length, writable) in enumerate(buffers):
            index = first + i
            last = i + 1 == len(buffers)
            flags = (WRITE if writable else 0) | (0 if last else NEXT)
            struct.pack_into("<QIHH", self.memory, base + 16 * index, address, length,
                             flags, 0 if last else index + 1)
        if table is None:
            self.next_desc += len(buffers)
        return first

    def offer(self, head):
        self.put(BLK_AVAIL + 4 + 2 * (self.avail_idx % 16), "H", head)
        self.avail_idx += 1
        self.put(BLK_AVAIL + 2, "H", self.avail_idx)

    def request(self, kind, sector=0, readable=b"", writable=0):
        """Header, optional readable data, optional writable data, status."""
        buffers = [(self.request_header(kind, sector), 16, False)]
        if readable:
            buffers.append((self.buffer(len(readable), readable), len(readable), False))
        if writable:
            buffers.append((self.buffer(writable), writable, True))
        buffers.append((self.buffer(1), 1, True))
        self.offer(self.chain(buffers))

    def data(self):
        return self.header + bytes(self.memory).rstrip(b"\0")


def segments(*ranges):
    return b"".join(struct.pack("<QII", *r) for r in ranges)


def block_seeds():
    s = BlkSeed()
    s.request(T_IN, 1, writable=1024)
    yield "read", s

    s = BlkSeed()
    s.request(T_OUT, 2, readable=bytes(range(256)) * 2)
    s.request(T_IN, 2, writable=512)
    yield "write_then_read", s

    s = BlkSeed()
    s.request(T_FLUSH)
    s.request(T_GET_ID, writable=20)
    s.request(T_GET_ID, writable=7)
    yield "flush_and_get_id", s

    s = BlkSeed()
    s.request(T_DISCARD, readable=segments((0, 8, 0), (12, 4, 0)))
    s.request(T_WRITE_ZEROES, readable=segments((4, 4, UNMAP), (8, 2, 0)))
    s.request(T_IN, 0, writable=16 * 512 // 2)
    yield "discard_and_write_zeroes", s

    s = BlkSeed(flags=BLK_RO)
    s.request(T_OUT, 0, readable=b"\xff" * 512)
    s.request(T_WRITE_ZEROES, readable=segments((0, 1, 0)))
    s.request(T_IN, 0, writable=512)
    yield "read_only", s

    # Header in three pieces, data in odd pieces (some in the high RAM
    # range), the status sharing the last data buffer; in direct mode, so
    # the unaligned pieces go through the bounce buffer.
    s = BlkSeed(flags=BLK_DIRECT | BLK_DISCARD)
    header = s.request_header(T_IN, 3)
    a = s.buffer(100, align=1)
    b = 0x5003
    c = s.buffer(413, align=1)
    s.offer(s.chain([(header, 5, False), (header + 5, 3, False), (header + 8, 8, False),
                     (a, 100, True), (b, 512, True), (c, 413, True)]))
    header = s.request_header(T_OUT, 5)
    d = s.buffer(1024, bytes(range(7, 256)) * 5, align=2)
    s.offer(s.chain([(header, 16, False), (d, 1000, False), (d + 1000, 24, False),
                     (s.buffer(1), 1, True)]))
    yield "split_and_unaligned", s

    s = BlkSeed(flags=BLK_INDIRECT | BLK_EVENT_IDX)
    table = 0x3000
    s.chain([(s.request_header(T_IN, 0), 16, False), (s.buffer(512), 512, True),
             (s.buffer(1), 1, True)], table=table)
    head = s.next_desc
    struct.pack_into("<QIHH", s.memory, BLK_DESC + 16 * head, table, 48, INDIRECT, 0)
    s.next_desc += 1
    s.offer(head)
    yield "indirect", s

    s = BlkSeed(sectors=4)
    s.request(T_IN, 3, writable=1024)           # past the end
    s.request(T_IN, 0xffffffffffffffff, writable=512)  # wraps around
    s.request(3)                                 # unknown type
    s.request(T_IN, 0, writable=700)            # not whole sectors
    s.request(T_DISCARD, readable=segments((0, 1, UNMAP)))  # unmap on a discard
    yield "refused", s


# --- fuzz_cli_options: one byte for the parser, then the text ---------------

SIZE, DISK, NET, CONSOLE = 0, 1, 2, 3


def cli_seeds():
    texts = {
        SIZE: ["512M", "2G", "256", "64KiB", "1tb", "16777215T", "16777216T",
               "99999999999999999999999", "1.5G", " 1G"],
        DISK: ["root.img", "data.img,ro,serial=disk-7,direct=on", "d.img,ro=off,direct=off",
               "d.img,serial=12345678901234567890", "d.img,,ro", "d.img,cache=none"],
        NET: ["tap=tap0", "tap=tap0,mac=52:54:00:ab:cd:EF", "tap=t,mac=01:00:5e:00:00:01",
              "tap=0123456789abcdef", "tap=.."],
        CONSOLE: ["serial", "virtio", "hvc0"],
    }
    names = {SIZE: "size", DISK: "disk", NET: "net", CONSOLE: "console"}
    for parser, words in texts.items():
        for i, text in enumerate(words):
            yield f"{names[parser]}_{i}", bytes([parser]) + text.encode()
    # Found by the fuzzer: a newline in a tap name, which the kernel refuses.
    yield "regression_tap_newline", b"\x02tap=ta\n\x00\x00\x00ap=tapp0:12:34:56"


# --- fuzz_uart_16550: [op, value] steps ---------------------------------------

RBR, IER, IIR, LCR, MCR, LSR, MSR, SCR = 0, 1, 2, 3, 4, 5, 6, 7
FCR, DLL, DLM = 2, 0, 1


def uart_read(register):
    return bytes([register, 0])


def uart_write(register, value):
    return bytes([register | 2 << 3, value])


def uart_offer(count):
    return bytes([4 << 3, count])


def uart_wait():
    return bytes([5 << 3, 0])


def uart_close():
    return bytes([7 << 3, 0x5a])


def uart_wide(register, width_code, write):
    return bytes([register | 6 << 3 | (0x80 if write else 0), width_code])


def uart_seeds():
    # What Linux's 8250 autoconfig() and serial8250_do_startup() do.
    yield "linux_probe", b"".join([
        uart_read(IER), uart_write(IER, 0), uart_read(IER), uart_write(IER, 0x0f),
        uart_read(IER), uart_write(IER, 0), uart_write(SCR, 0xa5), uart_read(SCR),
        uart_write(MCR, 0x10), uart_read(MSR), uart_write(MCR, 0x1a), uart_read(MSR),
        uart_write(MCR, 0), uart_write(FCR, 0x01), uart_write(FCR, 0xc7), uart_read(IIR),
        uart_write(LCR, 0x80), uart_write(DLL, 1), uart_write(DLM, 0), uart_read(DLL),
        uart_read(DLM), uart_write(LCR, 0x03), uart_write(MCR, 0x0b), uart_write(IER, 0x02),
        uart_read(IIR), uart_read(IIR), uart_write(IER, 0), uart_write(IER, 0x02),
        uart_read(IIR), uart_read(LSR), uart_read(RBR), uart_read(IIR), uart_read(MSR)])
    yield "loopback_overrun", b"".join(
        [uart_write(FCR, 0x07), uart_write(IER, 0x05), uart_write(MCR, 0x18)] +
        [uart_write(RBR, 0x41 + i) for i in range(17)] +
        [uart_read(IIR), uart_read(LSR), uart_read(IIR)] + [uart_read(RBR)] * 17 +
        [uart_write(FCR, 0), uart_write(RBR, 1), uart_write(RBR, 2), uart_read(LSR),
         uart_read(RBR)])
    yield "host_input", b"".join(
        [uart_write(FCR, 0x01), uart_write(IER, 0x01), uart_write(MCR, 0x08), uart_offer(20),
         uart_wait(), uart_read(IIR), uart_read(LSR)] + [uart_read(RBR)] * 17 +
        [uart_wait(), uart_offer(3), uart_write(FCR, 0x03), uart_read(LSR),
         uart_write(FCR, 0), uart_offer(5), uart_wait(), uart_read(RBR), uart_read(RBR)])
    yield "modem_deltas", b"".join([
        uart_write(IER, 0x08), uart_write(MCR, 0x18), uart_write(MCR, 0x1f), uart_read(IIR),
        uart_read(MSR), uart_write(MCR, 0x1b), uart_read(IIR), uart_read(MSR),
        uart_write(MCR, 0x08), uart_read(MSR), uart_read(IIR)])
    yield "close_and_wide", b"".join([
        uart_offer(1), uart_wide(RBR, 0, False), uart_wide(LCR, 1, True), uart_wide(IER, 2, False),
        uart_read(LCR), uart_close(), uart_offer(4), uart_wait(), uart_read(RBR), uart_read(LSR)])


# --- fuzz_acpi_tables: one 32-byte record ------------------------------------

def acpi_record(cpus, pci=(0xe0000000, 0x1e000000), base=0xe0000, max_size=0x20000,
                ioapic=0xfec00000, sci=9, s5=5, flags=0):
    if pci is not None:
        flags |= 1
    start, size = pci if pci is not None else (0, 0)
    return struct.pack("<HBBIHHBBHBIII", cpus, flags | (base % 16) << 4, cpus & 0xff, ioapic,
                       0x600, 0x604, sci, s5, 0x64, 0xfe, start, size,
                       base // 16)[:29] + max_size.to_bytes(3, "little")


def acpi_seeds():
    yield "one_cpu", acpi_record(1)
    yield "four_cpus", acpi_record(4)
    yield "most_cpus", acpi_record(254)
    yield "no_pci", acpi_record(2, pci=None)
    yield "too_many_cpus", acpi_record(255)
    yield "misaligned_base", acpi_record(1, base=0xe0008)
    yield "too_small", acpi_record(16, max_size=0x200)
    yield "near_4gib", acpi_record(2, base=0xffff0000, max_size=0x10000)
    yield "bad_sci_and_s5", acpi_record(1, sci=16, s5=8)
    # Found by the fuzzer: a PCI window running past 4 GiB was accepted.
    yield "regression_pci_window_wraps", bytes.fromhex(
        "fe0001fe00000000c0fe060400060905" "6400fe00000220ffffff1fffff010002")


# --- fuzz_linux_loader: a 6-byte header, then a synthetic bzImage ------------

LOADED_HIGH, XLF_KERNEL_64, XLF_CAN_BE_LOADED_ABOVE_4G = 1, 1, 2
HEADER_FIELDS = {  # offsets in the file (boot.rst, "The Real-Mode Kernel Header")
    "setup_sects": (0x1f1, "B"), "syssize": (0x1f4, "I"), "boot_flag": (0x1fe, "H"),
    "jump": (0x200, "H"), "header": (0x202, "I"), "version": (0x206, "H"),
    "loadflags": (0x211, "B"), "initrd_addr_max": (0x22c, "I"),
    "kernel_alignment": (0x230, "I"), "relocatable_kernel": (0x234, "B"),
    "xloadflags": (0x236, "H"), "cmdline_size": (0x238, "I"), "pref_address": (0x258, "Q"),
    "init_size": (0x260, "I"),
}


def bzimage(payload_size=0x100, **fields):
    header = dict(setup_sects=1, syssize=payload_size // 16, boot_flag=0xaa55,
                  jump=0x6aeb, header=0x53726448, version=0x020f, loadflags=LOADED_HIGH,
                  initrd_addr_max=0x7fffffff, kernel_alignment=0x200000,
                  relocatable_kernel=1, xloadflags=XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G,
                  cmdline_size=2047, pref_address=0x1000000, init_size=0x400000)
    header.update(fields)
    sects = header["setup_sects"] or 4
    image = bytearray((sects + 1) * 512 + payload_size)
    for name, value in header.items():
        offset, fmt = HEADER_FIELDS[name]
        struct.pack_into("<" + fmt, image, offset, value)
    for i in range(payload_size):
        image[(sects + 1) * 512 + i] = (i * 7 + 3) & 0xff
    return bytes(image)


def loader_input(image, ram_mib=16, split=False, nul=False, initrd=0, cmdline=32):
    units = ram_mib * 16 - 1
    flags = (1 if split else 0) | (2 if nul else 0) | (4 if initrd > 0xffff else 0)
    return struct.pack("<BBHH", units, flags, initrd // 64 if initrd > 0xffff else initrd,
                       cmdline) + image


def loader_seeds():
    yield "relocatable", loader_input(bzimage(), initrd=0x1234)
    yield "large_initrd", loader_input(bzimage(), initrd=0x200000)
    yield "at_pref_address", loader_input(bzimage(pref_address=0x200000, init_size=0x100000),
                                          ram_mib=8)
    yield "not_relocatable", loader_input(
        bzimage(relocatable_kernel=0, pref_address=0x100000, kernel_alignment=0), ram_mib=4)
    yield "memory_too_small", loader_input(bzimage(), ram_mib=1)
    yield "split_memory", loader_input(bzimage(), split=True, initrd=0x4000)
    yield "initrd_below_limit", loader_input(bzimage(initrd_addr_max=0x9fffff, init_size=0x100000),
                                             initrd=0x8000)
    yield "cmdline_nul", loader_input(bzimage(), nul=True)
    yield "cmdline_too_long", loader_input(bzimage(cmdline_size=16))
    yield "truncated", loader_input(bzimage(syssize=0x100))
    yield "old_protocol", loader_input(bzimage(version=0x020b))
    yield "no_64bit_entry", loader_input(bzimage(xloadflags=0))
    yield "setup_sects_zero", loader_input(bzimage(setup_sects=0))
    yield "long_header", loader_input(bzimage(jump=0xffeb))
    yield "odd_alignment", loader_input(bzimage(kernel_alignment=0x300000))
    yield "too_short", loader_input(bzimage()[:0x260])


# --- fuzz_vmlinux: a 6-byte header, then a synthetic ELF vmlinux -------------

PT_LOAD, PT_NOTE = 1, 4
PF_X, PF_W, PF_R = 1, 2, 4
ET_EXEC, ET_DYN, EM_X86_64 = 2, 3, 62
KERNEL_START = 0x1000000  # where x86-64 kernels link by default (16 MiB)


def load(address, file_size, memory_size=None, flags=PF_R):
    """A PT_LOAD segment: file_size bytes of a pattern, then .bss up to memory_size."""
    return dict(type=PT_LOAD, address=address, file_size=file_size,
                memory_size=file_size if memory_size is None else memory_size, flags=flags)


def note(size=0x24):
    return dict(type=PT_NOTE, address=0, file_size=size, memory_size=0, flags=PF_R)


def vmlinux(segments, entry=KERNEL_START, machine=EM_X86_64, elf_type=ET_EXEC,
            elf_class=2, truncate=None):
    """An ELF64 file (System V ABI, "ELF Header" and "Program Header"): the
    header, the program headers in the order given, then each segment's
    bytes, 16-byte aligned. Only what parse_vmlinux reads is filled in."""
    phoff, phentsize = 64, 56
    offset = phoff + phentsize * len(segments)
    headers, body = b"", bytearray()
    for n, s in enumerate(segments):
        offset = (offset + 15) // 16 * 16
        start = offset - phoff - phentsize * len(segments)
        body += bytes(start - len(body))
        body += bytes((i * 7 + n * 31 + 3) & 0xff for i in range(s["file_size"]))
        headers += struct.pack("<IIQQQQQQ", s["type"], s["flags"], offset, s["address"],
                               s["address"], s["file_size"], s["memory_size"], 0x1000)
        offset += s["file_size"]
    ident = b"\x7fELF" + bytes([elf_class, 1, 1]) + bytes(9)
    header = ident + struct.pack("<HHIQQQIHHHHHH", elf_type, machine, 1, entry, phoff, 0, 0,
                                 64, phentsize, len(segments), 64, 0, 0)
    image = header + headers + bytes(body)
    return image if truncate is None else image[:truncate]


def vmlinux_input(image, ram_mib=32, split=False, nul=False, initrd=0, cmdline=32):
    units = ram_mib * 4 - 1  # fuzz_vmlinux counts RAM in 256 KiB units
    flags = (1 if split else 0) | (2 if nul else 0) | (4 if initrd > 0xffff else 0)
    return struct.pack("<BBHH", units, flags, initrd // 64 if initrd > 0xffff else initrd,
                       cmdline) + image


def kernel_segments(base=KERNEL_START):
    """Like a real vmlinux, in miniature: text, data, then init code and .bss."""
    return [load(base, 0x600, flags=PF_R | PF_X),
            load(base + 0x1000, 0x300, flags=PF_R | PF_W),
            load(base + 0x2000, 0x200, 0x3000, flags=PF_R | PF_W | PF_X)]


def vmlinux_seeds():
    kernel = kernel_segments() + [note()]
    yield "three_segments", vmlinux_input(vmlinux(kernel), initrd=0x1234)
    yield "large_initrd", vmlinux_input(vmlinux(kernel), initrd=0x200000)
    yield "out_of_order", vmlinux_input(vmlinux([note()] + kernel_segments()[::-1]), initrd=0x800)
    yield "bss_only_segment", vmlinux_input(
        vmlinux(kernel + [load(KERNEL_START + 0x8000, 0, 0x2000, flags=PF_R | PF_W)]))
    yield "split_memory", vmlinux_input(vmlinux(kernel), ram_mib=1, split=True, initrd=0x4000)
    # At 2 GiB: loads without an initrd, but an initrd cannot go below 2 GiB.
    high = kernel_segments(0x80000000)
    yield "high_kernel", vmlinux_input(vmlinux(high, entry=0x80000000), ram_mib=1, split=True)
    yield "high_kernel_initrd", vmlinux_input(vmlinux(high, entry=0x80000000), ram_mib=1,
                                              split=True, initrd=0x1000)
    yield "memory_too_small", vmlinux_input(vmlinux(kernel), ram_mib=16)
    yield "cmdline_nul", vmlinux_input(vmlinux(kernel), nul=True)
    yield "cmdline_too_long", vmlinux_input(vmlinux(kernel), cmdline=2048)
    yield "entry_in_bss", vmlinux_input(vmlinux(kernel, entry=KERNEL_START + 0x2400))
    yield "entry_not_executable", vmlinux_input(vmlinux(kernel, entry=KERNEL_START + 0x1000))
    yield "overlapping", vmlinux_input(vmlinux(kernel + [load(KERNEL_START + 0x4000, 0x10)]))
    yield "not_2mib_aligned", vmlinux_input(vmlinux(kernel_segments(0x1100000),
                                                    entry=0x1100000))
    yield "below_1mib", vmlinux_input(vmlinux([load(0x80000, 0x10)] + kernel))
    yield "into_mmio_hole", vmlinux_input(vmlinux(kernel + [load(0xbffff000, 0x10, 0x2000)]))
    yield "truncated", vmlinux_input(vmlinux(kernel, truncate=0x300))
    yield "elf32", vmlinux_input(vmlinux(kernel, elf_class=1))
    yield "not_x86_64", vmlinux_input(vmlinux(kernel, machine=183))  # AArch64
    yield "shared_object", vmlinux_input(vmlinux(kernel, elf_type=ET_DYN))
    yield "no_loadable_segment", vmlinux_input(vmlinux([note()]))


# --- fuzz_pci_config: a 2-byte header, then 12-byte steps -------------------

W1, W2, W4, W8 = 0, 1, 2, 3  # access widths, as log2
BRIDGE, FUNC_A, FUNC_B = 0, 1, 2  # slots (and step 2's function numbers)
COMMAND, BAR0, BAR2, CAP_LIST = 0x04, 0x10, 0x18, 0x34
MSIX_CAP_A = 0x40  # each function's only capability


def pci_step(kind, b1=0, b2=0, b3=0, value=0):
    return bytes([kind, b1, b2, b3]) + (value & (1 << 64) - 1).to_bytes(8, "little")


def conf_read(slot, register, width=W4, flags=0):
    return pci_step(1, slot | flags, register, width)


def conf_write(slot, register, value, width=W4, flags=0):
    return pci_step(1, slot | 0x80 | flags, register, width, value)


def bar_access(function, bar, offset, width=W4, value=None):
    write = value is not None
    return pci_step(2, function | bar << 2 | width << 5 | (0x80 if write else 0),
                    offset & 0xff, offset >> 8, value or 0)


def raw_port(port, width, value=None):
    return pci_step(0, port | (0x80 if value is None else 0), 0, width, value or 0)


def absolute(address, width=W4, value=None, io=False):
    write = value is not None
    return pci_step(3, (1 if io else 0) | width << 5 | (0x80 if write else 0), 0, 0,
                    address | (value or 0) << 32)


def pci_notify(function, vector):
    return pci_step(4, function - 1, vector)


def msix_entry(function, bar, table_offset, vector, address, data, masked):
    entry = table_offset + 16 * vector
    return b"".join([bar_access(function, bar, entry, W8, address),
                     bar_access(function, bar, entry + 8, W4, data),
                     bar_access(function, bar, entry + 12, W4, 1 if masked else 0),
                     bar_access(function, bar, entry, W8), bar_access(function, bar, entry + 8, W8)])


def pci_seeds():
    header = bytes([3, 7])  # 4 vectors for A, 8 for B
    # What Linux's PCI core does at boot: IDs, class, BAR sizing, enabling.
    yield "enumerate", header + b"".join(
        [conf_read(slot, 0) + conf_read(slot, 0x08) + conf_read(slot, 0x0e, W1)
         for slot in range(4)] +
        [x for bar in range(6) for x in (conf_read(FUNC_A, BAR0 + 4 * bar),
                                         conf_write(FUNC_A, BAR0 + 4 * bar, 0xffffffff),
                                         conf_read(FUNC_A, BAR0 + 4 * bar))] +
        [conf_write(FUNC_A, COMMAND, 0x0007, W2), conf_write(FUNC_B, COMMAND, 0x0003, W2),
         conf_read(FUNC_A, CAP_LIST, W1), conf_read(FUNC_A, MSIX_CAP_A, W4),
         bar_access(FUNC_A, 1, 0, W1), bar_access(FUNC_B, 0, 0xfe, W2, 0x1234)])
    # msix_capability_init(), then interrupts: held while masked, sent on unmask.
    yield "msix", header + b"".join([
        conf_write(FUNC_A, COMMAND, 0x0006, W2),
        conf_write(FUNC_A, MSIX_CAP_A + 2, 0xc000, W2),
        msix_entry(FUNC_A, 0, 0, 0, 0xfee00000, 0x4021, False),
        msix_entry(FUNC_A, 0, 0, 3, 0xfee01000, 0x4024, True),
        pci_notify(FUNC_A, 0), pci_notify(FUNC_A, 3), bar_access(FUNC_A, 0, 0x1000, W8),
        conf_write(FUNC_A, MSIX_CAP_A + 2, 0x8000, W2),
        pci_notify(FUNC_A, 0), pci_notify(FUNC_A, 3), pci_notify(FUNC_A, 9),
        bar_access(FUNC_A, 0, 3 * 16 + 12, W4, 0), bar_access(FUNC_A, 0, 0x1000, W4),
        bar_access(FUNC_A, 0, 2, W2), bar_access(FUNC_A, 0, 0x1000, W4, 0xffffffff),
        conf_write(FUNC_B, COMMAND, 0x0002, W2), conf_write(FUNC_B, MSIX_CAP_A + 2, 0x8000, W2),
        msix_entry(FUNC_B, 2, 0x4000, 7, 0xfee00000, 0x4030, False),
        pci_notify(FUNC_B, 7), msix_entry(FUNC_B, 2, 0x4000, 6, 0x1000, 0x4031, False),
        pci_notify(FUNC_B, 6), bar_access(FUNC_B, 4, 0x800, W8),
        conf_write(FUNC_B, MSIX_CAP_A + 2, 0, W2), pci_notify(FUNC_B, 7)])
    # BARs moved onto each other, out of the window, above 4 GiB, and back.
    yield "bar_moves", header + b"".join([
        conf_write(FUNC_A, COMMAND, 0x0003, W2), conf_write(FUNC_B, COMMAND, 0x0003, W2),
        conf_read(FUNC_B, BAR0 + 16), conf_write(FUNC_A, BAR0, 0xe0000000 + 0x10000),
        conf_write(FUNC_B, BAR0 + 16, 0xe0010000), conf_write(FUNC_A, BAR0, 0x1000),
        conf_write(FUNC_B, BAR0 + 16, 0xe0011000), conf_write(FUNC_A, BAR2 + 4, 1),
        conf_write(FUNC_A, BAR0 + 4, 0xc000), conf_write(FUNC_B, BAR0, 0xc000),
        conf_write(FUNC_B, BAR0, 0xc100), conf_write(FUNC_A, BAR2, 0xfdffc000),
        conf_write(FUNC_A, BAR2 + 4, 0), conf_write(FUNC_A, BAR2, 0xfdff0000),
        absolute(0xfdff0000), absolute(0xc100, W2, 0x55, io=True), absolute(0xe0010ffe, W4),
        conf_write(FUNC_A, COMMAND, 0, W2), conf_write(FUNC_A, COMMAND, 0x0002, W2)])
    # What the guest gets wrong: byte accesses to 0xCF8, the enable bit
    # clear, other buses and functions, extended registers, wide CONFIG_DATA.
    yield "odd_config_accesses", header + b"".join([
        raw_port(0, W1, 0x80), raw_port(1, W2), raw_port(0, W4, 0x80000808), raw_port(4, W8),
        raw_port(5, W4), raw_port(6, W2, 0xffff), raw_port(7, W1), raw_port(0, W4),
        conf_read(FUNC_A, 0, W4, 0x20), conf_read(FUNC_A, 0, W4, 0x40),
        conf_write(FUNC_A, 0x04, 0xffff, W2, 0x20), pci_step(1, FUNC_A | 0x80, 0x04, W2 | 4, 7),
        pci_step(1, FUNC_A, 0x00, W4 | 8), conf_write(FUNC_A, 0xfc, 0xffffffff),
        conf_write(FUNC_A, 0x06, 0xffff, W2), conf_write(FUNC_A, 0x00, 0xffffffff),
        conf_write(FUNC_A, 0x30, 0xffffffff), conf_read(FUNC_A, 0x30),
        conf_write(BRIDGE, 0x04, 0xffff, W2), conf_read(9, 0)])


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    generators = (("descriptor_chain", seeds), ("block_request", block_seeds),
                  ("cli_options", cli_seeds), ("uart_16550", uart_seeds),
                  ("acpi_tables", acpi_seeds), ("linux_loader", loader_seeds),
                  ("vmlinux", vmlinux_seeds), ("pci_config", pci_seeds))
    for corpus, generator in generators:
        out = os.path.join(here, "corpus", corpus)
        os.makedirs(out, exist_ok=True)
        for name, seed in generator():
            with open(os.path.join(out, name), "wb") as f:
                f.write(seed if isinstance(seed, bytes) else seed.data())


if __name__ == "__main__":
    main()
