#include "vmm/event_loop.h"

#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace berth {
namespace {

TEST(EventLoop, RunsTheHandlerOfAReadableFd) {
    UniqueFd kick(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    std::atomic<int> runs{0};
    EventLoop loop;
    loop.add(kick.get(), [&] {
        uint64_t value = 0;
        [[maybe_unused]] ssize_t got = read(kick.get(), &value, sizeof(value));
        runs.fetch_add(1);
    });
    loop.start();
    const uint64_t one = 1;
    ASSERT_EQ(write(kick.get(), &one, sizeof(one)), static_cast<ssize_t>(sizeof(one)));
    // Waits for an event, not for a fixed time: the loop runs on its own thread.
    for (int i = 0; i < 10000 && runs.load() == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    loop.stop();
    EXPECT_EQ(runs.load(), 1);
}

TEST(EventLoop, StopsWithoutEvents) {
    EventLoop loop;
    loop.start();
    loop.stop();
    loop.stop();  // idempotent
    SUCCEED();
}

}  // namespace
}  // namespace berth
