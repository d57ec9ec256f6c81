// Berth's command line (CLI11): `berth run ...`, `berth --version`.
#pragma once

#include <string>
#include <vector>

namespace berth::cli {

// Parses and runs the command; returns the process exit status. User
// mistakes print one line on stderr and return 2.
int main(int argc, char** argv);

}  // namespace berth::cli
