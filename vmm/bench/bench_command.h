// `berth bench ...`: the benchmark subcommands, added to berth's command line
// by vmm/cli/cli.cpp.
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

namespace berth::bench {

struct BenchCommand {
    CLI::App* app;             // the `bench` subcommand: run() when app->parsed()
    std::function<int()> run;  // validates the options, runs the chosen bench
};

// Adds `bench` (and under it `startup`) to `berth_app`. run() throws
// UserError for bad option values, to be reported as berth reports them.
BenchCommand add_bench_command(CLI::App& berth_app);

}  // namespace berth::bench
