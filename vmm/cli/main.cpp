// The berth binary: everything happens in the CLI and the library.
#include "vmm/cli/cli.h"

int main(int argc, char** argv) {
    return berth::cli::main(argc, argv);
}
