// What `berth bench startup` was asked to do, and the parsers of its option
// texts (each mistake is a one-line UserError).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "vmm/bench/system.h"

namespace berth::bench {

struct StartupOptions {
    int runs = 20;                    // measured runs per system
    int warmup = 1;                   // rounds run first and discarded
    std::vector<SystemKind> systems;  // in all_systems() order, no repeats
    int cpus = 1;                     // vCPUs of each VM
    uint64_t memory_bytes = 512ull << 20;
    int run_timeout_minutes = 10;  // a run still going after this has failed
    std::string out_dir;           // empty: <repo>/build/bench/startup-<date>
    std::string kernel;            // empty: <repo>/build/guest/vmlinuz
    std::string vmlinux;           // empty: "vmlinux" next to the kernel
    std::string workload;          // empty: <repo>/build/workload
};

// "berth,qemu-microvm,runc" -> those systems, in all_systems() order (the
// order tables list them; runs are interleaved anyway). Refuses unknown
// names, empty items and repeats, naming the valid systems.
std::vector<SystemKind> parse_systems(std::string_view text);

// "512M", "2G", a bare number of MiB (as `berth run --memory`); a whole
// number of MiB, since QEMU's -m is given the same size in MiB.
uint64_t parse_memory_option(std::string_view text);

// The numeric options' ranges: --runs >= 1, --warmup >= 0, --cpus 1..254,
// --run-timeout >= 1.
void check_startup_options(const StartupOptions& options);

}  // namespace berth::bench
