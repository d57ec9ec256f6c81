#include "vmm/trace/chrome_trace.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <sstream>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "vmm/common/error.h"
#include "vmm/trace/guest_clock.h"

namespace berth::trace {
namespace {

constexpr int kTid = 1;  // each process is one track
constexpr std::string_view kProcessStart = "process-start";
constexpr std::string_view kClockNote =
    "guest-kernel time 0 is placed at the latest moment it can have been, given first-kvm-run, "
    "when Berth saw each kernel line (host_seen_us) and when init wrote the boot marker "
    "(vmm/trace/guest_clock.h): guest events are drawn at most slightly late";

// The length of the valid UTF-8 sequence at the start of `text` (RFC 3629 §4:
// no overlong forms, no surrogates, nothing above U+10FFFF), 0 if invalid.
size_t utf8_sequence_length(std::string_view text) {
    const auto byte = [&text](size_t i) { return static_cast<uint8_t>(text[i]); };
    const uint8_t lead = byte(0);
    size_t length = 0;
    uint8_t low = 0x80;  // the allowed range of the second byte
    uint8_t high = 0xbf;
    if (lead < 0x80) {
        return 1;
    } else if (lead >= 0xc2 && lead <= 0xdf) {
        length = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        length = 3;
        low = lead == 0xe0 ? 0xa0 : 0x80;   // overlong
        high = lead == 0xed ? 0x9f : 0xbf;  // surrogates
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        length = 4;
        low = lead == 0xf0 ? 0x90 : 0x80;   // overlong
        high = lead == 0xf4 ? 0x8f : 0xbf;  // above U+10FFFF
    } else {
        return 0;
    }
    if (text.size() < length || byte(1) < low || byte(1) > high) {
        return 0;
    }
    for (size_t i = 2; i < length; ++i) {
        if (byte(i) < 0x80 || byte(i) > 0xbf) {
            return 0;
        }
    }
    return length;
}

// One trace event, kept with its time so that all can be sorted.
struct Event {
    uint64_t ts;
    std::string json;
};

std::string args_json(const std::vector<std::pair<std::string_view, std::string>>& args) {
    std::string json = "{";
    for (const auto& [key, value] : args) {
        if (json.size() > 1) {
            json += ',';
        }
        json += json_string(key) + ':' + value;  // value: JSON already
    }
    return json + '}';
}

std::string metadata(std::string_view name, int pid, std::string_view arg_name,
                     std::string_view value) {
    return fmt::format(R"({{"name":{},"ph":"M","ts":0,"pid":{},"tid":{},"args":{}}})",
                       json_string(name), pid, kTid, args_json({{arg_name, json_string(value)}}));
}

std::string instant(std::string_view name, int pid, uint64_t ts, const std::string& args) {
    return fmt::format(R"({{"name":{},"ph":"i","s":"t","ts":{},"pid":{},"tid":{},"args":{}}})",
                       json_string(name), ts, pid, kTid, args);
}

std::string complete(std::string_view from, std::string_view to, int pid, uint64_t ts,
                     uint64_t dur) {
    return fmt::format(R"({{"name":{},"ph":"X","ts":{},"dur":{},"pid":{},"tid":{},"args":{}}})",
                       json_string(fmt::format("{} to {}", from, to)), ts, dur, pid, kTid,
                       args_json({{"from", json_string(from)}, {"to", json_string(to)}}));
}

// A point in time on one track, and what the trace says about it.
struct Mark {
    std::string_view name;
    uint64_t ts;
    std::string args;
};

// Instants for each mark and a phase between each consecutive pair.
void add_track(std::vector<Mark> marks, int pid, std::vector<Event>& events) {
    std::stable_sort(marks.begin(), marks.end(),
                     [](const Mark& a, const Mark& b) { return a.ts < b.ts; });
    for (size_t i = 0; i < marks.size(); ++i) {
        events.push_back({marks[i].ts, instant(marks[i].name, pid, marks[i].ts, marks[i].args)});
        if (i + 1 < marks.size()) {
            events.push_back({marks[i].ts, complete(marks[i].name, marks[i + 1].name, pid,
                                                    marks[i].ts, marks[i + 1].ts - marks[i].ts)});
        }
    }
}

}  // namespace

std::string json_string(std::string_view text) {
    std::string out = "\"";
    while (!text.empty()) {
        const char c = text.front();
        const size_t length = utf8_sequence_length(text);
        if (length == 0) {
            out += "\\ufffd";  // not UTF-8: the replacement character
            text.remove_prefix(1);
            continue;
        }
        if (length > 1) {
            out.append(text.substr(0, length));
        } else if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else if (static_cast<uint8_t>(c) < 0x20) {
            out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        } else {
            out += c;
        }
        text.remove_prefix(length);
    }
    return out + '"';
}

void write_boot_trace(std::span<const TimelineEntry> host, std::span<const KernelMilestone> guest,
                      std::ostream& out) {
    std::vector<Event> events;
    std::vector<Mark> host_marks{{kProcessStart, 0, "{}"}};
    for (const TimelineEntry& entry : host) {
        host_marks.push_back({entry.name, entry.us, "{}"});
    }
    add_track(std::move(host_marks), kHostPid, events);

    const std::optional<uint64_t> origin = guest_clock_origin(host, guest);
    if (origin) {
        std::vector<Mark> guest_marks;
        for (const KernelMilestone& milestone : guest) {
            guest_marks.push_back(
                {milestone.name, *origin + milestone.guest_us,
                 args_json({{"guest_s", fmt::format("{}.{:06}", milestone.guest_us / 1'000'000,
                                                    milestone.guest_us % 1'000'000)},
                            {"host_seen_us", std::to_string(milestone.host_us)},
                            {"message", json_string(milestone.message)}})});
        }
        add_track(std::move(guest_marks), kGuestPid, events);
    }
    std::stable_sort(events.begin(), events.end(),
                     [](const Event& a, const Event& b) { return a.ts < b.ts; });

    std::vector<std::string> all{
        metadata("process_name", kHostPid, "name", "berth (host)"),
        metadata("thread_name", kHostPid, "name", "VMM milestones"),
    };
    if (origin) {
        all.push_back(metadata("process_name", kGuestPid, "name", "guest kernel"));
        all.push_back(metadata("thread_name", kGuestPid, "name", "printk milestones"));
        all.push_back(metadata("process_labels", kGuestPid, "labels", kClockNote));
    }
    for (Event& event : events) {
        all.push_back(std::move(event.json));
    }
    out << "{\"traceEvents\":[\n";
    for (size_t i = 0; i < all.size(); ++i) {
        out << all[i] << (i + 1 < all.size() ? ",\n" : "\n");
    }
    out << "],\n\"displayTimeUnit\":\"ms\",\n\"otherData\":"
        << args_json({{"host_clock", json_string("microseconds since Berth's process started")},
                      {"guest_clock",
                       json_string(origin ? kClockNote
                                          : "no first-kvm-run or no kernel milestone: guest "
                                            "kernel milestones left out")}})
        << "}\n";
}

void write_boot_trace_file(const std::string& path, std::span<const TimelineEntry> host,
                           std::span<const KernelMilestone> guest) {
    std::ostringstream text;
    write_boot_trace(host, guest, text);
    const std::string bytes = text.str();
    const std::string what = fmt::format("writing the boot trace to {}", path);
    std::FILE* file = std::fopen(path.c_str(), "w");
    if (file == nullptr) {
        throw SystemError(what, errno);
    }
    const bool written = std::fwrite(bytes.data(), 1, bytes.size(), file) == bytes.size();
    const int write_errno = errno;
    // fclose() flushes: a full disk may only show here.
    if (std::fclose(file) != 0 || !written) {
        throw SystemError(what, written ? errno : write_errno);
    }
}

void check_trace_path(const std::string& path, std::string_view option) {
    namespace fs = std::filesystem;
    if (path.empty()) {
        throw UserError(fmt::format("{}: the file name is empty", option));
    }
    std::error_code error;
    const fs::file_status status = fs::status(path, error);
    if (fs::exists(status)) {
        if (fs::is_directory(status)) {
            throw UserError(fmt::format("{} {}: is a directory; name a file", option, path));
        }
        if (::access(path.c_str(), W_OK) != 0) {
            throw UserError(fmt::format("{} {}: cannot write this file ({})", option, path,
                                        std::system_category().message(errno)));
        }
        return;
    }
    fs::path directory = fs::path(path).parent_path();
    if (directory.empty()) {
        directory = ".";
    }
    if (!fs::is_directory(directory, error)) {
        throw UserError(
            fmt::format("{} {}: {} is not a directory", option, path, directory.string()));
    }
    if (::access(directory.c_str(), W_OK | X_OK) != 0) {
        throw UserError(fmt::format("{} {}: cannot create files in {} ({})", option, path,
                                    directory.string(), std::system_category().message(errno)));
    }
}

}  // namespace berth::trace
