#!/usr/bin/env python3
"""Write the seed corpus of tests/fuzz/fuzz_descriptor_chain.cpp.

Each seed is a small, valid (or deliberately broken) queue in the input
format that the target's header comment describes: an 8-byte header, then
guest memory from address 0. Run from anywhere; the seeds are committed, so
this only needs running again when the format changes.
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


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.join(here, "corpus", "descriptor_chain")
    os.makedirs(out, exist_ok=True)
    for name, seed in seeds():
        with open(os.path.join(out, name), "wb") as f:
            f.write(seed.data())


if __name__ == "__main__":
    main()
