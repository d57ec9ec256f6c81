#include <gtest/gtest.h>

#include <cstring>

#include "vmm/vcpu/boot_msrs.h"
#include "vmm/vcpu/lapic.h"
#include "vmm/vcpu/vm_exit.h"

namespace berth::vcpu {
namespace {

uint32_t lapic_register(const kvm_lapic_state& lapic, size_t offset) {
    uint32_t value = 0;
    std::memcpy(&value, lapic.regs + offset, sizeof(value));
    return value;
}

TEST(Lapic, Lint0IsExtIntAndLint1IsNmi) {
    kvm_lapic_state lapic{};
    const uint32_t masked = 1u << 16;
    std::memcpy(lapic.regs + 0x350, &masked, sizeof(masked));
    wire_lapic_lints(lapic);
    EXPECT_EQ(lapic_register(lapic, 0x350), masked | (7u << 8));  // other bits kept
    EXPECT_EQ(lapic_register(lapic, 0x360), 4u << 8);
}

TEST(BootMsrs, MtrrsEnabledWriteBack) {
    bool found = false;
    for (const auto& msr : boot_msrs()) {
        if (msr.index == 0x2ff) {
            EXPECT_EQ(msr.data, (1u << 11) | 6u);
            found = true;
        }
    }
    EXPECT_TRUE(found);
}

// A kvm_run followed by its data page, as the kernel lays out the mapping.
struct FakeRun {
    alignas(kvm_run) uint8_t bytes[8192] = {};
    kvm_run& run() { return *reinterpret_cast<kvm_run*>(bytes); }
};

TEST(VmExit, DecodesPortOutput) {
    FakeRun fake;
    fake.run().exit_reason = KVM_EXIT_IO;
    fake.run().io.direction = KVM_EXIT_IO_OUT;
    fake.run().io.port = 0x3f8;
    fake.run().io.size = 1;
    fake.run().io.count = 3;
    fake.run().io.data_offset = 4096;
    std::memcpy(fake.bytes + 4096, "abc", 3);
    auto exit = decode_exit(fake.run(), sizeof(fake.bytes));
    auto* io = std::get_if<IoExit>(&exit);
    ASSERT_NE(io, nullptr);
    EXPECT_TRUE(io->is_write);
    EXPECT_EQ(io->port, 0x3f8);
    ASSERT_EQ(io->data.size(), 3u);
    EXPECT_EQ(io->data[2], 'c');
}

TEST(VmExit, RefusesIoDataOutsideTheRunArea) {
    FakeRun fake;
    fake.run().exit_reason = KVM_EXIT_IO;
    fake.run().io.size = 4;
    fake.run().io.count = 2000;  // 8000 bytes from offset 4096 overrun 8192
    fake.run().io.data_offset = 4096;
    EXPECT_TRUE(std::holds_alternative<UnknownExit>(decode_exit(fake.run(), sizeof(fake.bytes))));
}

TEST(VmExit, DecodesMmioAndShutdown) {
    FakeRun fake;
    fake.run().exit_reason = KVM_EXIT_MMIO;
    fake.run().mmio.phys_addr = 0xd0000000;
    fake.run().mmio.len = 4;
    fake.run().mmio.is_write = 1;
    auto exit = decode_exit(fake.run(), sizeof(fake.bytes));
    auto* mmio = std::get_if<MmioExit>(&exit);
    ASSERT_NE(mmio, nullptr);
    EXPECT_EQ(mmio->address, 0xd0000000u);
    EXPECT_EQ(mmio->data.size(), 4u);

    fake.run().exit_reason = KVM_EXIT_SHUTDOWN;
    EXPECT_TRUE(std::holds_alternative<ShutdownExit>(decode_exit(fake.run(), sizeof(fake.bytes))));
}

}  // namespace
}  // namespace berth::vcpu
