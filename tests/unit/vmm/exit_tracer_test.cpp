#include "vmm/trace/exit_tracer.h"

#include <linux/kvm.h>

#include <array>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace berth::trace {
namespace {

constexpr uint64_t kSecond = 1'000'000'000;
constexpr uint64_t kMs = 1'000'000;

// Collects the lines a tracer writes.
struct Lines {
    std::vector<std::string> lines;
    ExitTracer::Sink sink() {
        return [this](std::string_view line) { lines.emplace_back(line); };
    }
};

ExitEvent uart_write(uint64_t time_ns, uint8_t& byte) {
    return {.vcpu = 0,
            .reason = ExitReason::kIo,
            .time_ns = time_ns,
            .address = 0x3f8,
            .size = 1,
            .is_write = true,
            .data = std::span<const uint8_t>(&byte, 1),
            .device = "uart-16550"};
}

TEST(TokenBucket, StartsFullThenRefillsAtTheRate) {
    TokenBucket bucket(1000, 10);  // 1000 a second: one per millisecond
    for (int i = 0; i < 10; ++i) {
        EXPECT_TRUE(bucket.take(0)) << i;
    }
    EXPECT_FALSE(bucket.take(0));
    EXPECT_FALSE(bucket.take(kMs / 2));  // half a token
    EXPECT_TRUE(bucket.take(kMs));       // one whole token
    EXPECT_FALSE(bucket.take(kMs));
    // A long pause refills only up to the burst.
    const uint64_t later = 10 * kSecond;
    for (int i = 0; i < 10; ++i) {
        EXPECT_TRUE(bucket.take(later)) << i;
    }
    EXPECT_FALSE(bucket.take(later));
}

TEST(TokenBucket, TimeGoingBackwardsAddsNothing) {
    TokenBucket bucket(1000, 1);
    EXPECT_TRUE(bucket.take(5 * kMs));
    EXPECT_FALSE(bucket.take(kMs));  // an earlier exit from another vCPU
    EXPECT_FALSE(bucket.take(5 * kMs));
    EXPECT_TRUE(bucket.take(6 * kMs));
}

TEST(TokenBucket, SustainedRateMatches) {
    TokenBucket bucket(2000, 2000);
    // 20000 offers a second for 3 seconds: burst + rate * time get through.
    int taken = 0;
    for (uint64_t t = 0; t < 3 * kSecond; t += 50'000) {
        taken += bucket.take(t) ? 1 : 0;
    }
    EXPECT_NEAR(taken, 2000 + 2000 * 3, 2);
}

TEST(FormatExitLine, IoWriteWithDevice) {
    uint8_t byte = 'A';
    const ExitEvent event = uart_write(1'234'567'890 + 500, byte);
    EXPECT_EQ(format_exit_line(event, 500),
              "[    1.234567] vcpu0 io out port=0x3f8 size=1 data=0x41 device=uart-16550");
}

TEST(FormatExitLine, ReadsShowTheValueAndWidth) {
    const std::array<uint8_t, 4> bytes{0x78, 0x56, 0x34, 0x12};
    ExitEvent event{.vcpu = 3,
                    .reason = ExitReason::kMmio,
                    .time_ns = 2 * kSecond,
                    .address = 0xfebf1000,
                    .size = 4,
                    .is_write = false,
                    .data = bytes,
                    .device = "virtio-rng"};
    EXPECT_EQ(format_exit_line(event, 0),
              "[    2.000000] vcpu3 mmio read addr=0xfebf1000 size=4 data=0x12345678 "
              "device=virtio-rng");
    event.size = 2;
    event.data = std::span(bytes).first(2);
    event.reason = ExitReason::kIo;
    event.address = 0xcfc;
    event.device = "unhandled";
    EXPECT_EQ(format_exit_line(event, 0),
              "[    2.000000] vcpu3 io in port=0xcfc size=2 data=0x5678 device=unhandled");
}

TEST(FormatExitLine, RepStringIsOneLineWithCount) {
    std::vector<uint8_t> bytes(12);
    for (size_t i = 0; i < bytes.size(); ++i) {
        bytes[i] = static_cast<uint8_t>('a' + i);
    }
    const ExitEvent event{.reason = ExitReason::kIo,
                          .address = 0x3f8,
                          .size = 1,
                          .count = 12,
                          .is_write = true,
                          .data = bytes,
                          .device = "uart-16550"};
    EXPECT_EQ(format_exit_line(event, 0),
              "[    0.000000] vcpu0 io out port=0x3f8 size=1 count=12 "
              "data=0x61,0x62,0x63,0x64,0x65,0x66,0x67,0x68,... device=uart-16550");
}

TEST(FormatExitLine, OtherReasons) {
    EXPECT_EQ(format_exit_line({.vcpu = 1,
                                .reason = ExitReason::kSystemEvent,
                                .time_ns = 3 * kSecond,
                                .detail = KVM_SYSTEM_EVENT_RESET},
                               0),
              "[    3.000000] vcpu1 system-event type=reset");
    EXPECT_EQ(format_exit_line({.reason = ExitReason::kIntr, .time_ns = 10}, 0),
              "[    0.000000] vcpu0 intr");
    EXPECT_EQ(format_exit_line({.reason = ExitReason::kFailEntry, .detail = 0x21}, 0),
              "[    0.000000] vcpu0 fail-entry hardware-reason=0x21");
    EXPECT_EQ(format_exit_line({.reason = ExitReason::kUnknown, .detail = 99}, 0),
              "[    0.000000] vcpu0 unknown kvm-exit-reason=99");
}

TEST(ExitTracer, FiltersAndEndsLines) {
    Lines out;
    ExitTracer tracer(ExitFilter::parse("system-event"), out.sink(), {}, "\r\n");
    uint8_t byte = 'x';
    tracer.offer(uart_write(1, byte));
    tracer.offer({.reason = ExitReason::kSystemEvent, .time_ns = 2, .detail = 1});
    ASSERT_EQ(out.lines.size(), 1u);
    EXPECT_EQ(out.lines[0], "[    0.000000] vcpu0 system-event type=shutdown\r\n");
    EXPECT_EQ(tracer.lines_shown(), 1u);
    EXPECT_EQ(tracer.exits_not_shown(), 0u);  // filtered out is not "not shown"
}

TEST(ExitTracer, RateLimitDropsAndSaysHowMany) {
    Lines out;
    ExitTracer tracer(ExitFilter(), out.sink(), {.lines_per_second = 10, .burst = 3});
    tracer.set_origin(100 * kSecond);
    uint8_t byte = 'x';
    // A burst of 10 exits at one instant: 3 shown, 7 dropped.
    for (int i = 0; i < 10; ++i) {
        tracer.offer(uart_write(100 * kSecond, byte));
    }
    EXPECT_EQ(out.lines.size(), 3u);
    EXPECT_EQ(tracer.exits_not_shown(), 7u);
    // 100 ms later one token is back: first the drop count, then the line.
    tracer.offer(uart_write(100 * kSecond + 100 * kMs, byte));
    ASSERT_EQ(out.lines.size(), 5u);
    EXPECT_EQ(out.lines[3], "berth: trace: 7 exits not shown (rate limit 10 lines/s, burst 3)\n");
    EXPECT_EQ(out.lines[4].rfind("[    0.100000] vcpu0 io out", 0), 0u) << out.lines[4];
    // Dropped again, and said at the end.
    tracer.offer(uart_write(100 * kSecond + 100 * kMs, byte));
    tracer.finish();
    ASSERT_EQ(out.lines.size(), 6u);
    EXPECT_EQ(out.lines[5], "berth: trace: 1 exits not shown (rate limit 10 lines/s, burst 3)\n");
    EXPECT_EQ(tracer.lines_shown(), 4u);
    EXPECT_EQ(tracer.exits_not_shown(), 8u);
    tracer.finish();  // nothing new to say
    EXPECT_EQ(out.lines.size(), 6u);
}

TEST(ExitTracer, LinesFromManyThreadsStayWhole) {
    std::vector<std::string> lines;
    // The sink writes a line in pieces: without the tracer's lock, pieces of
    // lines from different threads would mix.
    std::string buffer;
    ExitTracer tracer(ExitFilter(),
                      [&](std::string_view line) {
                          for (char c : line) {
                              buffer += c;
                              std::this_thread::yield();
                              if (c == '\n') {
                                  lines.push_back(buffer);
                                  buffer.clear();
                              }
                          }
                      },
                      {.lines_per_second = 1e9, .burst = 1e9});
    std::vector<std::thread> threads;
    for (uint32_t vcpu = 0; vcpu < 4; ++vcpu) {
        threads.emplace_back([&tracer, vcpu] {
            uint8_t byte = static_cast<uint8_t>('0' + vcpu);
            for (int i = 0; i < 200; ++i) {
                ExitEvent event = uart_write(0, byte);
                event.vcpu = vcpu;
                tracer.offer(event);
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    ASSERT_EQ(lines.size(), 800u);
    for (const std::string& line : lines) {
        const char vcpu = line[line.find("vcpu") + 4];
        EXPECT_NE(line.find(fmt::format("data=0x3{}", vcpu)), std::string::npos) << line;
    }
}

}  // namespace
}  // namespace berth::trace
