#include "vmm/vcpu/exit_observer.h"

#include <linux/kvm.h>

#include <array>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

namespace berth::vcpu {
namespace {

// A one-register device that answers reads with 0x5a.
class FakeDevice : public devices::BusDevice {
public:
    std::string_view name() const override { return "fake-device"; }
    void read(uint64_t, std::span<uint8_t> data) override {
        std::fill(data.begin(), data.end(), 0x5a);
    }
    void write(uint64_t, std::span<const uint8_t>) override {}
};

struct Fixture {
    devices::Bus io_bus{"io"};
    devices::Bus mmio_bus{"mmio"};
    std::vector<std::string> lines;
    trace::ExitTracer tracer{
        trace::ExitFilter(), [this](std::string_view line) { lines.emplace_back(line); }, {}};
    trace::ExitStats stats;
    Fixture() {
        io_bus.insert(0x3f8, 8, std::make_shared<FakeDevice>());
        mmio_bus.insert(0xd0000000, 0x1000, std::make_shared<FakeDevice>());
    }
};

TEST(ExitObserver, AttributesAccessesToDevices) {
    Fixture f;
    ExitObserver observer(2, f.io_bus, f.mmio_bus, &f.tracer, &f.stats);
    std::array<uint8_t, 1> byte{0x5a};  // as the device answered it
    observer.exited(IoExit{0x3fd, 1, 1, false, byte}, KVM_EXIT_IO, 0, 1000);
    observer.exited(IoExit{0x80, 1, 1, true, byte}, KVM_EXIT_IO, 0, 2000);
    std::array<uint8_t, 4> word{1, 0, 0, 0};
    observer.exited(MmioExit{0xd0000000, true, word}, KVM_EXIT_MMIO, 0, 3000);

    ASSERT_EQ(f.lines.size(), 3u);
    EXPECT_EQ(f.lines[0],
              "[    0.000001] vcpu2 io in port=0x3fd size=1 data=0x5a device=fake-device\n");
    EXPECT_EQ(f.lines[1],
              "[    0.000002] vcpu2 io out port=0x80 size=1 data=0x5a device=unhandled\n");
    EXPECT_EQ(f.lines[2],
              "[    0.000003] vcpu2 mmio write addr=0xd0000000 size=4 "
              "data=0x00000001 device=fake-device\n");
    EXPECT_EQ(f.stats.ports().hottest(10),
              (std::vector<trace::HotAddress>{{0x80, "unhandled", 1}, {0x3fd, "fake-device", 1}}));
    EXPECT_EQ(f.stats.exits(trace::ExitReason::kMmio), 1u);
}

TEST(ExitObserver, OtherExitsAndTheirDetails) {
    Fixture f;
    ExitObserver observer(0, f.io_bus, f.mmio_bus, &f.tracer, &f.stats);
    observer.exited(RetryExit{}, KVM_EXIT_IRQ_WINDOW_OPEN, 0, 1);
    observer.exited(RetryExit{}, KVM_EXIT_INTR, 0, 2);
    observer.interrupted(0, 3);
    observer.exited(SystemEventExit{KVM_SYSTEM_EVENT_SHUTDOWN}, KVM_EXIT_SYSTEM_EVENT, 0, 4);
    observer.exited(UnknownExit{77}, 77, 0, 5);
    EXPECT_EQ(f.stats.exits(trace::ExitReason::kIrqWindow), 1u);
    EXPECT_EQ(f.stats.exits(trace::ExitReason::kIntr), 2u);
    EXPECT_EQ(f.stats.exits(trace::ExitReason::kSystemEvent), 1u);
    EXPECT_EQ(f.stats.exits(trace::ExitReason::kUnknown), 1u);
    ASSERT_EQ(f.lines.size(), 5u);
    EXPECT_NE(f.lines[3].find("system-event type=shutdown"), std::string::npos);
    EXPECT_NE(f.lines[4].find("unknown kvm-exit-reason=77"), std::string::npos);
}

TEST(ExitObserver, TimesKvmRunAndUserSpace) {
    Fixture f;
    ExitObserver observer(0, f.io_bus, f.mmio_bus, nullptr, &f.stats);
    std::array<uint8_t, 1> byte{0};
    observer.entering_run(1000);  // nothing pending yet: no user time
    observer.exited(IoExit{0x3f8, 1, 1, true, byte}, KVM_EXIT_IO, 1000, 5000);
    observer.entering_run(5300);  // 300 ns in Berth for that I/O exit
    observer.interrupted(5300, 9000);
    observer.stopped(9050);  // the last exit ends when the loop does
    EXPECT_EQ(f.stats.kvm_run_ns(), (5000u - 1000u) + (9000u - 5300u));
    EXPECT_EQ(f.stats.user_time(trace::ExitReason::kIo).count(), 1u);
    EXPECT_EQ(f.stats.user_time(trace::ExitReason::kIo).sum_ns(), 300u);
    EXPECT_EQ(f.stats.user_time(trace::ExitReason::kIntr).sum_ns(), 50u);
    EXPECT_EQ(f.stats.total_exits(), 2u);
    observer.stopped(10000);  // nothing pending: nothing added
    EXPECT_EQ(f.stats.total_user_time().count(), 2u);
}

TEST(ExitObserver, TracerOnlyNeedsNoStats) {
    Fixture f;
    ExitObserver observer(0, f.io_bus, f.mmio_bus, &f.tracer, nullptr);
    observer.entering_run(0);
    observer.exited(HltExit{}, KVM_EXIT_HLT, 0, 10);
    observer.stopped(20);
    ASSERT_EQ(f.lines.size(), 1u);
    EXPECT_EQ(f.lines[0], "[    0.000000] vcpu0 hlt\n");
}

}  // namespace
}  // namespace berth::vcpu
