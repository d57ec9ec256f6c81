// run_process() against small shell commands: no KVM, no containers, each
// well under a second.
#include "vmm/bench/process_runner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace berth::bench {
namespace {

using ::testing::HasSubstr;

ProcessRequest shell(const std::string& script, std::chrono::milliseconds timeout) {
    ProcessRequest request;
    request.argv = {"/bin/sh", "-c", script};
    request.running_marker = "app: running";
    request.timeout = timeout;
    return request;
}

TEST(RunProcess, TimesTheMarkerAndTheExitAndKeepsBothStreams) {
    const ProcessOutcome outcome = run_process(
        shell("echo starting; sleep 0.2; echo 'app: running'; echo oops >&2; sleep 0.2; exit 3",
              std::chrono::seconds(20)));
    ASSERT_TRUE(outcome.started) << outcome.start_error;
    EXPECT_FALSE(outcome.timed_out);
    EXPECT_EQ(outcome.exit_code, 3);
    ASSERT_TRUE(outcome.running_ms.has_value());
    EXPECT_GE(*outcome.running_ms, 150);
    EXPECT_GE(outcome.exit_ms, *outcome.running_ms + 150);
    EXPECT_EQ(outcome.out, "starting\napp: running\n");
    EXPECT_EQ(outcome.err, "oops\n");
    EXPECT_GT(outcome.max_rss_kib, 0u);
    EXPECT_GT(outcome.memory_samples, 0);  // at the marker at least
}

TEST(RunProcess, AMarkerSplitAcrossWritesIsFound) {
    const ProcessOutcome outcome = run_process(
        shell("printf 'app: run'; sleep 0.1; printf 'ning\\n'", std::chrono::seconds(20)));
    EXPECT_EQ(outcome.exit_code, 0);
    EXPECT_TRUE(outcome.running_ms.has_value());
}

TEST(RunProcess, NoMarkerNoRunningTime) {
    const ProcessOutcome outcome = run_process(shell("echo hello", std::chrono::seconds(20)));
    EXPECT_EQ(outcome.exit_code, 0);
    EXPECT_FALSE(outcome.running_ms.has_value());
}

TEST(RunProcess, ATimeoutKillsTheWholeProcessGroup) {
    const ProcessOutcome outcome = run_process(
        shell("sleep 30 & echo 'app: running'; sleep 30", std::chrono::milliseconds(300)));
    ASSERT_TRUE(outcome.started);
    EXPECT_TRUE(outcome.timed_out);
    EXPECT_EQ(outcome.exit_code, 128 + 9);
    EXPECT_LT(outcome.exit_ms, 5000);  // neither sleep kept it waiting
    EXPECT_TRUE(outcome.running_ms.has_value());
}

TEST(RunProcess, SaysWhyAProgramCannotStart) {
    ProcessRequest request;
    request.argv = {"/nonexistent/berth-bench-test"};
    const ProcessOutcome outcome = run_process(request);
    EXPECT_FALSE(outcome.started);
    EXPECT_THAT(outcome.start_error,
                HasSubstr("cannot run /nonexistent/berth-bench-test: No such file or directory"));
}

TEST(CaptureStdout, OnlyWhenTheCommandSucceeds) {
    EXPECT_EQ(capture_stdout({"/bin/sh", "-c", "echo one; echo two"}, std::chrono::seconds(20)),
              "one\ntwo\n");
    EXPECT_EQ(capture_stdout({"/bin/sh", "-c", "echo partial; exit 1"}, std::chrono::seconds(20)),
              std::nullopt);
    EXPECT_EQ(capture_stdout({"/bin/sh", "-c", "sleep 10"}, std::chrono::milliseconds(100)),
              std::nullopt);
}

}  // namespace
}  // namespace berth::bench
