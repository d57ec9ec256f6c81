// `berth run --trace-exits`: one line per VM exit on stderr (stdout is the
// guest's console), filtered, and rate-limited so that a busy guest cannot
// drown the terminal.
//
//   [    1.234567] vcpu0 io out port=0x3f8 size=1 data=0x41 device=uart-16550
//   [    1.234601] vcpu0 io in port=0x3fd size=1 data=0x60 device=uart-16550
//   [    2.000113] vcpu1 mmio write addr=0xd0000000 size=1 data=0x01 device=boot-marker
//   [    3.500000] vcpu0 system-event type=shutdown
//
// The time is seconds since the VM started, when KVM_RUN returned; a read's
// data is what the device answered. A REP INS/OUTS is one exit and one line
// with count=N and its first 8 values. Lines from several vCPU threads are
// written whole, one at a time, under a mutex.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "vmm/trace/exit_event.h"
#include "vmm/trace/exit_filter.h"

namespace berth::trace {

// A token bucket: it holds up to `burst` tokens, gains `rate` tokens a
// second, and each line shown takes one. Times come from the caller, so a
// test can drive it with a fake clock.
class TokenBucket {
public:
    TokenBucket(double rate_per_second, double burst);
    // True (and one token spent) when a line may be shown at `now_ns`.
    bool take(uint64_t now_ns);

private:
    double rate_per_ns_;
    double burst_;
    double tokens_;  // starts full
    uint64_t last_ns_ = 0;
    bool started_ = false;
};

// One exit as a trace line, without the line end; `origin_ns` is time zero.
std::string format_exit_line(const ExitEvent& event, uint64_t origin_ns);

class ExitTracer {
public:
    // Takes one whole line (line end included) and writes it out.
    using Sink = std::function<void(std::string_view line)>;
    struct Limits {
        double lines_per_second = 2000;
        double burst = 2000;
    };

    ExitTracer(ExitFilter filter, Sink sink, Limits limits, std::string line_end = "\n");

    // Writes to stderr with write(2); lines end in \r\n when stderr is a
    // terminal (it is in raw mode while the guest runs).
    static std::unique_ptr<ExitTracer> to_stderr(ExitFilter filter);

    // Time zero of the lines (and of the rate limiter's clock).
    void set_origin(uint64_t origin_ns) { origin_ns_ = origin_ns; }

    // Shows `event` if the filter wants it and the rate allows; any thread.
    void offer(const ExitEvent& event);
    // Says how many exits the rate limit hid since the last line, if any.
    void finish();

    uint64_t lines_shown() const;
    uint64_t exits_not_shown() const;  // matched the filter, hidden by the rate limit
    const Limits& limits() const { return limits_; }

private:
    void write_dropped_line();  // with mutex_ held

    const ExitFilter filter_;
    const Sink sink_;
    const Limits limits_;
    const std::string line_end_;
    uint64_t origin_ns_ = 0;

    mutable std::mutex mutex_;  // protects what follows, and orders the lines
    TokenBucket bucket_;
    uint64_t shown_ = 0;
    uint64_t not_shown_ = 0;
    uint64_t not_shown_since_last_line_ = 0;
};

}  // namespace berth::trace
