// A guest-physical address as its own type, so it cannot be mixed up with a
// host pointer, a length or an offset (rust-vmm's vm-memory does the same).
#pragma once

#include <compare>
#include <cstdint>
#include <optional>

namespace berth {

class GuestAddress {
public:
    constexpr GuestAddress() = default;
    constexpr explicit GuestAddress(uint64_t value) : value_(value) {}

    constexpr uint64_t value() const { return value_; }

    // Adding a guest-controlled length can wrap; callers get nullopt instead.
    constexpr std::optional<GuestAddress> checked_add(uint64_t offset) const {
        uint64_t sum = 0;
        if (__builtin_add_overflow(value_, offset, &sum)) {
            return std::nullopt;
        }
        return GuestAddress(sum);
    }
    // For addresses Berth itself computes from its own layout constants.
    constexpr GuestAddress operator+(uint64_t offset) const {
        return GuestAddress(value_ + offset);
    }
    constexpr auto operator<=>(const GuestAddress&) const = default;

private:
    uint64_t value_ = 0;
};

}  // namespace berth
