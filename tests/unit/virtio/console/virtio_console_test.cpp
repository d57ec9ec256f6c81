// virtio-console (virtio 1.2 §5.3) on its own, without a transport: two
// QueueDrivers lay out receiveq0 and transmitq0 in one guest RAM, the test
// activates the device with them and a recording Interrupt, and checks what
// reaches the output sink, what lands in the receive buffers, and what comes
// back in the used rings.
#include "devices/virtio/console/virtio_console.h"

#include <endian.h>
#include <linux/virtio_console.h>
#include <linux/virtio_ids.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tests/unit/virtio/console/queue_driver.h"
#include "tests/unit/virtio/fake_driver.h"

namespace berth::virtio {
namespace {

using namespace std::chrono_literals;
using testing::QueueDriver;
using testing::readable;
using testing::writable;

constexpr uint64_t kVersion1 = uint64_t{1} << 32;  // VIRTIO_F_VERSION_1
constexpr uint64_t kSize = uint64_t{1} << VIRTIO_CONSOLE_F_SIZE;
constexpr uint64_t kEventIdx = uint64_t{1} << 29;  // VIRTIO_RING_F_EVENT_IDX
// Long enough never to expire on a loaded machine; a passing test never
// waits for it.
constexpr auto kGenerous = 30s;

class RecordingInterrupt final : public Interrupt {
public:
    void signal_used_queue(uint16_t queue_index) override {
        std::lock_guard lock(mutex_);
        used_.push_back(queue_index);
    }
    void signal_config_change() override { ++config_changes; }
    void signal_needs_reset() override { ++needs_reset; }

    std::vector<uint16_t> used() const {
        std::lock_guard lock(mutex_);
        return used_;
    }

    std::atomic<int> config_changes{0};
    std::atomic<int> needs_reset{0};

private:
    mutable std::mutex mutex_;
    std::vector<uint16_t> used_;
};

std::vector<uint8_t> bytes_of(std::string_view text) {
    return {text.begin(), text.end()};
}

// Waits until `condition` holds, polling; fails the test after kGenerous.
template <typename Condition>
bool eventually(Condition condition) {
    const auto deadline = std::chrono::steady_clock::now() + kGenerous;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > deadline) {
            return false;
        }
        std::this_thread::yield();
    }
    return true;
}

class VirtioConsoleTest : public ::testing::Test {
protected:
    static constexpr uint16_t kRingSize = 16;

    void activate(uint64_t features = kVersion1 | kSize) {
        rx_.configure(rx_queue_, features);
        tx_.configure(tx_queue_, features);
        ASSERT_TRUE(console_.activate(memory_, features, {&rx_queue_, &tx_queue_}, interrupt_));
    }

    std::string output() const {
        std::lock_guard lock(output_mutex_);
        return {output_.begin(), output_.end()};
    }

    // Makes offer_input() find the receive ring empty once, as the input
    // thread does when the guest has no buffers: from then on the device
    // waits for a notification.
    void drain_receive_hint() { EXPECT_EQ(console_.offer_input(bytes_of("?")), 0u); }

    // What wait_for_input_space() on another thread returned, and how long
    // it waited.
    struct WaitOutcome {
        bool space = false;
        std::chrono::steady_clock::duration waited{};
    };

    // Starts a thread that waits for input space (at most kGenerous), and
    // returns once it is blocked inside wait_for_input_space().
    std::future<WaitOutcome> start_waiter() {
        auto waiter = std::async(std::launch::async, [this] {
            const auto start = std::chrono::steady_clock::now();
            const bool space = console_.wait_for_input_space(kGenerous);
            return WaitOutcome{space, std::chrono::steady_clock::now() - start};
        });
        EXPECT_TRUE(eventually([&] { return console_.input_waiters() == 1; }));
        return waiter;
    }

    // The waiter's answer, checking that something woke it: a waiter that
    // slept until its timeout ran out was never woken.
    static bool woken(std::future<WaitOutcome>& waiter) {
        const WaitOutcome outcome = waiter.get();
        EXPECT_LT(outcome.waited, kGenerous / 2) << "the waiter timed out instead";
        return outcome.space;
    }

    GuestMemory memory_ = GuestMemory::create({{GuestAddress(0), 1ull << 20}});
    QueueDriver rx_{memory_, kRingSize, GuestAddress(0x10000)};
    QueueDriver tx_{memory_, kRingSize, GuestAddress(0x20000)};
    SplitQueue rx_queue_{VirtioConsole::kQueueSize};
    SplitQueue tx_queue_{VirtioConsole::kQueueSize};
    std::shared_ptr<RecordingInterrupt> interrupt_ = std::make_shared<RecordingInterrupt>();

    mutable std::mutex output_mutex_;
    std::vector<uint8_t> output_;
    size_t sink_calls_ = 0;
    std::function<void()> on_output_;  // runs after each sink call when set
    VirtioConsole console_{[this](std::span<const uint8_t> bytes) {
        {
            std::lock_guard lock(output_mutex_);
            output_.insert(output_.end(), bytes.begin(), bytes.end());
            ++sink_calls_;
        }
        if (on_output_) {
            on_output_();
        }
    }};
};

TEST_F(VirtioConsoleTest, DescribesItselfAsAConsoleWithOnePort) {
    EXPECT_EQ(console_.name(), "virtio-console");
    EXPECT_EQ(console_.device_type(), VIRTIO_ID_CONSOLE);
    EXPECT_EQ(console_.device_features(), (uint64_t{1} << VIRTIO_CONSOLE_F_SIZE) |
                                              (uint64_t{1} << VIRTIO_CONSOLE_F_EMERG_WRITE));
    EXPECT_EQ(console_.device_features() & (uint64_t{1} << VIRTIO_CONSOLE_F_MULTIPORT), 0u);
    EXPECT_EQ(console_.queue_max_sizes(), (std::vector<uint16_t>{128, 128}));
    EXPECT_EQ(console_.config_size(), sizeof(virtio_console_config));
    EXPECT_EQ(console_.config_size(), 12u);
}

// --- Guest to host ---------------------------------------------------------

TEST_F(VirtioConsoleTest, OutputReachesTheSinkInOrderAcrossDescriptorsAndChains) {
    activate();
    const uint16_t first = tx_.offer({readable("hel"), readable("lo, "), readable("world")});
    const uint16_t second = tx_.offer({readable("!\n")});
    console_.process_queue(VirtioConsole::kTransmitQueue);

    EXPECT_EQ(output(), "hello, world!\n");
    ASSERT_EQ(tx_.used_idx(), 2);
    EXPECT_EQ(tx_.used_element(0).id, first);
    EXPECT_EQ(tx_.used_element(0).len, 0u);  // the device wrote nothing
    EXPECT_EQ(tx_.used_element(1).id, second);
    EXPECT_EQ(tx_.used_element(1).len, 0u);
    EXPECT_EQ(interrupt_->used(), std::vector<uint16_t>{1});  // one for the batch
    EXPECT_EQ(console_.failed_requests(), 0u);
}

TEST_F(VirtioConsoleTest, LongOutputArrivesWholeInBoundedPieces) {
    activate();
    std::vector<uint8_t> text(10000);
    for (size_t i = 0; i < text.size(); ++i) {
        text[i] = static_cast<uint8_t>('a' + i % 26);
    }
    tx_.offer({readable(text)});
    console_.process_queue(VirtioConsole::kTransmitQueue);
    EXPECT_EQ(output(), std::string(text.begin(), text.end()));
    // 10000 bytes in pieces of at most kOutputChunk (4096).
    EXPECT_EQ(sink_calls_, 3u);
}

TEST_F(VirtioConsoleTest, ATransmitChainWithAWritableBufferFailsAlone) {
    activate();
    tx_.offer({readable("secret"), writable(8)});
    tx_.offer({readable("ok")});
    console_.process_queue(VirtioConsole::kTransmitQueue);
    EXPECT_EQ(output(), "ok");
    ASSERT_EQ(tx_.used_idx(), 2);
    EXPECT_EQ(tx_.used_element(0).len, 0u);
    EXPECT_EQ(console_.failed_requests(), 1u);
}

TEST_F(VirtioConsoleTest, AMalformedTransmitChainIsReturnedAndTheNextOneServed) {
    activate();
    // Descriptor 0: a buffer that runs past the end of guest RAM.
    tx_.write_descriptor(0, (1ull << 20) - 4, 64, 0);
    tx_.offer_head(0);
    // Descriptor 1: "fine", placed by hand in the queue's spare data space.
    const GuestAddress data = tx_.spare_data();
    ASSERT_TRUE(memory_.write(data, bytes_of("fine")));
    tx_.write_descriptor(1, data.value(), 4, 0);
    tx_.offer_head(1);
    console_.process_queue(VirtioConsole::kTransmitQueue);

    EXPECT_EQ(output(), "fine");
    ASSERT_EQ(tx_.used_idx(), 2);
    EXPECT_EQ(tx_.used_element(0).id, 0u);
    EXPECT_EQ(tx_.used_element(1).id, 1u);
    EXPECT_EQ(console_.failed_requests(), 1u);
    EXPECT_EQ(interrupt_->needs_reset, 0);
}

TEST_F(VirtioConsoleTest, ABrokenTransmitQueueAsksForAResetOnce) {
    activate();
    tx_.offer({readable("never")});
    tx_.set_avail_idx(100);  // more buffers than the ring holds
    console_.process_queue(VirtioConsole::kTransmitQueue);
    console_.process_queue(VirtioConsole::kTransmitQueue);
    EXPECT_EQ(output(), "");
    EXPECT_EQ(tx_.used_idx(), 0);
    EXPECT_EQ(interrupt_->needs_reset, 1);
    EXPECT_TRUE(interrupt_->used().empty());
}

TEST_F(VirtioConsoleTest, OneNotificationServesAtMostOneRingOfTransmitChains) {
    activate();
    // A driver that posts a new buffer each time one is output would keep a
    // greedy device busy forever.
    on_output_ = [this] { tx_.offer({readable("x")}); };
    tx_.offer({readable("x")});
    console_.process_queue(VirtioConsole::kTransmitQueue);
    EXPECT_EQ(output(), std::string(kRingSize, 'x'));
    EXPECT_EQ(tx_.used_idx(), kRingSize);
}

// --- Host to guest ---------------------------------------------------------

TEST_F(VirtioConsoleTest, InputFillsPostedBuffersInOrder) {
    activate();
    std::vector<GuestAddress> at;
    const uint16_t first = rx_.offer({writable(8)}, &at);
    const uint16_t second = rx_.offer({writable(8)}, &at);
    EXPECT_EQ(console_.offer_input(bytes_of("hello world!")), 12u);

    ASSERT_EQ(rx_.used_idx(), 2);
    EXPECT_EQ(rx_.used_element(0).id, first);
    EXPECT_EQ(rx_.used_element(0).len, 8u);
    EXPECT_EQ(rx_.used_element(1).id, second);
    EXPECT_EQ(rx_.used_element(1).len, 4u);
    EXPECT_EQ(rx_.read_bytes(at[0], 8), bytes_of("hello wo"));
    EXPECT_EQ(rx_.read_bytes(at[1], 4), bytes_of("rld!"));
    EXPECT_EQ(interrupt_->used(), std::vector<uint16_t>{0});
}

TEST_F(VirtioConsoleTest, InputSpansTheDescriptorsOfOneChain) {
    activate();
    std::vector<GuestAddress> at;
    rx_.offer({writable(3), writable(5)}, &at);
    EXPECT_EQ(console_.offer_input(bytes_of("abcdef")), 6u);
    ASSERT_EQ(rx_.used_idx(), 1);
    EXPECT_EQ(rx_.used_element(0).len, 6u);
    EXPECT_EQ(rx_.read_bytes(at[0], 3), bytes_of("abc"));
    EXPECT_EQ(rx_.read_bytes(at[1], 3), bytes_of("def"));
}

TEST_F(VirtioConsoleTest, APartlyFilledBufferIsReturnedAtOnce) {
    activate();
    std::vector<GuestAddress> at;
    rx_.offer({writable(64)}, &at);
    EXPECT_EQ(console_.offer_input(bytes_of("a")), 1u);
    ASSERT_EQ(rx_.used_idx(), 1);
    EXPECT_EQ(rx_.used_element(0).len, 1u);
    EXPECT_EQ(rx_.read_bytes(at[0], 1), bytes_of("a"));
    // The buffer is the driver's again; the next byte waits for a new one.
    EXPECT_EQ(console_.offer_input(bytes_of("b")), 0u);
    EXPECT_EQ(rx_.used_idx(), 1);
}

TEST_F(VirtioConsoleTest, InputTakesOnlyWhatThePostedBuffersHold) {
    activate();
    EXPECT_EQ(console_.offer_input(bytes_of("early")), 0u);  // no buffers yet
    EXPECT_EQ(rx_.used_idx(), 0);
    rx_.offer({writable(4)});
    EXPECT_EQ(console_.offer_input(bytes_of("0123456789")), 4u);
    EXPECT_EQ(console_.offer_input(bytes_of("456789")), 0u);
    EXPECT_TRUE(interrupt_->used() == std::vector<uint16_t>{0});
}

TEST_F(VirtioConsoleTest, InputRespectsTheDriversNotificationSuppression) {
    activate();
    rx_.set_avail_flags(VRING_AVAIL_F_NO_INTERRUPT);
    rx_.offer({writable(4)});
    EXPECT_EQ(console_.offer_input(bytes_of("ab")), 2u);
    EXPECT_EQ(rx_.used_idx(), 1);
    EXPECT_TRUE(interrupt_->used().empty());
    rx_.set_avail_flags(0);
    rx_.offer({writable(4)});
    EXPECT_EQ(console_.offer_input(bytes_of("cd")), 2u);
    EXPECT_EQ(interrupt_->used(), std::vector<uint16_t>{0});
}

TEST_F(VirtioConsoleTest, FindingNoBuffersAsksTheDriverToNotifyTheNextOne) {
    activate(kVersion1 | kEventIdx);
    rx_.offer({writable(4)});
    EXPECT_EQ(console_.offer_input(bytes_of("abcdefgh")), 4u);
    // The ring is empty now: with VIRTIO_F_EVENT_IDX the device asks to hear
    // about avail index 1, which is what will wake the input thread.
    EXPECT_EQ(rx_.avail_event(), 1);
}

TEST_F(VirtioConsoleTest, AMalformedOrReadableReceiveChainFailsAlone) {
    activate();
    // The last descriptor, which QueueDriver::offer() does not reach here: a
    // buffer that runs past the end of guest RAM.
    const uint16_t bad = kRingSize - 1;
    rx_.write_descriptor(bad, (1ull << 20) - 4, 64, VRING_DESC_F_WRITE);
    rx_.offer_head(bad);
    // A device-readable buffer: the driver MUST NOT post one (§5.3.6.1).
    const uint16_t readable_head = rx_.offer({readable("guest data")});
    std::vector<GuestAddress> at;
    const uint16_t good = rx_.offer({writable(8)}, &at);

    EXPECT_EQ(console_.offer_input(bytes_of("hi")), 2u);
    ASSERT_EQ(rx_.used_idx(), 3);
    EXPECT_EQ(rx_.used_element(0).id, bad);
    EXPECT_EQ(rx_.used_element(0).len, 0u);
    EXPECT_EQ(rx_.used_element(1).id, readable_head);
    EXPECT_EQ(rx_.used_element(1).len, 0u);
    EXPECT_EQ(rx_.used_element(2).id, good);
    EXPECT_EQ(rx_.used_element(2).len, 2u);
    EXPECT_EQ(rx_.read_bytes(at[0], 2), bytes_of("hi"));
    EXPECT_EQ(console_.failed_requests(), 2u);
    EXPECT_EQ(interrupt_->needs_reset, 0);
}

TEST_F(VirtioConsoleTest, EmptyReceiveBuffersAreReturnedWithoutTakingInput) {
    activate();
    for (uint16_t i = 0; i < kRingSize; ++i) {
        rx_.offer({writable(0)});
    }
    EXPECT_EQ(console_.offer_input(bytes_of("x")), 0u);
    EXPECT_EQ(rx_.used_idx(), kRingSize);
    EXPECT_EQ(console_.failed_requests(), kRingSize);
}

TEST_F(VirtioConsoleTest, ABrokenReceiveQueueAsksForAResetOnce) {
    activate();
    rx_.set_avail_idx(100);
    EXPECT_EQ(console_.offer_input(bytes_of("abc")), 0u);
    EXPECT_EQ(console_.offer_input(bytes_of("abc")), 0u);
    console_.process_queue(VirtioConsole::kReceiveQueue);
    EXPECT_EQ(interrupt_->needs_reset, 1);
    EXPECT_EQ(rx_.used_idx(), 0);
    EXPECT_FALSE(console_.wait_for_input_space(0ms));
}

TEST_F(VirtioConsoleTest, WaitForInputSpaceReturnsOnceTheDriverPostsBuffers) {
    activate();
    drain_receive_hint();
    EXPECT_FALSE(console_.wait_for_input_space(1ms));

    std::future<WaitOutcome> waiter = start_waiter();
    rx_.offer({writable(8)});
    console_.process_queue(VirtioConsole::kReceiveQueue);  // the driver's notification
    EXPECT_TRUE(woken(waiter));
    EXPECT_EQ(console_.offer_input(bytes_of("k")), 1u);
}

TEST_F(VirtioConsoleTest, ActivationTellsTheInputThreadToLook) {
    // Linux posts receive buffers before DRIVER_OK, when notifications are
    // not yet delivered: the device must look without one.
    std::future<WaitOutcome> waiter = start_waiter();
    rx_.offer({writable(8)});
    activate();
    EXPECT_TRUE(woken(waiter));
    EXPECT_EQ(console_.offer_input(bytes_of("k")), 1u);
}

TEST_F(VirtioConsoleTest, CloseInputWakesAWaiterAndRefusesInput) {
    activate();
    drain_receive_hint();
    std::future<WaitOutcome> waiter = start_waiter();
    console_.close_input();
    EXPECT_FALSE(woken(waiter));

    rx_.offer({writable(8)});
    console_.process_queue(VirtioConsole::kReceiveQueue);
    EXPECT_EQ(console_.offer_input(bytes_of("late")), 0u);
    EXPECT_EQ(rx_.used_idx(), 0);
    EXPECT_FALSE(console_.wait_for_input_space(0ms));
    console_.reset();
    activate();
    EXPECT_EQ(console_.offer_input(bytes_of("late")), 0u);  // closed for good
}

TEST_F(VirtioConsoleTest, ResetWakesAWaiter) {
    activate();
    drain_receive_hint();
    std::future<WaitOutcome> waiter = start_waiter();
    console_.reset();
    EXPECT_FALSE(woken(waiter));
}

TEST_F(VirtioConsoleTest, BackPressureDeliversAStreamWholeAndInOrder) {
    // The console input thread's loop (console::ConsoleInput::deliver): offer,
    // and wait for space whenever bytes are left over.
    std::string stream;
    for (int i = 0; i < 100; ++i) {
        stream += static_cast<char>('A' + i % 26);
    }
    activate();
    std::atomic<bool> done{false};
    std::atomic<int> rounds{0};  // waits the input thread has started
    std::thread input([&] {
        std::span<const uint8_t> left(reinterpret_cast<const uint8_t*>(stream.data()),
                                      stream.size());
        while (!left.empty()) {
            left = left.subspan(console_.offer_input(left));
            if (left.empty()) {
                break;
            }
            ++rounds;
            if (!console_.wait_for_input_space(kGenerous)) {
                break;
            }
        }
        done = true;
    });

    // The guest: each time the input thread is back waiting, it reads what
    // the used ring returned and posts three 7-byte buffers. The input
    // thread touches the rings only between a notification and its next
    // wait, so the two never use them at the same time.
    std::string received;
    uint16_t seen = 0;
    std::vector<GuestAddress> posted;
    const auto collect = [&] {
        for (; seen != rx_.used_idx(); ++seen) {
            const auto bytes = rx_.read_bytes(posted.at(seen), rx_.used_element(seen).len);
            received.append(bytes.begin(), bytes.end());
        }
    };
    int rounds_seen = 0;
    while (true) {
        if (!eventually(
                [&] { return done || (rounds > rounds_seen && console_.input_waiters() == 1); })) {
            ADD_FAILURE() << "the input thread neither finished nor waited again";
            console_.close_input();  // so that it ends, and can be joined
            break;
        }
        if (done) {
            break;
        }
        rounds_seen = rounds;
        collect();
        for (int i = 0; i < 3; ++i) {
            rx_.offer({writable(7)}, &posted);
        }
        console_.process_queue(VirtioConsole::kReceiveQueue);
    }
    input.join();
    collect();
    EXPECT_EQ(received, stream);
    EXPECT_GE(rounds_seen, 5);  // 100 bytes through 21-byte rounds
}

// --- Configuration space -----------------------------------------------------

TEST_F(VirtioConsoleTest, ConfigurationHoldsTheTerminalSize) {
    console_.set_terminal_size(80, 24);
    virtio_console_config config{};
    console_.read_config(0, std::span(reinterpret_cast<uint8_t*>(&config), sizeof(config)));
    EXPECT_EQ(le16toh(config.cols), 80);
    EXPECT_EQ(le16toh(config.rows), 24);
    EXPECT_EQ(le32toh(config.max_nr_ports), 1u);
    EXPECT_EQ(config.emerg_wr, 0u);  // write-only

    // A narrower read of one field, as a driver does.
    uint8_t rows[2] = {};
    console_.read_config(offsetof(virtio_console_config, rows), rows);
    EXPECT_EQ(rows[0], 24);
    EXPECT_EQ(rows[1], 0);
    EXPECT_EQ(interrupt_->config_changes, 0);  // nobody to tell yet
}

TEST_F(VirtioConsoleTest, SizeChangesAreAnnouncedWhenTheDriverAskedForThem) {
    console_.set_terminal_size(80, 24);
    activate(kVersion1 | kSize);
    EXPECT_EQ(interrupt_->config_changes, 1);  // the size known at start
    console_.set_terminal_size(120, 40);
    EXPECT_EQ(interrupt_->config_changes, 2);
    console_.set_terminal_size(120, 40);  // no change
    EXPECT_EQ(interrupt_->config_changes, 2);
    uint8_t cols[2] = {};
    console_.read_config(offsetof(virtio_console_config, cols), cols);
    EXPECT_EQ(cols[0], 120);
}

TEST_F(VirtioConsoleTest, SizeChangesAreNotAnnouncedWithoutTheFeature) {
    console_.set_terminal_size(80, 24);
    activate(kVersion1);
    console_.set_terminal_size(100, 30);
    EXPECT_EQ(interrupt_->config_changes, 0);
    uint8_t cols[2] = {};
    console_.read_config(offsetof(virtio_console_config, cols), cols);
    EXPECT_EQ(cols[0], 100);  // still readable
}

TEST_F(VirtioConsoleTest, EmergencyWriteOutputsOneCharacterAtAnyTime) {
    const uint32_t emerg_wr = offsetof(virtio_console_config, emerg_wr);
    // Before activation (§5.3.5), as Linux writes it: 32 bits, one character.
    const uint32_t value = htole32('B');
    console_.write_config(emerg_wr, std::span(reinterpret_cast<const uint8_t*>(&value), 4));
    activate();
    const uint8_t one[1] = {'e'};
    console_.write_config(emerg_wr, one);
    EXPECT_EQ(output(), "Be");
}

TEST_F(VirtioConsoleTest, WritesToTheOtherFieldsAreIgnored) {
    console_.set_terminal_size(80, 24);
    const uint8_t junk[4] = {0xff, 0xff, 0xff, 0xff};
    console_.write_config(0, junk);                 // cols and rows are read-only
    console_.write_config(4, junk);                 // max_nr_ports too
    console_.write_config(9, std::span(junk, 3));   // inside emerg_wr, not at it
    console_.write_config(11, std::span(junk, 4));  // past the end
    EXPECT_EQ(output(), "");
    uint8_t size[4] = {};
    console_.read_config(0, size);
    EXPECT_EQ(size[0], 80);
    EXPECT_EQ(size[2], 24);
    uint8_t past[4] = {1, 1, 1, 1};
    console_.read_config(10, past);  // runs past the end: reads zeros
    EXPECT_EQ(past[0], 0);
}

// --- Life cycle --------------------------------------------------------------

TEST_F(VirtioConsoleTest, DoesNothingUntilActivatedAndAfterReset) {
    rx_.configure(rx_queue_);
    tx_.configure(tx_queue_);
    tx_.offer({readable("one")});
    rx_.offer({writable(8)});
    console_.process_queue(VirtioConsole::kTransmitQueue);  // not active
    EXPECT_EQ(console_.offer_input(bytes_of("in")), 0u);
    EXPECT_FALSE(console_.wait_for_input_space(0ms));
    EXPECT_EQ(output(), "");
    EXPECT_EQ(tx_.used_idx(), 0);
    EXPECT_EQ(rx_.used_idx(), 0);

    ASSERT_TRUE(
        console_.activate(memory_, kVersion1 | kSize, {&rx_queue_, &tx_queue_}, interrupt_));
    console_.process_queue(2);  // no such queue
    EXPECT_EQ(output(), "");
    console_.process_queue(VirtioConsole::kTransmitQueue);
    EXPECT_EQ(output(), "one");
    EXPECT_EQ(console_.offer_input(bytes_of("in")), 2u);

    console_.reset();
    const size_t signals = interrupt_->used().size();
    tx_.offer({readable("two")});
    rx_.offer({writable(8)});
    console_.process_queue(VirtioConsole::kTransmitQueue);
    console_.process_queue(VirtioConsole::kReceiveQueue);
    EXPECT_EQ(console_.offer_input(bytes_of("in")), 0u);
    EXPECT_FALSE(console_.wait_for_input_space(0ms));
    console_.set_terminal_size(1, 1);
    EXPECT_EQ(output(), "one");
    EXPECT_EQ(tx_.used_idx(), 1);
    EXPECT_EQ(rx_.used_idx(), 1);
    EXPECT_EQ(interrupt_->used().size(), signals);
    EXPECT_EQ(interrupt_->config_changes, 0);
}

TEST(VirtioConsoleConstruction, NeedsAnOutputSink) {
    EXPECT_THROW(VirtioConsole(VirtioConsole::OutputSink{}), std::invalid_argument);
}

TEST_F(VirtioConsoleTest, RefusesToActivateWithoutItsTwoQueues) {
    EXPECT_FALSE(console_.activate(memory_, 0, {&rx_queue_}, interrupt_));
    EXPECT_FALSE(console_.activate(memory_, 0, {&rx_queue_, nullptr}, interrupt_));
    EXPECT_FALSE(console_.activate(memory_, 0, {&rx_queue_, &tx_queue_, &tx_queue_}, interrupt_));
    EXPECT_FALSE(console_.activate(memory_, 0, {&rx_queue_, &tx_queue_}, nullptr));
    EXPECT_EQ(console_.offer_input(bytes_of("x")), 0u);
}

}  // namespace
}  // namespace berth::virtio
