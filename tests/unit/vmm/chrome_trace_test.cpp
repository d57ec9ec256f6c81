// The boot trace (berth run --trace-boot): valid JSON in the trace-event
// format, each track's events in time order with the expected names and
// durations, the guest kernel's clock placed where guest_clock_origin puts it, and names
// that need escaping kept intact.
#include "vmm/trace/chrome_trace.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "vmm/common/error.h"

namespace berth::trace {
namespace {

using nlohmann::json;
using namespace std::string_literals;

const std::vector<TimelineEntry> kHost{
    {"kvm-ready", 1000},
    {"memory-mapped", 1500},
    {"kernel-loaded", 4000},
    {"first-kvm-run", 5000},
    {"first-serial-byte", 9000},
    {"virtio-blk DRIVER_OK", 320000},
    {"guest-init-reached", 350000},
    {"vm-stopped", 900000},
};
const std::vector<KernelMilestone> kGuest{
    {"kernel-start", 0, 9100, "Linux version 6.1.0"},
    {"init-started", 316004, 330000, "Run /init as init process"},
    {"cpus-up", 118403, 130000, "smp: Brought up 1 node, 2 CPUs"},  // out of order on purpose
};

json trace_of(const std::vector<TimelineEntry>& host, const std::vector<KernelMilestone>& guest) {
    std::ostringstream out;
    write_boot_trace(host, guest, out);
    return json::parse(out.str());  // throws, failing the test, if it is not JSON
}

// The events of one process and phase ("i", "X", "M"), in file order.
std::vector<json> events_of(const json& trace, int pid, std::string_view ph) {
    std::vector<json> events;
    for (const json& event : trace.at("traceEvents")) {
        if (event.at("pid") == pid && event.at("ph") == ph) {
            events.push_back(event);
        }
    }
    return events;
}

std::vector<std::string> names(const std::vector<json>& events) {
    std::vector<std::string> result;
    for (const json& event : events) {
        result.push_back(event.at("name").get<std::string>());
    }
    return result;
}

TEST(ChromeTrace, IsTraceEventJson) {
    const json trace = trace_of(kHost, kGuest);
    ASSERT_TRUE(trace.is_object());
    EXPECT_EQ(trace.at("displayTimeUnit"), "ms");
    ASSERT_TRUE(trace.at("traceEvents").is_array());
    for (const json& event : trace.at("traceEvents")) {
        for (const char* key : {"name", "ph", "ts", "pid", "tid"}) {
            EXPECT_TRUE(event.contains(key)) << event.dump() << " lacks " << key;
        }
        EXPECT_TRUE(event.at("ts").is_number_unsigned()) << event.dump();
        if (event.at("ph") == "i") {
            EXPECT_EQ(event.at("s"), "t");
        }
        if (event.at("ph") == "X") {
            EXPECT_TRUE(event.at("dur").is_number_unsigned());
        }
    }
    EXPECT_TRUE(trace.at("otherData").at("guest_clock").get<std::string>().find("first-kvm-run") !=
                std::string::npos);
}

TEST(ChromeTrace, TracksAreNamed) {
    const json trace = trace_of(kHost, kGuest);
    const auto host = events_of(trace, kHostPid, "M");
    ASSERT_EQ(host.size(), 2u);
    EXPECT_EQ(host[0].at("name"), "process_name");
    EXPECT_EQ(host[0].at("args").at("name"), "berth (host)");
    EXPECT_EQ(host[1].at("name"), "thread_name");
    const auto guest = events_of(trace, kGuestPid, "M");
    ASSERT_EQ(guest.size(), 3u);
    EXPECT_EQ(guest[0].at("args").at("name"), "guest kernel");
    EXPECT_EQ(guest[2].at("name"), "process_labels");
    EXPECT_NE(guest[2].at("args").at("labels").get<std::string>().find("first-kvm-run"),
              std::string::npos);
    // Metadata comes before every timed event.
    bool timed_seen = false;
    for (const json& event : trace.at("traceEvents")) {
        if (event.at("ph") == "M") {
            EXPECT_FALSE(timed_seen);
        } else {
            timed_seen = true;
        }
    }
}

TEST(ChromeTrace, HostMilestonesAndPhasesInTimeOrder) {
    const json trace = trace_of(kHost, kGuest);
    const auto instants = events_of(trace, kHostPid, "i");
    EXPECT_EQ(names(instants), (std::vector<std::string>{
                                   "process-start", "kvm-ready", "memory-mapped", "kernel-loaded",
                                   "first-kvm-run", "first-serial-byte", "virtio-blk DRIVER_OK",
                                   "guest-init-reached", "vm-stopped"}));
    EXPECT_EQ(instants[0].at("ts"), 0);
    EXPECT_EQ(instants[6].at("ts"), 320000);

    const auto phases = events_of(trace, kHostPid, "X");
    ASSERT_EQ(phases.size(), instants.size() - 1);
    EXPECT_EQ(phases[0].at("name"), "process-start to kvm-ready");
    EXPECT_EQ(phases[0].at("ts"), 0);
    EXPECT_EQ(phases[0].at("dur"), 1000);
    EXPECT_EQ(phases[3].at("name"), "kernel-loaded to first-kvm-run");
    EXPECT_EQ(phases[3].at("args").at("from"), "kernel-loaded");
    EXPECT_EQ(phases[3].at("args").at("to"), "first-kvm-run");
    EXPECT_EQ(phases[3].at("ts"), 4000);
    EXPECT_EQ(phases[3].at("dur"), 1000);
    // The phases tile the run: each starts where the last ended.
    for (size_t i = 0; i < phases.size(); ++i) {
        EXPECT_EQ(phases[i].at("ts"), instants[i].at("ts"));
        EXPECT_EQ(phases[i].at("ts").get<uint64_t>() + phases[i].at("dur").get<uint64_t>(),
                  instants[i + 1].at("ts").get<uint64_t>());
    }

    // The whole file is in time order, both tracks together.
    uint64_t previous = 0;
    for (const json& event : trace.at("traceEvents")) {
        EXPECT_GE(event.at("ts").get<uint64_t>(), previous) << event.dump();
        previous = event.at("ts").get<uint64_t>();
    }
}

TEST(ChromeTrace, GuestClockStartsAtItsEstimatedOrigin) {
    // guest_clock_origin: kernel-start was seen at 9100 us with guest time 0,
    // the tightest bound (guest_clock_test.cpp covers the rule).
    constexpr uint64_t kOrigin = 9100;
    const json trace = trace_of(kHost, kGuest);
    const auto instants = events_of(trace, kGuestPid, "i");
    EXPECT_EQ(names(instants),
              (std::vector<std::string>{"kernel-start", "cpus-up", "init-started"}));
    EXPECT_EQ(instants[0].at("ts"), kOrigin);
    EXPECT_EQ(instants[1].at("ts"), kOrigin + 118403);
    EXPECT_EQ(instants[2].at("ts"), kOrigin + 316004);
    EXPECT_EQ(instants[2].at("args").at("guest_s").get<double>(), 0.316004);
    EXPECT_EQ(instants[2].at("args").at("host_seen_us"), 330000);
    EXPECT_EQ(instants[2].at("args").at("message"), "Run /init as init process");

    const auto phases = events_of(trace, kGuestPid, "X");
    ASSERT_EQ(phases.size(), 2u);
    EXPECT_EQ(phases[1].at("name"), "cpus-up to init-started");
    EXPECT_EQ(phases[1].at("ts"), kOrigin + 118403);
    EXPECT_EQ(phases[1].at("dur"), 316004 - 118403);
}

TEST(ChromeTrace, NoGuestTrackWithoutFirstKvmRun) {
    const std::vector<TimelineEntry> host{{"kvm-ready", 1000}, {"vm-stopped", 2000}};
    const json trace = trace_of(host, kGuest);
    EXPECT_TRUE(events_of(trace, kGuestPid, "i").empty());
    EXPECT_TRUE(events_of(trace, kGuestPid, "M").empty());
    EXPECT_EQ(names(events_of(trace, kHostPid, "i")),
              (std::vector<std::string>{"process-start", "kvm-ready", "vm-stopped"}));
}

TEST(ChromeTrace, AnEmptyTimelineIsStillATrace) {
    const json trace = trace_of({}, {});
    EXPECT_EQ(names(events_of(trace, kHostPid, "i")), (std::vector<std::string>{"process-start"}));
    EXPECT_TRUE(events_of(trace, kHostPid, "X").empty());
}

TEST(ChromeTrace, OddNamesAndMessagesSurviveEscaping) {
    const std::string odd = "quote \" backslash \\ slash / tab \t newline \n bell \x07 del \x7f";
    const std::string utf8 = "caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x9a\xa2";  // é → 🚢
    const std::vector<TimelineEntry> host{{odd, 10}, {utf8, 20}, {"first-kvm-run", 30}};
    const std::vector<KernelMilestone> guest{
        {"kernel-start", 0, 40, "bad \xff\xfe utf-8 \xc3 and \0 nul"s}};
    const json trace = trace_of(host, guest);
    const auto instants = events_of(trace, kHostPid, "i");
    ASSERT_EQ(instants.size(), 4u);
    EXPECT_EQ(instants[1].at("name"), odd);
    EXPECT_EQ(instants[2].at("name"), utf8);
    EXPECT_EQ(events_of(trace, kHostPid, "X")[1].at("name"), odd + " to " + utf8);
    // Bytes that are not UTF-8 become U+FFFD, one each; a NUL stays a NUL.
    EXPECT_EQ(events_of(trace, kGuestPid, "i")[0].at("args").at("message"),
              "bad \xef\xbf\xbd\xef\xbf\xbd utf-8 \xef\xbf\xbd and \0 nul"s);
}

TEST(JsonString, EscapesWhatJsonRequires) {
    EXPECT_EQ(json_string(""), R"("")");
    EXPECT_EQ(json_string("plain"), R"("plain")");
    EXPECT_EQ(json_string("a\"b\\c"), R"("a\"b\\c")");
    EXPECT_EQ(json_string("\n\r\t\x01\x1f"), R"("\n\r\t\u0001\u001f")");
    EXPECT_EQ(json_string("\xe2\x86\x92"), "\"\xe2\x86\x92\"");         // valid UTF-8 kept as it is
    EXPECT_EQ(json_string("\xc0\xaf"), R"("\ufffd\ufffd")");            // overlong '/'
    EXPECT_EQ(json_string("\xed\xa0\x80"), R"("\ufffd\ufffd\ufffd")");  // a surrogate
    EXPECT_EQ(json_string("\xf4\x90\x80\x80"), R"("\ufffd\ufffd\ufffd\ufffd")");  // > U+10FFFF
    EXPECT_EQ(json_string("\xe2\x86"), R"("\ufffd\ufffd")");                      // cut short
}

class TraceFile : public ::testing::Test {
protected:
    void SetUp() override {
        char pattern[] = "/tmp/berth-trace-test-XXXXXX";
        ASSERT_NE(mkdtemp(pattern), nullptr);
        dir_ = pattern;
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::filesystem::path dir_;
};

TEST_F(TraceFile, WritesTheSameTraceToAFile) {
    const std::string path = dir_ / "boot.json";
    check_trace_path(path);
    EXPECT_FALSE(std::filesystem::exists(path));  // the check creates nothing
    write_boot_trace_file(path, kHost, kGuest);
    std::ifstream in(path);
    const json from_file = json::parse(in);
    EXPECT_EQ(from_file, trace_of(kHost, kGuest));
    check_trace_path(path);  // an existing file may be replaced
    write_boot_trace_file(path, {}, {});
    std::ifstream again(path);
    EXPECT_EQ(json::parse(again).at("traceEvents").size(), 3u);  // replaced, not appended
}

TEST_F(TraceFile, RefusesPathsThatCannotBeWritten) {
    EXPECT_THROW(check_trace_path(""), UserError);
    EXPECT_THROW(check_trace_path(dir_.string()), UserError);  // a directory
    const std::string nowhere = (dir_ / "missing" / "boot.json").string();
    try {
        check_trace_path(nowhere);
        FAIL() << "no error for " << nowhere;
    } catch (const UserError& error) {
        EXPECT_NE(std::string(error.what()).find("missing"), std::string::npos) << error.what();
    }
    try {
        write_boot_trace_file(nowhere, kHost, kGuest);
        FAIL() << "no error for " << nowhere;
    } catch (const SystemError& error) {
        EXPECT_NE(std::string(error.what()).find(nowhere), std::string::npos) << error.what();
        EXPECT_EQ(error.error_number(), ENOENT);
    }
    EXPECT_THROW(write_boot_trace_file(dir_.string(), kHost, kGuest), SystemError);
}

}  // namespace
}  // namespace berth::trace
