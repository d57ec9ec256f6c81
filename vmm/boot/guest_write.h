// Writing Berth's boot structures into guest RAM, with one clear error when
// the memory is not there (a guest too small for the layout in vmm/layout.h).
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>

#include "vmm/common/error.h"
#include "vmm/memory/guest_memory.h"

namespace berth::boot {

// The host view of guest [address, address + size), where `what` goes.
inline std::span<uint8_t> guest_room(const GuestMemory& memory, GuestAddress address, uint64_t size,
                                     std::string_view what) {
    const std::optional<std::span<uint8_t>> room = memory.slice(address, size);
    if (!room) {
        throw UserError(fmt::format("guest memory has no room for {} ({} bytes at {:#x})", what,
                                    size, address.value()));
    }
    return *room;
}

inline void write_guest(const GuestMemory& memory, GuestAddress address,
                        std::span<const uint8_t> bytes, std::string_view what) {
    std::copy(bytes.begin(), bytes.end(), guest_room(memory, address, bytes.size(), what).begin());
}

template <typename T>
void write_guest_obj(const GuestMemory& memory, GuestAddress address, const T& value,
                     std::string_view what) {
    static_assert(std::is_trivially_copyable_v<T>);
    // A trivially copyable object is its bytes; this views them without copying.
    write_guest(memory, address, std::span(reinterpret_cast<const uint8_t*>(&value), sizeof(T)),
                what);
}

}  // namespace berth::boot
