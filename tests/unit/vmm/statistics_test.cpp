// Summary statistics against values computed with NumPy 1.24
// (numpy.percentile's default "linear" method), compared exactly: the tables
// Berth prints must match charts drawn from the same CSV with matplotlib.
#include "vmm/bench/statistics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <vector>

namespace berth::bench {
namespace {

TEST(Statistics, OneToHundred) {
    std::vector<double> samples(100);
    std::iota(samples.begin(), samples.end(), 1.0);
    const Summary summary = summarize(samples);
    EXPECT_EQ(summary.count, 100u);
    EXPECT_EQ(summary.min, 1.0);
    EXPECT_EQ(summary.max, 100.0);
    EXPECT_EQ(summary.mean, 50.5);
    EXPECT_EQ(summary.p50, 50.5);
    EXPECT_EQ(summary.p90, 90.10000000000001);  // numpy: 90.10000000000001, not 90.1
    EXPECT_EQ(summary.p99, 99.01);
    EXPECT_EQ(percentile_of_sorted(samples, 0), 1.0);
    EXPECT_EQ(percentile_of_sorted(samples, 25), 25.75);
    EXPECT_EQ(percentile_of_sorted(samples, 33.3), 33.967);
    EXPECT_EQ(percentile_of_sorted(samples, 75), 75.25);
    EXPECT_EQ(percentile_of_sorted(samples, 100), 100.0);
}

TEST(Statistics, SingleSampleIsEveryPercentile) {
    const std::vector<double> samples{42.5};
    const Summary summary = summarize(samples);
    EXPECT_EQ(summary.count, 1u);
    for (double value :
         {summary.min, summary.max, summary.mean, summary.p50, summary.p90, summary.p99}) {
        EXPECT_EQ(value, 42.5);
    }
}

TEST(Statistics, TwoSamplesInterpolate) {
    const std::vector<double> samples{20, 10};
    const Summary summary = summarize(samples);
    EXPECT_EQ(summary.min, 10.0);
    EXPECT_EQ(summary.max, 20.0);
    EXPECT_EQ(summary.mean, 15.0);
    EXPECT_EQ(summary.p50, 15.0);
    EXPECT_EQ(summary.p90, 19.0);
    EXPECT_EQ(summary.p99, 19.9);
    const std::vector<double> sorted{10, 20};
    EXPECT_EQ(percentile_of_sorted(sorted, 25), 12.5);
    EXPECT_EQ(percentile_of_sorted(sorted, 33.3), 13.33);
}

TEST(Statistics, UnsortedInputIsSortedFirst) {
    const std::vector<double> samples{7, 1, 5, 3, 9, 2};
    const Summary summary = summarize(samples);
    EXPECT_EQ(summary.count, 6u);
    EXPECT_EQ(summary.min, 1.0);
    EXPECT_EQ(summary.max, 9.0);
    EXPECT_EQ(summary.mean, 4.5);
    EXPECT_EQ(summary.p50, 4.0);
    EXPECT_EQ(summary.p90, 8.0);
    EXPECT_EQ(summary.p99, 8.9);
    EXPECT_EQ(samples, (std::vector<double>{7, 1, 5, 3, 9, 2}));  // the caller's order is kept
}

TEST(Statistics, Duplicates) {
    const std::vector<double> samples{4, 9, 4, 4, 4};
    const Summary summary = summarize(samples);
    EXPECT_EQ(summary.p50, 4.0);
    EXPECT_EQ(summary.p90, 7.0);
    EXPECT_EQ(summary.p99, 8.8);
    EXPECT_EQ(summary.mean, 5.0);
    const std::vector<double> sorted{4, 4, 4, 4, 9};
    EXPECT_EQ(percentile_of_sorted(sorted, 75), 4.0);  // between two equal samples: that value
}

TEST(Statistics, BootTimesLikeABenchmark) {
    const std::vector<double> samples{123.4, 98.7, 110.2, 105.5, 131.9,
                                      101.1, 99.9, 140.3, 102.8, 97.6};
    const Summary summary = summarize(samples);
    EXPECT_EQ(summary.p50, 104.15);
    EXPECT_EQ(summary.p90, 132.74);
    EXPECT_EQ(summary.p99, 139.544);
    EXPECT_DOUBLE_EQ(summary.mean, 111.14);  // summation order may differ from NumPy's
    const std::vector<double> fractions{0.1, 0.2, 0.3};
    const Summary small = summarize(fractions);
    EXPECT_EQ(small.p90, 0.28);
    EXPECT_EQ(small.p99, 0.298);
    std::vector<double> sorted = fractions;
    EXPECT_EQ(percentile_of_sorted(sorted, 25), 0.15000000000000002);
}

// Cases where a + (b - a) * t and NumPy's b - (b - a) * (1 - t) (for t >=
// 0.5) round differently: the second is what numpy.percentile returns.
TEST(Statistics, InterpolatesFromTheNearerSampleLikeNumPy) {
    const std::vector<double> two{453.0, 754.1};
    EXPECT_EQ(summarize(two).p99, 751.089);  // not 751.0889999999999
    const std::vector<double> three{253.5, 730.2, 976.7};
    EXPECT_EQ(percentile_of_sorted(three, 95), 952.0500000000001);  // not 952.05
    const std::vector<double> six{248.2, 749.6, 4.0, 189.8, 438.8, 21.0};
    std::vector<double> sorted = six;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(percentile_of_sorted(sorted, 95), 671.9);  // not 671.9000000000001
}

TEST(Statistics, EmptyInputHasCountZeroAndNoValues) {
    const Summary summary = summarize({});
    EXPECT_EQ(summary.count, 0u);
    for (double value :
         {summary.min, summary.max, summary.mean, summary.p50, summary.p90, summary.p99}) {
        EXPECT_TRUE(std::isnan(value));
    }
    EXPECT_THROW(percentile_of_sorted({}, 50), std::invalid_argument);
}

TEST(Statistics, RefusesNanSamplesAndPercentilesOutOfRange) {
    const std::vector<double> samples{1, NAN, 3};
    EXPECT_THROW(summarize(samples), std::invalid_argument);
    const std::vector<double> sorted{1, 2, 3};
    EXPECT_THROW(percentile_of_sorted(sorted, -1), std::invalid_argument);
    EXPECT_THROW(percentile_of_sorted(sorted, 100.5), std::invalid_argument);
    EXPECT_THROW(percentile_of_sorted(sorted, NAN), std::invalid_argument);
}

TEST(Statistics, PercentilesGrowWithP) {
    const std::vector<double> sorted{0.1, 0.7, 0.7, 1.3, 2.9, 3.0, 10.0};
    double previous = sorted.front();
    for (int tenth = 0; tenth <= 1000; ++tenth) {
        const double value = percentile_of_sorted(sorted, tenth / 10.0);
        EXPECT_GE(value, previous) << "p = " << tenth / 10.0;
        previous = value;
    }
    EXPECT_EQ(previous, 10.0);
}

}  // namespace
}  // namespace berth::bench
