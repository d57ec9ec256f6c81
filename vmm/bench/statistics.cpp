#include "vmm/bench/statistics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

namespace berth::bench {

double percentile_of_sorted(std::span<const double> sorted, double p) {
    if (sorted.empty()) {
        throw std::invalid_argument("percentile of no samples");
    }
    if (!(p >= 0 && p <= 100)) {  // also refuses NaN
        throw std::invalid_argument("percentile outside 0..100");
    }
    // Computed in NumPy's order of operations (p / 100 first, then its
    // _lerp()), so that results agree with numpy.percentile to the last bit.
    const double rank = static_cast<double>(sorted.size() - 1) * (p / 100);
    const auto below = static_cast<size_t>(std::floor(rank));
    if (below + 1 >= sorted.size()) {
        return sorted.back();  // p = 100, or a single sample
    }
    const double t = rank - static_cast<double>(below);
    const double a = sorted[below];
    const double b = sorted[below + 1];
    // Interpolating from the nearer end keeps the result exact at both ends
    // and monotonic in p.
    return t < 0.5 ? a + (b - a) * t : b - (b - a) * (1 - t);
}

Summary summarize(std::span<const double> samples) {
    if (samples.empty()) {
        constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
        return Summary{0, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN};
    }
    if (std::any_of(samples.begin(), samples.end(), [](double x) { return std::isnan(x); })) {
        throw std::invalid_argument("a sample is NaN");
    }
    std::vector<double> sorted(samples.begin(), samples.end());
    std::sort(sorted.begin(), sorted.end());
    double sum = 0;
    for (double x : sorted) {
        sum += x;
    }
    return Summary{
        .count = sorted.size(),
        .min = sorted.front(),
        .max = sorted.back(),
        .mean = sum / static_cast<double>(sorted.size()),
        .p50 = percentile_of_sorted(sorted, 50),
        .p90 = percentile_of_sorted(sorted, 90),
        .p99 = percentile_of_sorted(sorted, 99),
    };
}

}  // namespace berth::bench
