// The order of the runs: interleaved rounds, so that drift (a warming page
// cache, a noisy neighbour, thermal throttling) hits every system alike.
#pragma once

#include <span>
#include <vector>

#include "vmm/bench/system.h"

namespace berth::bench {

// Round `round` (0-based, warm-up rounds included) runs every system once,
// starting `round` places further down the list, so that no system is
// always first (after an idle gap) or always right after the same one:
// {a, b, c} gives a b c, then b c a, then c a b, then a b c again.
std::vector<SystemKind> round_order(std::span<const SystemKind> systems, int round);

}  // namespace berth::bench
