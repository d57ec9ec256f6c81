#include "vmm/bench/startup_options.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "vmm/bench/schedule.h"
#include "vmm/common/error.h"

namespace berth::bench {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string user_error_of(const std::function<void()>& action) {
    try {
        action();
    } catch (const UserError& error) {
        return error.what();
    }
    return "(no UserError)";
}

TEST(ParseSystems, NamesInTableOrderWhateverTheOrderTyped) {
    EXPECT_THAT(parse_systems("runc,berth,qemu-microvm"),
                ElementsAre(SystemKind::kBerth, SystemKind::kQemuMicrovm, SystemKind::kRunc));
    EXPECT_THAT(parse_systems("docker"), ElementsAre(SystemKind::kDocker));
    EXPECT_THAT(parse_systems("berth,qemu-microvm,qemu-pc,runc,crun,docker"),
                ElementsAre(SystemKind::kBerth, SystemKind::kQemuMicrovm, SystemKind::kQemuPc,
                            SystemKind::kRunc, SystemKind::kCrun, SystemKind::kDocker));
}

TEST(ParseSystems, RefusesUnknownNamesAndListsTheValidOnes) {
    const std::string message = user_error_of([] { parse_systems("berth,qemu"); });
    EXPECT_THAT(message, HasSubstr("unknown system 'qemu'"));
    EXPECT_THAT(message,
                HasSubstr("berth,berth-stats,berth-vmlinux,qemu-microvm,qemu-pc,runc,crun,docker"));
    // Names are exact: no case folding, no spaces.
    EXPECT_THAT(user_error_of([] { parse_systems("Berth"); }), HasSubstr("unknown system"));
    EXPECT_THAT(user_error_of([] { parse_systems("berth, runc"); }),
                HasSubstr("unknown system ' runc'"));
}

TEST(ParseSystems, RefusesEmptyItemsAndRepeats) {
    for (const char* text : {"", ",", "berth,", ",berth", "berth,,runc"}) {
        EXPECT_THAT(user_error_of([text] { parse_systems(text); }), HasSubstr("empty name"))
            << text;
    }
    EXPECT_THAT(user_error_of([] { parse_systems("runc,berth,runc"); }),
                HasSubstr("'runc' is listed twice"));
}

TEST(ParseMemoryOption, WholeMebibytes) {
    EXPECT_EQ(parse_memory_option("512M"), 512ull << 20);
    EXPECT_EQ(parse_memory_option("2G"), 2ull << 30);
    EXPECT_EQ(parse_memory_option("256"), 256ull << 20);
    for (const char* text : {"", "0", "1.5G", "100K", "lots"}) {
        EXPECT_THAT(user_error_of([text] { parse_memory_option(text); }), HasSubstr("--memory"))
            << text;
    }
}

TEST(CheckStartupOptions, Ranges) {
    StartupOptions ok;
    ok.systems = {SystemKind::kBerth};
    EXPECT_NO_THROW(check_startup_options(ok));
    ok.warmup = 0;
    EXPECT_NO_THROW(check_startup_options(ok));

    auto refused = [&ok](auto change, const char* what) {
        StartupOptions options = ok;
        change(options);
        EXPECT_THAT(user_error_of([&options] { check_startup_options(options); }), HasSubstr(what));
    };
    refused([](StartupOptions& o) { o.runs = 0; }, "--runs");
    refused([](StartupOptions& o) { o.warmup = -1; }, "--warmup");
    refused([](StartupOptions& o) { o.cpus = 0; }, "--cpus");
    refused([](StartupOptions& o) { o.cpus = 255; }, "--cpus");
    refused([](StartupOptions& o) { o.run_timeout_minutes = 0; }, "--run-timeout");
    refused([](StartupOptions& o) { o.systems.clear(); }, "--systems");
}

TEST(RoundOrder, RotatesByOneEachRound) {
    const std::vector<SystemKind> systems = {SystemKind::kBerth, SystemKind::kQemuPc,
                                             SystemKind::kRunc};
    EXPECT_THAT(round_order(systems, 0),
                ElementsAre(SystemKind::kBerth, SystemKind::kQemuPc, SystemKind::kRunc));
    EXPECT_THAT(round_order(systems, 1),
                ElementsAre(SystemKind::kQemuPc, SystemKind::kRunc, SystemKind::kBerth));
    EXPECT_THAT(round_order(systems, 2),
                ElementsAre(SystemKind::kRunc, SystemKind::kBerth, SystemKind::kQemuPc));
    EXPECT_EQ(round_order(systems, 3), round_order(systems, 0));
    EXPECT_TRUE(round_order({}, 5).empty());
}

TEST(RoundOrder, EverySystemRunsOnceARoundAndLeadsEquallyOften) {
    const auto systems = all_systems();
    std::map<SystemKind, int> first;
    const int rounds = 2 * static_cast<int>(systems.size());
    for (int round = 0; round < rounds; ++round) {
        auto order = round_order(systems, round);
        ASSERT_EQ(order.size(), systems.size());
        std::sort(order.begin(), order.end());
        EXPECT_TRUE(std::adjacent_find(order.begin(), order.end()) == order.end());
        ++first[round_order(systems, round).front()];
    }
    for (SystemKind system : systems) {
        EXPECT_EQ(first[system], 2) << system_name(system);
    }
}

}  // namespace
}  // namespace berth::bench
