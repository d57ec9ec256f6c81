// The charts of a bench run, drawn by matplotlib through
// scripts/bench/startup-charts.py from the CSV files already written.
#pragma once

#include <string>

namespace berth::bench {

struct ChartsResult {
    bool drawn = false;
    std::string text;  // for results.md: what was drawn, or why not and how to draw them later
};

// Runs the chart script of the repository at `repo` on `out_dir` with a
// python3 that has matplotlib (Debian's /usr/bin/python3 first: a python3
// earlier on PATH, from pyenv say, may lack it).
ChartsResult draw_charts(const std::string& repo, const std::string& out_dir);

}  // namespace berth::bench
