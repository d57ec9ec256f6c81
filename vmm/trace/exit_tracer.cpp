#include "vmm/trace/exit_tracer.h"

#include <linux/kvm.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

namespace berth::trace {
namespace {

// A REP string instruction shows this many of its values.
constexpr size_t kMaxValuesShown = 8;

std::string_view system_event_name(uint64_t type) {
    switch (type) {
        case KVM_SYSTEM_EVENT_SHUTDOWN:
            return "shutdown";
        case KVM_SYSTEM_EVENT_RESET:
            return "reset";
        case KVM_SYSTEM_EVENT_CRASH:
            return "crash";
        default:
            return {};
    }
}

// `size` little-endian bytes as one hex number, zero-padded to the width.
std::string hex_value(std::span<const uint8_t> bytes) {
    uint64_t value = 0;
    for (size_t i = std::min<size_t>(bytes.size(), 8); i-- > 0;) {
        value = (value << 8) | bytes[i];
    }
    return fmt::format("{:#0{}x}", value, 2 + 2 * bytes.size());
}

void append_access(std::string& line, const ExitEvent& event) {
    const bool io = event.reason == ExitReason::kIo;
    line += io ? (event.is_write ? " out" : " in") : (event.is_write ? " write" : " read");
    line +=
        io ? fmt::format(" port={:#x}", event.address) : fmt::format(" addr={:#x}", event.address);
    line += fmt::format(" size={}", event.size);
    if (event.count > 1) {
        line += fmt::format(" count={}", event.count);
    }
    if (event.size > 0 && !event.data.empty()) {
        line += " data=";
        const size_t values = std::min<size_t>(event.data.size() / event.size, kMaxValuesShown);
        for (size_t i = 0; i < values; ++i) {
            line += (i == 0 ? "" : ",");
            line += hex_value(event.data.subspan(i * event.size, event.size));
        }
        if (values < event.count) {
            line += ",...";
        }
    }
    line += fmt::format(" device={}", event.device);
}

}  // namespace

TokenBucket::TokenBucket(double rate_per_second, double burst)
    : rate_per_ns_(rate_per_second / 1e9), burst_(burst), tokens_(burst) {}

bool TokenBucket::take(uint64_t now_ns) {
    // Exits from several vCPUs may come a little out of order: time only
    // moves forward.
    if (!started_) {
        started_ = true;
        last_ns_ = now_ns;
    } else if (now_ns > last_ns_) {
        tokens_ = std::min(burst_, tokens_ + static_cast<double>(now_ns - last_ns_) * rate_per_ns_);
        last_ns_ = now_ns;
    }
    if (tokens_ < 1) {
        return false;
    }
    tokens_ -= 1;
    return true;
}

std::string format_exit_line(const ExitEvent& event, uint64_t origin_ns) {
    const uint64_t since = event.time_ns > origin_ns ? event.time_ns - origin_ns : 0;
    std::string line =
        fmt::format("[{:5}.{:06}] vcpu{} {}", since / 1'000'000'000, since / 1'000 % 1'000'000,
                    event.vcpu, exit_reason_name(event.reason));
    switch (event.reason) {
        case ExitReason::kIo:
        case ExitReason::kMmio:
            append_access(line, event);
            break;
        case ExitReason::kSystemEvent: {
            const std::string_view name = system_event_name(event.detail);
            line += name.empty() ? fmt::format(" type={}", event.detail)
                                 : fmt::format(" type={}", name);
            break;
        }
        case ExitReason::kFailEntry:
            line += fmt::format(" hardware-reason={:#x}", event.detail);
            break;
        case ExitReason::kInternalError:
            line += fmt::format(" suberror={}", event.detail);
            break;
        case ExitReason::kUnknown:
            line += fmt::format(" kvm-exit-reason={}", event.detail);
            break;
        default:
            break;
    }
    return line;
}

ExitTracer::ExitTracer(ExitFilter filter, Sink sink, Limits limits, std::string line_end)
    : filter_(std::move(filter)),
      sink_(std::move(sink)),
      limits_(limits),
      line_end_(std::move(line_end)),
      bucket_(limits.lines_per_second, limits.burst) {}

std::unique_ptr<ExitTracer> ExitTracer::to_stderr(ExitFilter filter) {
    auto write_all = [](std::string_view line) {
        while (!line.empty()) {
            const ssize_t written = ::write(STDERR_FILENO, line.data(), line.size());
            if (written < 0 && errno == EINTR) {
                continue;
            }
            if (written <= 0) {
                return;  // stderr is gone: the trace is lost, not the VM
            }
            line.remove_prefix(static_cast<size_t>(written));
        }
    };
    return std::make_unique<ExitTracer>(std::move(filter), write_all, Limits{},
                                        isatty(STDERR_FILENO) ? "\r\n" : "\n");
}

void ExitTracer::offer(const ExitEvent& event) {
    if (!filter_.matches(event)) {
        return;
    }
    std::lock_guard lock(mutex_);
    if (!bucket_.take(event.time_ns > origin_ns_ ? event.time_ns - origin_ns_ : 0)) {
        ++not_shown_;
        ++not_shown_since_last_line_;
        return;
    }
    write_dropped_line();
    ++shown_;
    sink_(format_exit_line(event, origin_ns_) + line_end_);
}

void ExitTracer::finish() {
    std::lock_guard lock(mutex_);
    write_dropped_line();
}

void ExitTracer::write_dropped_line() {
    if (not_shown_since_last_line_ == 0) {
        return;
    }
    sink_(fmt::format("berth: trace: {} exits not shown (rate limit {} lines/s, burst {}){}",
                      not_shown_since_last_line_, limits_.lines_per_second, limits_.burst,
                      line_end_));
    not_shown_since_last_line_ = 0;
}

uint64_t ExitTracer::lines_shown() const {
    std::lock_guard lock(mutex_);
    return shown_;
}

uint64_t ExitTracer::exits_not_shown() const {
    std::lock_guard lock(mutex_);
    return not_shown_;
}

}  // namespace berth::trace
