#include "vmm/trace/kernel_log.h"

#include <algorithm>
#include <array>
#include <cinttypes>

namespace berth::trace {
namespace {

// Messages of Linux 6.1 (the default guest's kernel), each printed once per
// boot at most; the source of each is named so that a reader can check it.
constexpr std::array kPatterns{
    // init/main.c, start_kernel(): the banner, the first line of every boot.
    KernelMessagePattern{"kernel-start", "Linux version ", ""},
    // kernel/smp.c, smp_init(): every CPU is online.
    KernelMessagePattern{"cpus-up", "smp: Brought up ", ""},
    // drivers/acpi/bus.c, acpi_bus_init(): the DSDT has been loaded.
    KernelMessagePattern{"acpi-enabled", "ACPI: Interpreter enabled", ""},
    // drivers/pci/probe.c, pci_register_host_bridge(): the PCI scan starts.
    KernelMessagePattern{"pci-host-bridge", "", "PCI host bridge to bus "},
    // kernel/time/clocksource.c: the final clocksource (kvm-clock) took over.
    KernelMessagePattern{"clocksource-switched", "clocksource: Switched to clocksource ", ""},
    // init/initramfs.c, via free_reserved_area(): the initramfs is unpacked.
    KernelMessagePattern{"initramfs-unpacked", "Freeing initrd memory", ""},
    // init/main.c, free_initmem(): the kernel's own initialisation is over.
    KernelMessagePattern{"init-memory-freed", "Freeing unused kernel image", ""},
    // init/main.c, run_init_process(): user space starts.
    KernelMessagePattern{"init-started", "Run ", " as init process"},
    // drivers/block/virtio_blk.c, virtblk_update_capacity(): a disk was probed.
    KernelMessagePattern{"virtio-blk-disk", "virtio_blk ", " logical blocks"},
    // kernel/printk/printk.c, register_console(): virtio-console's hvc0.
    KernelMessagePattern{"hvc0-console", "", "console [hvc0] enabled"},
    // fs/ext4/super.c: a disk's file system (the root, in the default guest).
    KernelMessagePattern{"ext4-mounted", "EXT4-fs (", "mounted filesystem"},
    // kernel/reboot.c: the end, one way or another.
    KernelMessagePattern{"power-down", "reboot: Power down", ""},
    KernelMessagePattern{"restarting", "reboot: Restarting system", ""},
    // kernel/panic.c.
    KernelMessagePattern{"kernel-panic", "Kernel panic - not syncing", ""},
};

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// Reads 1 to `max_digits` decimal digits at `at`; advances past them.
std::optional<uint64_t> read_digits(std::string_view text, size_t& at, size_t max_digits,
                                    size_t* count = nullptr) {
    uint64_t value = 0;
    size_t digits = 0;
    while (at < text.size() && is_digit(text[at]) && digits < max_digits) {
        value = value * 10 + static_cast<uint64_t>(text[at] - '0');
        ++at;
        ++digits;
    }
    if (digits == 0 || (at < text.size() && is_digit(text[at]))) {
        return std::nullopt;  // none, or more than max_digits
    }
    if (count != nullptr) {
        *count = digits;
    }
    return value;
}

// CONFIG_PRINTK_CALLER adds "[    T123]" (task) or "[     C1]" (CPU) after the
// timestamp; returns where the message starts after it, or `at` if absent.
size_t skip_caller_field(std::string_view line, size_t at) {
    size_t i = at;
    if (i >= line.size() || line[i] != '[') {
        return at;
    }
    ++i;
    while (i < line.size() && line[i] == ' ') {
        ++i;
    }
    if (i >= line.size() || (line[i] != 'T' && line[i] != 'C')) {
        return at;
    }
    ++i;
    if (!read_digits(line, i, 10) || i >= line.size() || line[i] != ']') {
        return at;
    }
    return i + 1;
}

}  // namespace

std::span<const KernelMessagePattern> kernel_milestone_patterns() {
    return kPatterns;
}

std::optional<PrintkLine> parse_printk_line(std::string_view line) {
    // "[%5lu.%06lu] ": seconds padded to five characters, microseconds.
    size_t at = 0;
    if (line.empty() || line[0] != '[') {
        return std::nullopt;
    }
    ++at;
    while (at < line.size() && line[at] == ' ') {
        ++at;
    }
    // Ten digits of seconds (three centuries) keep the product below 2^64.
    const auto seconds = read_digits(line, at, 10);
    if (!seconds || at >= line.size() || line[at] != '.') {
        return std::nullopt;
    }
    ++at;
    size_t fraction_digits = 0;
    auto fraction = read_digits(line, at, 9, &fraction_digits);
    if (!fraction || at >= line.size() || line[at] != ']') {
        return std::nullopt;
    }
    ++at;
    // Scale the fraction to microseconds (Linux prints exactly six digits).
    for (; fraction_digits < 6; ++fraction_digits) {
        *fraction *= 10;
    }
    for (; fraction_digits > 6; --fraction_digits) {
        *fraction /= 10;
    }
    at = skip_caller_field(line, at);
    if (at < line.size() && line[at] == ' ') {
        ++at;
    }
    return PrintkLine{*seconds * 1'000'000 + *fraction, line.substr(at)};
}

void KernelLog::feed(std::span<const uint8_t> bytes, uint64_t host_us) {
    std::lock_guard lock(mutex_);
    if (milestones_.size() == kPatterns.size()) {
        return;  // everything seen: nothing left to look for
    }
    for (uint8_t byte : bytes) {
        if (byte == '\n') {
            end_line_locked(host_us);
        } else if (line_.size() < kMaxLineLength) {
            line_.push_back(static_cast<char>(byte));
        }
    }
}

void KernelLog::end_line_locked(uint64_t host_us) {
    std::string_view line = line_;
    // The serial console ends lines with "\r\n" (uart_console_write()).
    while (!line.empty() && line.front() == '\r') {
        line.remove_prefix(1);
    }
    while (!line.empty() && line.back() == '\r') {
        line.remove_suffix(1);
    }
    if (auto parsed = parse_printk_line(line)) {
        for (const KernelMessagePattern& pattern : kPatterns) {
            if (!parsed->message.starts_with(pattern.prefix) ||
                (!pattern.contains.empty() &&
                 parsed->message.find(pattern.contains) == std::string_view::npos)) {
                continue;
            }
            bool seen = false;
            for (const KernelMilestone& milestone : milestones_) {
                seen = seen || milestone.name == pattern.name;
            }
            if (!seen) {
                milestones_.push_back({std::string(pattern.name), parsed->guest_us, host_us,
                                       std::string(parsed->message)});
            }
            break;  // one milestone per line
        }
    }
    line_.clear();
}

std::vector<KernelMilestone> KernelLog::milestones() const {
    std::lock_guard lock(mutex_);
    return milestones_;
}

void print_kernel_milestones(std::span<const KernelMilestone> milestones, std::FILE* out) {
    if (milestones.empty()) {
        return;
    }
    std::vector<KernelMilestone> sorted(milestones.begin(), milestones.end());
    std::stable_sort(
        sorted.begin(), sorted.end(),
        [](const KernelMilestone& a, const KernelMilestone& b) { return a.guest_us < b.guest_us; });
    std::fprintf(out, "berth: guest kernel timeline (seconds since the guest kernel started)\n");
    for (const KernelMilestone& milestone : sorted) {
        // Twelve characters wide, like the host timeline's microseconds above.
        std::fprintf(out, "berth: %5" PRIu64 ".%06" PRIu64 " s   %s\n",
                     milestone.guest_us / 1'000'000, milestone.guest_us % 1'000'000,
                     milestone.name.c_str());
    }
}

}  // namespace berth::trace
