#include "vmm/bench/schedule.h"

namespace berth::bench {

std::vector<SystemKind> round_order(std::span<const SystemKind> systems, int round) {
    std::vector<SystemKind> order;
    if (systems.empty()) {
        return order;
    }
    const size_t n = systems.size();
    const size_t shift = static_cast<size_t>(round < 0 ? -round : round) % n;
    order.reserve(n);
    for (size_t i = 0; i < n; ++i) {
        order.push_back(systems[(i + shift) % n]);
    }
    return order;
}

}  // namespace berth::bench
