// libFuzzer target: the command-line parsers of `berth run` for sizes
// (--memory, vmm/cli/size) and device options (--disk, --net, --console,
// vmm/cli/device_options) on arbitrary text.
//
// It checks that parse_size() agrees with an independent reading of its
// documented grammar (a whole number, then nothing, K, M, G or T, optionally
// followed by B or iB, in any case; no unit is MiB; nullopt beyond 64 bits);
// that every option either parses into values inside the documented limits
// (a non-empty disk path, a serial of at most 20 bytes, an interface name the
// kernel's dev_valid_name() accepts, a unicast MAC) which parse the same when
// written back as an option, or is refused with UserError naming the option;
// and that nothing else is ever thrown (libFuzzer reports an escaping
// exception as a crash).
//
// Input: one byte choosing the parser (modulo 4: size, disk, net, console),
// then the text, up to its first NUL, as argv would carry it.
//
// tests/fuzz/make_seeds.py writes the seeds in tests/fuzz/corpus/cli_options.
//
// fuzz-sources: vmm/cli/size.cpp vmm/cli/device_options.cpp vmm/common/error.cpp

#include <linux/if.h>  // IFNAMSIZ

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "tests/fuzz/check.h"
#include "vmm/cli/device_options.h"
#include "vmm/cli/size.h"
#include "vmm/common/error.h"

using namespace berth;
using namespace berth::cli;

namespace {

constexpr size_t kMaxSerial = 20;  // VIRTIO_BLK_ID_BYTES

// The grammar of size.h, read without sharing any of parse_size's code.
std::optional<uint64_t> reference_size(std::string_view text) {
    size_t digits = 0;
    unsigned __int128 number = 0;
    for (; digits < text.size() && text[digits] >= '0' && text[digits] <= '9'; ++digits) {
        number = number * 10 + static_cast<unsigned>(text[digits] - '0');
        if (number > UINT64_MAX) {
            return std::nullopt;
        }
    }
    if (digits == 0) {
        return std::nullopt;
    }
    std::string unit;
    for (char c : text.substr(digits)) {
        unit += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    unsigned shift = 0;
    if (unit.empty()) {
        shift = 20;
    } else {
        static constexpr std::string_view kLetters = "kmgt";
        const size_t letter = kLetters.find(unit[0]);
        const std::string_view rest = std::string_view(unit).substr(1);
        if (letter == std::string_view::npos || !(rest.empty() || rest == "b" || rest == "ib")) {
            return std::nullopt;
        }
        shift = 10 * static_cast<unsigned>(letter + 1);
    }
    const unsigned __int128 bytes = number << shift;
    if (bytes > UINT64_MAX) {
        return std::nullopt;
    }
    return static_cast<uint64_t>(bytes);
}

// Linux's dev_valid_name() (net/core/dev.c), which a tap name must pass.
bool kernel_accepts_interface_name(std::string_view name) {
    if (name.empty() || name.size() >= IFNAMSIZ || name == "." || name == "..") {
        return false;
    }
    return name.find_first_of("/: \t\n\v\f\r") == std::string_view::npos;
}

bool starts_with(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

void check_refusal(const UserError& error, std::string_view option) {
    CHECK(starts_with(error.what(), option));
}

void fuzz_disk(std::string_view text) {
    DiskConfig disk;
    try {
        disk = parse_disk_option(text);
    } catch (const UserError& error) {
        check_refusal(error, "--disk");
        return;
    }
    CHECK(!disk.path.empty());
    CHECK(disk.path == text.substr(0, text.find(',')));
    CHECK(disk.serial.size() <= kMaxSerial);
    CHECK(disk.serial.empty() || text.find(",serial=") != std::string_view::npos);
    // Written back as an option, it reads the same.
    std::string again = disk.path;
    again += disk.read_only ? ",ro=on" : ",ro=off";
    if (!disk.serial.empty()) {
        again += ",serial=" + disk.serial;
    }
    again += disk.direct ? ",direct=on" : ",direct=off";
    const DiskConfig reparsed = parse_disk_option(again);
    CHECK(reparsed.path == disk.path && reparsed.read_only == disk.read_only &&
          reparsed.serial == disk.serial && reparsed.direct == disk.direct);
}

void fuzz_net(std::string_view text) {
    NetConfig net;
    try {
        net = parse_net_option(text);
    } catch (const UserError& error) {
        check_refusal(error, "--net");
        return;
    }
    CHECK(kernel_accepts_interface_name(net.tap_name));
    std::string again = "tap=" + net.tap_name;
    if (net.mac) {
        CHECK(((*net.mac)[0] & 1) == 0);  // unicast
        again += fmt::format(",mac={:02x}", fmt::join(*net.mac, ":"));
    }
    const NetConfig reparsed = parse_net_option(again);
    CHECK(reparsed.tap_name == net.tap_name && reparsed.mac == net.mac);
}

void fuzz_console(std::string_view text) {
    try {
        const ConsoleKind kind = parse_console_option(text);
        CHECK((text == "serial" && kind == ConsoleKind::kSerial) ||
              (text == "virtio" && kind == ConsoleKind::kVirtio));
    } catch (const UserError& error) {
        CHECK(text != "serial" && text != "virtio");
        check_refusal(error, "--console");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) {
        return 0;
    }
    std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    text = text.substr(0, text.find('\0'));  // an argv string ends at its NUL
    switch (data[0] % 4) {
        case 0:
            CHECK(parse_size(text) == reference_size(text));
            break;
        case 1:
            fuzz_disk(text);
            break;
        case 2:
            fuzz_net(text);
            break;
        default:
            fuzz_console(text);
            break;
    }
    return 0;
}
