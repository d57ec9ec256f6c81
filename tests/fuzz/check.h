// CHECK(condition) for the fuzz targets: an invariant that must hold for
// every input. A failure names the condition and aborts, which libFuzzer
// reports as a crash and saves the input for.
#pragma once

#include <cstdio>
#include <cstdlib>

#define CHECK(condition)                                                                       \
    do {                                                                                       \
        if (!(condition)) {                                                                    \
            std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #condition); \
            std::abort();                                                                      \
        }                                                                                      \
    } while (0)

// For a target's own checking code: its comparisons are no coverage worth
// steering by, and tracing them would only slow the fuzzer down.
#define NO_COVERAGE __attribute__((no_sanitize("coverage")))
