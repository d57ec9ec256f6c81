#include "devices/bus.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace berth::devices {

void Bus::insert(uint64_t base, uint64_t length, std::shared_ptr<BusDevice> device) {
    uint64_t end = 0;
    if (length == 0 || __builtin_add_overflow(base, length, &end)) {
        throw std::invalid_argument(
            fmt::format("{} bus: invalid range at {:#x} length {:#x}", name_, base, length));
    }
    if (!device) {
        // Dispatch would dereference it, and so would a later overlap message.
        throw std::invalid_argument(fmt::format("{} bus: no device for {:#x}", name_, base));
    }
    std::unique_lock lock(mutex_);
    // The first range starting at or after `base` must start at or after `end`,
    // and the range before it must end at or before `base`.
    auto next = ranges_.lower_bound(base);
    if (next != ranges_.end() && next->first < end) {
        throw std::invalid_argument(fmt::format("{} bus: {:#x}+{:#x} overlaps {} at {:#x}", name_,
                                                base, length, next->second.device->name(),
                                                next->first));
    }
    if (next != ranges_.begin()) {
        auto previous = std::prev(next);
        if (previous->first + previous->second.length > base) {
            throw std::invalid_argument(
                fmt::format("{} bus: {:#x}+{:#x} overlaps {} at {:#x}", name_, base, length,
                            previous->second.device->name(), previous->first));
        }
    }
    ranges_.emplace(base, Range{length, std::move(device)});
}

bool Bus::remove(uint64_t base) {
    std::unique_lock lock(mutex_);
    return ranges_.erase(base) == 1;
}

std::optional<Bus::Match> Bus::find(uint64_t address, uint64_t length) const {
    if (auto found = lookup(address, length)) {
        return Match{found->device.get(), found->offset};
    }
    return std::nullopt;
}

std::optional<Bus::Found> Bus::lookup(uint64_t address, uint64_t length) const {
    std::shared_lock lock(mutex_);
    auto after = ranges_.upper_bound(address);  // first range starting above address
    if (after == ranges_.begin()) {
        return std::nullopt;
    }
    const auto& [base, range] = *std::prev(after);
    const uint64_t offset = address - base;
    if (offset >= range.length || length > range.length - offset) {
        return std::nullopt;
    }
    return Found{range.device, offset};
}

bool Bus::read(uint64_t address, std::span<uint8_t> data) const {
    if (auto found = lookup(address, data.size())) {
        found->device->read(found->offset, data);
        return true;
    }
    std::fill(data.begin(), data.end(), 0xff);
    unhandled_.fetch_add(1, std::memory_order_relaxed);
    return false;
}

bool Bus::write(uint64_t address, std::span<const uint8_t> data) const {
    if (auto found = lookup(address, data.size())) {
        found->device->write(found->offset, data);
        return true;
    }
    unhandled_.fetch_add(1, std::memory_order_relaxed);
    return false;
}

}  // namespace berth::devices
