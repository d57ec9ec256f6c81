// Summary statistics of a benchmark's samples (`berth bench startup`): the
// numbers its tables print, computed the way NumPy and matplotlib do, so that
// a table and a chart drawn from the same CSV agree.
#pragma once

#include <cstddef>
#include <span>

namespace berth::bench {

// Count, extremes, mean and three percentiles of one metric's samples. For
// no samples, count is 0 and every other field is NaN: "no data" must not
// read as a measured zero.
struct Summary {
    size_t count = 0;
    double min = 0;
    double max = 0;
    double mean = 0;
    double p50 = 0;
    double p90 = 0;
    double p99 = 0;
};

// The p-th percentile (0 <= p <= 100) of `sorted`, which must be sorted
// ascending and not empty, by linear interpolation between the closest ranks:
// with n samples, rank h = (n - 1) * p / 100 (0-based), and the result is
// x[floor(h)] + (h - floor(h)) * (x[floor(h) + 1] - x[floor(h)]). This is
// Hyndman and Fan's definition 7 ("R-7"), the default of numpy.percentile
// (method="linear"), R's quantile() and Excel's PERCENTILE.INC. Throws
// std::invalid_argument for an empty span or p outside [0, 100].
double percentile_of_sorted(std::span<const double> sorted, double p);

// Summarises samples in any order (they are copied and sorted). NaN samples
// are a caller's mistake and throw std::invalid_argument, since they would
// make the order, and so every percentile, meaningless.
Summary summarize(std::span<const double> samples);

}  // namespace berth::bench
