#!/usr/bin/env python3
"""Write the seed corpora of tests/fuzz/fuzz_descriptor_chain.cpp and
tests/fuzz/fuzz_block_request.cpp.

Each seed is a small, valid (or deliberately broken) queue in the input
format that its target's header comment describes: a short header, then
guest memory from address 0. Run from anywhere; the seeds are committed, so
this only needs running again when a format changes.
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


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    for corpus, generator in (("descriptor_chain", seeds), ("block_request", block_seeds)):
        out = os.path.join(here, "corpus", corpus)
        os.makedirs(out, exist_ok=True)
        for name, seed in generator():
            with open(os.path.join(out, name), "wb") as f:
                f.write(seed.data())


if __name__ == "__main__":
    main()
