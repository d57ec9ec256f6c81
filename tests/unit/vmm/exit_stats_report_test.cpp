#include "vmm/trace/exit_stats_report.h"

#include <linux/kvm.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace berth::trace {
namespace {

using nlohmann::json;

ExitEvent io(uint64_t port, std::string_view device) {
    return {.reason = ExitReason::kIo, .address = port, .size = 1, .device = device};
}

KvmStat counter(std::string name, uint64_t value) {
    return {std::move(name), KVM_STATS_TYPE_CUMULATIVE, 0, 0, {value}};
}

// Two vCPUs that did a little of everything, KVM stats, and a trace summary.
ExitReport sample_report() {
    ExitReport report;
    report.vm_seconds = 2.5;
    report.vcpus.resize(2);
    for (int i = 0; i < 30; ++i) {
        report.vcpus[0].record_exit(io(0x3f8, "uart-16550"));
        report.vcpus[0].record_user_time(ExitReason::kIo, 1000 + i);
    }
    for (uint64_t port = 0x70; port < 0x70 + 12; ++port) {
        report.vcpus[1].record_exit(io(port, port == 0x70 ? "cmos-rtc" : "unhandled"));
        report.vcpus[1].record_user_time(ExitReason::kIo, 500);
    }
    report.vcpus[1].record_exit({.reason = ExitReason::kMmio,
                                 .address = 0xd0000000,
                                 .size = 1,
                                 .is_write = true,
                                 .device = "boot-marker"});
    report.vcpus[1].record_user_time(ExitReason::kMmio, 40000);
    report.vcpus[1].record_exit({.reason = ExitReason::kSystemEvent, .detail = 1});
    report.vcpus[0].record_run_time(2'000'000'000);
    report.vcpus[1].record_run_time(1'000'000'000);
    report.deliveries = {.ioeventfd_wakeups = 5,
                         .ioeventfd_kicks = 7,
                         .msi_delivered = 9,
                         .msi_blocked = 1,
                         .irq_line_raised = 40,
                         .irq_line_lowered = 40};
    report.kvm.available = true;
    report.kvm.vm = {"kvm-42", {counter("remote_tlb_flush", 3)}};
    report.kvm.vcpus = {
        {"kvm-42/vcpu-0",
         {counter("exits", 1000),
          counter("io_exits", 30),
          {"halt_poll_success_hist",
           KVM_STATS_TYPE_LOG_HIST | KVM_STATS_UNIT_SECONDS,
           -9,
           0,
           {1, 2, 3}}}},
        {"kvm-42/vcpu-1",
         {counter("exits", 500),
          counter("io_exits", 12),
          {"halt_poll_success_hist",
           KVM_STATS_TYPE_LOG_HIST | KVM_STATS_UNIT_SECONDS,
           -9,
           0,
           {0, 0, 1}}}},
    };
    report.trace = TraceSummary{100, 4, 2000, 2000};
    return report;
}

json to_json(const ExitReport& report) {
    std::ostringstream text;
    write_exit_report_json(report, text);
    return json::parse(text.str());
}

std::string to_text(const ExitReport& report) {
    char* buffer = nullptr;
    size_t size = 0;
    std::FILE* out = open_memstream(&buffer, &size);
    print_exit_report(report, out);
    std::fclose(out);
    std::string text(buffer, size);
    std::free(buffer);
    return text;
}

TEST(ExitStatsJson, TotalsAndPerVcpu) {
    const json doc = to_json(sample_report());
    EXPECT_EQ(doc["format"], "berth-exit-stats");
    EXPECT_EQ(doc["version"], 1);
    EXPECT_DOUBLE_EQ(doc["vm_seconds"].get<double>(), 2.5);
    EXPECT_EQ(doc["vcpu_count"], 2);
    EXPECT_EQ(doc["total"]["exits"], 30 + 12 + 1 + 1);
    EXPECT_EQ(doc["total"]["kvm_run_ns"], 3'000'000'000u);
    EXPECT_EQ(doc["total"]["by_reason"]["io"]["exits"], 42);
    EXPECT_EQ(doc["total"]["by_reason"]["mmio"]["exits"], 1);
    EXPECT_EQ(doc["total"]["by_reason"]["system-event"]["exits"], 1);
    EXPECT_FALSE(doc["total"]["by_reason"].contains("hlt"));  // only what occurred
    ASSERT_EQ(doc["vcpus"].size(), 2u);
    EXPECT_EQ(doc["vcpus"][0]["vcpu"], 0);
    EXPECT_EQ(doc["vcpus"][0]["exits"], 30);
    EXPECT_EQ(doc["vcpus"][1]["vcpu"], 1);
    EXPECT_EQ(doc["vcpus"][1]["exits"], 14);
}

TEST(ExitStatsJson, UserTimeHistogram) {
    const json doc = to_json(sample_report());
    const json& io_time = doc["vcpus"][0]["by_reason"]["io"]["user_time_ns"];
    EXPECT_EQ(io_time["count"], 30);
    EXPECT_EQ(io_time["min_ns"], 1000);
    EXPECT_EQ(io_time["max_ns"], 1029);
    EXPECT_EQ(io_time["sum_ns"], 30 * 1000 + 29 * 30 / 2);
    EXPECT_EQ(io_time["mean_ns"], (30 * 1000 + 29 * 30 / 2) / 30);
    EXPECT_EQ(io_time["p50_ns"], 1023);        // rank 15 lies in bucket 512..1023
    EXPECT_EQ(io_time["p99_ns"], 1029);        // bucket 1024..2047, capped at the maximum
    ASSERT_EQ(io_time["buckets"].size(), 2u);  // 1000..1023 and 1024..1029
    EXPECT_EQ(io_time["buckets"][0], (json{{"low_ns", 512}, {"high_ns", 1023}, {"count", 24}}));
    EXPECT_EQ(io_time["buckets"][1], (json{{"low_ns", 1024}, {"high_ns", 2047}, {"count", 6}}));
    EXPECT_EQ(doc["total"]["user_space_ns"], 30 * 1000 + 29 * 30 / 2 + 12 * 500 + 40000);
}

TEST(ExitStatsJson, HottestPortsTopTenWithDevices) {
    const json doc = to_json(sample_report());
    const json& ports = doc["total"]["io_ports"];
    ASSERT_EQ(ports.size(), 10u);
    EXPECT_EQ(ports[0], (json{{"port", 0x3f8}, {"device", "uart-16550"}, {"exits", 30}}));
    EXPECT_EQ(ports[1], (json{{"port", 0x70}, {"device", "cmos-rtc"}, {"exits", 1}}));
    EXPECT_EQ(ports[2]["device"], "unhandled");
    EXPECT_EQ(doc["total"]["io_ports_distinct"], 13);
    EXPECT_EQ(doc["total"]["mmio_addresses"][0],
              (json{{"address", 0xd0000000u}, {"device", "boot-marker"}, {"exits", 1}}));
}

TEST(ExitStatsJson, DeliveriesKvmAndTrace) {
    const json doc = to_json(sample_report());
    EXPECT_EQ(doc["deliveries_without_exit"]["ioeventfd_kicks"], 7);
    EXPECT_EQ(doc["deliveries_without_exit"]["msi_blocked"], 1);
    EXPECT_EQ(doc["kvm_stats"]["available"], true);
    EXPECT_EQ(doc["kvm_stats"]["vm"]["id"], "kvm-42");
    EXPECT_EQ(doc["kvm_stats"]["vcpus"][1]["id"], "kvm-42/vcpu-1");
    const json& total = doc["kvm_stats"]["vcpu_total"];
    EXPECT_EQ(total[0]["name"], "exits");
    EXPECT_EQ(total[0]["values"], json::array({1500}));
    EXPECT_EQ(total[2]["type"], "log-hist");
    EXPECT_EQ(total[2]["unit"], "seconds");
    EXPECT_EQ(total[2]["exponent"], -9);
    EXPECT_EQ(total[2]["values"], json::array({1, 2, 4}));
    EXPECT_EQ(doc["trace"]["lines_shown"], 100);
    EXPECT_EQ(doc["trace"]["exits_not_shown"], 4);
}

TEST(ExitStatsJson, NotAvailableAndNoTrace) {
    ExitReport report = sample_report();
    report.kvm = KvmStatsReport{false, "this kernel has no KVM_CAP_BINARY_STATS_FD", {}, {}};
    report.trace.reset();
    const json doc = to_json(report);
    EXPECT_EQ(doc["kvm_stats"], (json{{"available", false},
                                      {"reason", "this kernel has no KVM_CAP_BINARY_STATS_FD"}}));
    EXPECT_TRUE(doc["trace"].is_null());
}

TEST(ExitStatsJson, EmptyRunIsStillValid) {
    ExitReport report;
    report.vcpus.resize(1);
    report.kvm.reason = "not read";
    const json doc = to_json(report);
    EXPECT_EQ(doc["total"]["exits"], 0);
    EXPECT_TRUE(doc["total"]["by_reason"].empty());
    EXPECT_TRUE(doc["total"]["io_ports"].empty());
}

bool have_jsonschema() {
    return std::system("/usr/bin/python3 -c 'import jsonschema' 2>/dev/null") == 0;
}

// python3-jsonschema's verdict on the JSON file `path` against
// docs/exit-stats.schema.json: the validator's exit status.
int validate(const std::filesystem::path& path, bool quiet = false) {
    const std::string command =
        "/usr/bin/python3 -c 'import json, sys, jsonschema\n"
        "schema = json.load(open(sys.argv[1]))\n"
        "jsonschema.Draft202012Validator(schema).validate(json.load(open(sys.argv[2])))' '" +
        std::string(BERTH_SOURCE_ROOT) + "/docs/exit-stats.schema.json' '" + path.string() + "'" +
        (quiet ? " 2>/dev/null" : "");
    return std::system(command.c_str());
}

std::filesystem::path temp_json(const std::string& name) {
    return std::filesystem::temp_directory_path() /
           ("berth-exit-stats-" + std::to_string(getpid()) + "-" + name + ".json");
}

TEST(ExitStatsJson, ValidatesAgainstTheSchema) {
    if (!have_jsonschema()) {
        GTEST_SKIP() << "python3-jsonschema is not installed (scripts/setup installs it)";
    }
    ExitReport bare = sample_report();
    bare.kvm = KvmStatsReport{false, "no", {}, {}};
    bare.trace.reset();
    for (const auto& [name, report] :
         {std::pair{"full", sample_report()}, std::pair{"bare", bare}}) {
        const auto path = temp_json(name);
        write_exit_report_file(path.string(), report);
        EXPECT_EQ(validate(path), 0) << name << ": see the validator's message above";
        std::filesystem::remove(path);
    }
}

TEST(ExitStatsJson, SchemaRejectsWhatItShould) {
    // The check above must be able to fail: documents that break the schema
    // (a reason that does not exist, a port past 0xffff) are refused.
    if (!have_jsonschema()) {
        GTEST_SKIP() << "python3-jsonschema is not installed";
    }
    json bad_reason = to_json(sample_report());
    bad_reason["total"]["by_reason"]["teleport"] = bad_reason["total"]["by_reason"]["io"];
    json bad_port = to_json(sample_report());
    bad_port["vcpus"][0]["io_ports"][0]["port"] = 0x10000;
    for (const json& doc : {bad_reason, bad_port}) {
        const auto path = temp_json("bad");
        std::ofstream(path) << doc.dump();
        EXPECT_NE(validate(path, true), 0);
        std::filesystem::remove(path);
    }
}

TEST(ExitStatsText, SaysWhatHappened) {
    const std::string text = to_text(sample_report());
    EXPECT_NE(text.find("berth: exit statistics: 44 exits to Berth in 2.500 s, 2 vCPUs\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("berth:   io                       42   95.5%"), std::string::npos) << text;
    EXPECT_NE(text.find("berth:   vcpu1: 14 exits (io 12, mmio 1, system-event 1)"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("0x3f8                                30  uart-16550"), std::string::npos)
        << text;
    EXPECT_NE(text.find("7 guest kicks in 5 wake-ups"), std::string::npos) << text;
    EXPECT_NE(text.find("KVM saw 1500 exits; 44 (2.9%) came out to Berth"), std::string::npos)
        << text;
    EXPECT_NE(text.find("exits 1500, io_exits 42"), std::string::npos) << text;
    EXPECT_NE(text.find("remote_tlb_flush 3"), std::string::npos) << text;
    EXPECT_NE(text.find("trace: 100 lines shown, 4 exits hidden by the rate limit"),
              std::string::npos)
        << text;
    // Every line is one of Berth's.
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        EXPECT_EQ(line.rfind("berth: ", 0), 0u) << line;
    }
}

TEST(ExitStatsText, KvmNotAvailable) {
    ExitReport report = sample_report();
    report.kvm = KvmStatsReport{false, "this kernel has no KVM_CAP_BINARY_STATS_FD", {}, {}};
    EXPECT_NE(to_text(report).find("KVM's own counters: not available (this kernel has no "
                                   "KVM_CAP_BINARY_STATS_FD)"),
              std::string::npos);
}

TEST(FormatDuration, PicksAUnit) {
    EXPECT_EQ(format_duration(850), "850 ns");
    EXPECT_EQ(format_duration(4100), "4.1 us");
    EXPECT_EQ(format_duration(1'250'000), "1.25 ms");
    EXPECT_EQ(format_duration(3'400'000'000), "3.40 s");
}

}  // namespace
}  // namespace berth::trace
