#include "vmm/seccomp/standby_thread.h"

#include <gtest/gtest.h>
#include <pthread.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstring>
#include <thread>

namespace berth::seccomp {
namespace {

TEST(StandbyThread, RunsEachJobOnItsOwnThread) {
    StandbyThread thread(ThreadKind::kDeviceIo, "berth-test");
    std::thread::id ran_on;
    thread.start([&] { ran_on = std::this_thread::get_id(); });
    thread.join();
    EXPECT_NE(ran_on, std::thread::id());
    EXPECT_NE(ran_on, std::this_thread::get_id());
}

TEST(StandbyThread, JoinableLikeAStdThread) {
    StandbyThread thread(ThreadKind::kDeviceIo, "berth-test");
    EXPECT_FALSE(thread.joinable());
    thread.start([] {});
    EXPECT_TRUE(thread.joinable());
    thread.join();
    EXPECT_FALSE(thread.joinable());
    thread.join();  // nothing to wait for
}

TEST(StandbyThread, JoinWaitsForTheJobAndJobsComeOneAfterAnother) {
    StandbyThread thread(ThreadKind::kDeviceIo, "berth-test");
    int done = 0;
    for (int round = 0; round < 3; ++round) {
        std::atomic<bool> finished{false};
        thread.start([&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            finished.store(true);
        });
        thread.join();
        EXPECT_TRUE(finished.load());
        ++done;
    }
    EXPECT_EQ(done, 3);
}

TEST(StandbyThread, TheDestructorWaitsForARunningJob) {
    std::atomic<bool> finished{false};
    {
        StandbyThread thread(ThreadKind::kDeviceIo, "berth-test");
        thread.start([&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            finished.store(true);
        });
    }
    EXPECT_TRUE(finished.load());
}

TEST(StandbyThread, IsNamedAndTakesOnlySigsys) {
    StandbyThread thread(ThreadKind::kDeviceIo, "berth-test");
    char name[16] = {};
    sigset_t mask;
    sigemptyset(&mask);
    thread.start([&] {
        pthread_getname_np(pthread_self(), name, sizeof(name));
        pthread_sigmask(SIG_BLOCK, nullptr, &mask);
    });
    thread.join();
    EXPECT_STREQ(name, "berth-test");
    EXPECT_EQ(sigismember(&mask, SIGSYS), 0);
    for (int signal_number : {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGWINCH}) {
        EXPECT_EQ(sigismember(&mask, signal_number), 1) << signal_number;
    }
}

}  // namespace
}  // namespace berth::seccomp
