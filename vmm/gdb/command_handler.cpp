#include "vmm/gdb/command_handler.h"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "vmm/gdb/hex.h"
#include "vmm/gdb/packet_framing.h"
#include "vmm/gdb/target_description.h"

namespace berth::gdb {
namespace {

// Error replies are "E" and two hex digits; gdb shows no more than "error".
// These follow errno values so a packet log reads naturally.
constexpr std::string_view kBadRequest = "E01";   // malformed or out of range
constexpr std::string_view kMemoryFault = "E0E";  // EFAULT: nothing mapped there
constexpr std::string_view kNoSlot = "E1C";       // ENOSPC: all four debug registers in use
constexpr std::string_view kOk = "OK";

// The most bytes one m/M/X moves: hex doubles them, and a reply must fit PacketSize.
constexpr size_t kMaxMemoryChunk = kMaxPacketSize / 2 - 16;

constexpr int kSigInt = 2;
constexpr int kSigTrap = 5;

// Splits "a<sep>b" at the first separator; nullopt when there is none.
std::optional<std::pair<std::string_view, std::string_view>> split(std::string_view text,
                                                                   char separator) {
    const size_t at = text.find(separator);
    if (at == std::string_view::npos) {
        return std::nullopt;
    }
    return std::pair(text.substr(0, at), text.substr(at + 1));
}

struct AddressLength {
    uint64_t address;
    uint64_t length;
};

// "addr,length" as m, M and X write them.
std::optional<AddressLength> parse_address_length(std::string_view text) {
    const auto parts = split(text, ',');
    if (!parts) {
        return std::nullopt;
    }
    const auto address = parse_hex_number(parts->first);
    const auto length = parse_hex_number(parts->second);
    if (!address || !length) {
        return std::nullopt;
    }
    return AddressLength{*address, *length};
}

}  // namespace

HandlerReply CommandHandler::handle(std::string_view packet) {
    if (packet.empty()) {
        return {};
    }
    const std::string_view arguments = packet.substr(1);
    switch (packet[0]) {
        case '?':
            return {HandlerReply::Then::kSend, stop_reply()};
        case 'g':
            return {HandlerReply::Then::kSend, read_registers()};
        case 'G':
            return {HandlerReply::Then::kSend, write_registers(arguments)};
        case 'p':
            return {HandlerReply::Then::kSend, read_register(arguments)};
        case 'P':
            return {HandlerReply::Then::kSend, write_register(arguments)};
        case 'm':
            return {HandlerReply::Then::kSend, read_memory(arguments)};
        case 'M':
            return {HandlerReply::Then::kSend, write_memory(arguments, false)};
        case 'X':
            return {HandlerReply::Then::kSend, write_memory(arguments, true)};
        case 'Z':
            return {HandlerReply::Then::kSend, breakpoint(arguments, true)};
        case 'z':
            return {HandlerReply::Then::kSend, breakpoint(arguments, false)};
        case 'c':
            return resume(arguments, false);
        case 's':
            return resume(arguments, true);
        case 'C':
            return resume_with_signal(arguments, false);
        case 'S':
            return resume_with_signal(arguments, true);
        case 'H':
            return {HandlerReply::Then::kSend, select_thread(arguments)};
        case 'T':
            return {HandlerReply::Then::kSend, thread_alive(arguments)};
        case 'D':
            detach();
            return {HandlerReply::Then::kSendAndClose, std::string(kOk)};
        case 'k':
            target_.kill();
            return {HandlerReply::Then::kClose, {}};
        case 'q':
        case 'Q':
            return query(packet);
        case 'v':
            return v_packet(packet);
        default:
            return {};  // unknown: the empty reply
    }
}

HandlerReply CommandHandler::query(std::string_view packet) {
    auto send = [](std::string payload) {
        return HandlerReply{HandlerReply::Then::kSend, std::move(payload)};
    };
    if (packet.starts_with("qSupported")) {
        // PacketSize is hex. gdb sends its own features after ':'; none changes our answer.
        return send(
            fmt::format("PacketSize={:x};qXfer:features:read+;QStartNoAckMode+", kMaxPacketSize));
    }
    if (packet == "QStartNoAckMode") {
        HandlerReply reply = send(std::string(kOk));
        reply.stop_acks = true;
        return reply;
    }
    if (packet.starts_with("qXfer:features:read:")) {
        return send(features(packet.substr(std::string_view("qXfer:features:read:").size())));
    }
    if (packet == "qAttached" || packet.starts_with("qAttached:")) {
        return send("1");  // attached to a VM that runs on its own: quitting gdb detaches
    }
    if (packet == "qC") {
        return send("QC" + hex_number(last_stop_.vcpu + 1));
    }
    if (packet == "qfThreadInfo") {
        std::string list = "m";
        for (uint32_t vcpu = 0; vcpu < target_.vcpu_count(); ++vcpu) {
            list += (vcpu == 0 ? "" : ",") + hex_number(vcpu + 1);
        }
        return send(list);
    }
    if (packet == "qsThreadInfo") {
        return send("l");  // the whole list went in the first reply
    }
    if (packet.starts_with("qThreadExtraInfo,")) {
        const auto vcpu = parse_vcpu(packet.substr(std::string_view("qThreadExtraInfo,").size()));
        if (!vcpu) {
            return send(std::string(kBadRequest));
        }
        return send(text_to_hex(fmt::format("vCPU {}", *vcpu)));
    }
    return {};
}

HandlerReply CommandHandler::v_packet(std::string_view packet) {
    if (packet == "vCont?") {
        return {HandlerReply::Then::kSend, "vCont;c;C;s;S"};
    }
    if (packet.starts_with("vCont;")) {
        return v_cont(packet.substr(std::string_view("vCont;").size()));
    }
    if (packet.starts_with("vKill")) {
        target_.kill();
        return {HandlerReply::Then::kSendAndClose, std::string(kOk)};
    }
    return {};  // vMustReplyEmpty and everything else
}

void CommandHandler::on_stop(const StopEvent& stop) {
    if (!architecture_chosen_) {
        if (const auto registers = target_.read_registers(stop.vcpu)) {
            architecture_ = architecture_for(*registers);
        }
        architecture_chosen_ = true;
    }
    last_stop_ = stop;
    register_vcpu_ = stop.vcpu;
    resume_vcpu_.reset();
}

std::string CommandHandler::stop_reply() const {
    const int signal = last_stop_.cause == StopCause::kInterrupt ? kSigInt : kSigTrap;
    std::string reply = fmt::format("T{:02x}", signal);
    // A watchpoint's stop names its address, so gdb can say which one and show the new value.
    if (last_stop_.cause == StopCause::kBreakpoint && last_stop_.slot >= 0 &&
        last_stop_.slot < static_cast<int>(HwBreakpointSlots::kSlotCount)) {
        const auto& slot = slots_.slot(static_cast<size_t>(last_stop_.slot));
        if (slot && slot->kind != BreakpointKind::kExecute) {
            reply +=
                fmt::format("{}:{:x};", slot->kind == BreakpointKind::kWrite ? "watch" : "awatch",
                            slot->address);
        }
    }
    reply += fmt::format("thread:{:x};", last_stop_.vcpu + 1);
    return reply;
}

void CommandHandler::detach() {
    slots_.clear();
    target_.resume(DebugRegisters{}, std::nullopt);
}

std::string CommandHandler::read_registers() {
    const auto registers = target_.read_registers(register_vcpu_);
    if (!registers) {
        return std::string(kBadRequest);
    }
    return to_hex(layout().encode(*registers));
}

std::string CommandHandler::write_registers(std::string_view hex) {
    const auto bytes = from_hex(hex);
    if (!bytes || bytes->size() != layout().size()) {
        return std::string(kBadRequest);
    }
    // Read first: an i386 layout does not cover every byte of the register file.
    auto registers = target_.read_registers(register_vcpu_);
    if (!registers) {
        return std::string(kBadRequest);
    }
    layout().decode(*bytes, *registers);
    return std::string(target_.write_registers(register_vcpu_, *registers) ? kOk : kBadRequest);
}

std::string CommandHandler::read_register(std::string_view number_text) {
    const auto number = parse_hex_number(number_text);
    if (!number || *number >= layout().registers().size()) {
        return std::string(kBadRequest);
    }
    const auto registers = target_.read_registers(register_vcpu_);
    if (!registers) {
        return std::string(kBadRequest);
    }
    return to_hex(layout().encode(*registers, static_cast<size_t>(*number)));
}

std::string CommandHandler::write_register(std::string_view assignment) {
    const auto parts = split(assignment, '=');
    if (!parts) {
        return std::string(kBadRequest);
    }
    const auto number = parse_hex_number(parts->first);
    const auto value = from_hex(parts->second);
    const auto& packet_registers = layout().registers();
    if (!number || *number >= packet_registers.size() || !value ||
        value->size() != packet_registers[*number].info.bits / 8u) {
        return std::string(kBadRequest);
    }
    auto registers = target_.read_registers(register_vcpu_);
    if (!registers) {
        return std::string(kBadRequest);
    }
    layout().decode(*value, static_cast<size_t>(*number), *registers);
    return std::string(target_.write_registers(register_vcpu_, *registers) ? kOk : kBadRequest);
}

std::string CommandHandler::read_memory(std::string_view arguments) {
    const auto request = parse_address_length(arguments);
    if (!request) {
        return std::string(kBadRequest);
    }
    // A shorter reply than asked for is allowed; gdb asks again for the rest.
    std::vector<uint8_t> buffer(std::min<uint64_t>(request->length, kMaxMemoryChunk));
    if (buffer.empty()) {
        return {};
    }
    const size_t got = target_.read_memory(register_vcpu_, request->address, buffer);
    if (got == 0) {
        return std::string(kMemoryFault);
    }
    return to_hex(std::span(buffer).first(std::min(got, buffer.size())));
}

// M addr,length:hex-data and X addr,length:binary-data. X is M with the data
// as escaped binary, half the size on the wire; gdb probes for it with a
// zero-length write, which must answer OK.
std::string CommandHandler::write_memory(std::string_view arguments, bool binary) {
    const auto parts = split(arguments, ':');
    const auto request = parts ? parse_address_length(parts->first) : std::nullopt;
    if (!request || request->length > kMaxPacketSize) {
        return std::string(kBadRequest);
    }
    std::optional<std::vector<uint8_t>> data;
    if (binary) {
        if (const auto plain = unescape_binary(parts->second)) {
            data.emplace(plain->begin(), plain->end());
        }
    } else {
        data = from_hex(parts->second);
    }
    if (!data || data->size() != request->length) {
        return std::string(kBadRequest);
    }
    if (data->empty()) {
        return std::string(kOk);
    }
    return std::string(
        target_.write_memory(register_vcpu_, request->address, *data) ? kOk : kMemoryFault);
}

// Z/z type,address,kind[;conditions]. Types 0 and 1 (software and hardware
// breakpoints) both take a debug register; 2 and 4 are write and access
// watchpoints; 3 (read-only) does not exist on x86, so it stays unsupported.
std::string CommandHandler::breakpoint(std::string_view arguments, bool insert) {
    arguments = arguments.substr(0, arguments.find(';'));
    const auto type_rest = split(arguments, ',');
    const auto address_kind = type_rest ? split(type_rest->second, ',') : std::nullopt;
    if (!address_kind) {
        return std::string(kBadRequest);
    }
    const auto type = parse_hex_number(type_rest->first);
    const auto address = parse_hex_number(address_kind->first);
    const auto kind = parse_hex_number(address_kind->second);
    if (!type || !address || !kind) {
        return std::string(kBadRequest);
    }
    HwBreakpoint breakpoint{BreakpointKind::kExecute, *address, 1};
    switch (*type) {
        case 0:
        case 1:
            break;  // kind is the instruction size gdb would patch; a debug register needs none
        case 2:
        case 4:
            if (*kind > 8) {
                return std::string(kBadRequest);
            }
            breakpoint.kind = *type == 2 ? BreakpointKind::kWrite : BreakpointKind::kAccess;
            breakpoint.length = static_cast<uint8_t>(*kind);
            break;
        default:
            return {};
    }
    if (!insert) {
        slots_.remove(breakpoint);
        return std::string(kOk);
    }
    switch (slots_.insert(breakpoint)) {
        case HwBreakpointSlots::InsertResult::kInserted:
            return std::string(kOk);
        case HwBreakpointSlots::InsertResult::kFull:
            return std::string(kNoSlot);
        case HwBreakpointSlots::InsertResult::kUnsupported:
            return std::string(kBadRequest);
    }
    return std::string(kBadRequest);
}

// Thread ids are vCPU ids plus one (gdb reserves 0 for "any" and -1 for "all").
std::optional<uint32_t> CommandHandler::parse_vcpu(std::string_view thread) const {
    const auto id = parse_hex_number(thread);
    if (!id || *id == 0 || *id > target_.vcpu_count()) {
        return std::nullopt;
    }
    return static_cast<uint32_t>(*id - 1);
}

// Hg<thread> picks the vCPU for registers and memory, Hc<thread> the one to step.
std::string CommandHandler::select_thread(std::string_view arguments) {
    if (arguments.empty() || (arguments[0] != 'g' && arguments[0] != 'c')) {
        return std::string(kBadRequest);
    }
    const bool for_registers = arguments[0] == 'g';
    const std::string_view thread = arguments.substr(1);
    if (thread == "0" || thread == "-1") {
        // "any" or "all": registers come from the last stopped vCPU, steps go there too.
        if (for_registers) {
            register_vcpu_ = last_stop_.vcpu;
        } else {
            resume_vcpu_.reset();
        }
        return std::string(kOk);
    }
    const auto vcpu = parse_vcpu(thread);
    if (!vcpu) {
        return std::string(kBadRequest);
    }
    if (for_registers) {
        register_vcpu_ = *vcpu;
    } else {
        resume_vcpu_ = *vcpu;
    }
    return std::string(kOk);
}

std::string CommandHandler::thread_alive(std::string_view thread) {
    return std::string(parse_vcpu(thread) ? kOk : kBadRequest);
}

// qXfer:features:read:ANNEX:OFFSET,LENGTH. The reply is 'm' and a piece when
// more follows, 'l' and the last piece otherwise, as escaped binary.
std::string CommandHandler::features(std::string_view arguments) {
    const auto annex_range = split(arguments, ':');
    if (!annex_range) {
        return std::string(kBadRequest);
    }
    if (annex_range->first != "target.xml") {
        return "E00";  // the one document has no includes: any other name is unknown
    }
    const auto range = parse_address_length(annex_range->second);
    if (!range) {
        return std::string(kBadRequest);
    }
    const std::string_view xml = target_description_xml(architecture_);
    if (range->address >= xml.size()) {
        return "l";
    }
    // Escaping can double a byte: half the packet keeps any piece inside PacketSize.
    const uint64_t length = std::min<uint64_t>(range->length, kMaxPacketSize / 2);
    const std::string_view piece = xml.substr(range->address, length);
    const bool last = range->address + piece.size() >= xml.size();
    return (last ? "l" : "m") + escape_binary(piece);
}

uint32_t CommandHandler::step_target() const {
    return resume_vcpu_.value_or(last_stop_.vcpu);
}

HandlerReply CommandHandler::run(std::optional<uint32_t> step_vcpu) {
    target_.resume(slots_.debug_registers(), step_vcpu);
    return {HandlerReply::Then::kWaitForStop, {}};
}

// c[addr] / s[addr]: an address means "resume there" (set rip first).
HandlerReply CommandHandler::resume(std::string_view address_text, bool step) {
    const uint32_t vcpu = step_target();
    if (!address_text.empty()) {
        const auto address = parse_hex_number(address_text);
        auto registers = address ? target_.read_registers(vcpu) : std::nullopt;
        if (!registers) {
            return {HandlerReply::Then::kSend, std::string(kBadRequest)};
        }
        registers->set(Reg::kRip, *address);
        if (!target_.write_registers(vcpu, *registers)) {
            return {HandlerReply::Then::kSend, std::string(kBadRequest)};
        }
    }
    return run(step ? std::optional(vcpu) : std::nullopt);
}

// C sig[;addr] / S sig[;addr]: a bare-metal guest has no signals to deliver,
// so the signal is dropped and this is c / s.
HandlerReply CommandHandler::resume_with_signal(std::string_view arguments, bool step) {
    const auto parts = split(arguments, ';');
    const std::string_view signal = parts ? parts->first : arguments;
    if (!parse_hex_number(signal)) {
        return {HandlerReply::Then::kSend, std::string(kBadRequest)};
    }
    return resume(parts ? parts->second : std::string_view(), step);
}

// vCont;action[:thread][;action[:thread]]... In all-stop mode Berth does one
// thing: if any action steps, that vCPU steps alone (the others stay
// stopped, like gdb's `set scheduler-locking step`); otherwise all continue.
HandlerReply CommandHandler::v_cont(std::string_view actions) {
    if (actions.empty()) {
        return {HandlerReply::Then::kSend, std::string(kBadRequest)};
    }
    std::optional<uint32_t> step_vcpu;
    while (!actions.empty()) {
        const size_t end = actions.find(';');
        std::string_view action = actions.substr(0, end);
        actions = end == std::string_view::npos ? std::string_view() : actions.substr(end + 1);

        std::optional<uint32_t> vcpu;
        if (const auto colon = split(action, ':')) {
            action = colon->first;
            if (colon->second != "-1" && colon->second != "0") {
                vcpu = parse_vcpu(colon->second);
                if (!vcpu) {
                    return {HandlerReply::Then::kSend, std::string(kBadRequest)};
                }
            }
        }
        if (action.empty()) {
            return {HandlerReply::Then::kSend, std::string(kBadRequest)};
        }
        const char kind = action[0];
        if ((kind == 'C' || kind == 'S') && !parse_hex_number(action.substr(1))) {
            return {HandlerReply::Then::kSend, std::string(kBadRequest)};
        }
        if ((kind == 'c' || kind == 's') && action.size() != 1) {
            return {HandlerReply::Then::kSend, std::string(kBadRequest)};
        }
        if (kind == 's' || kind == 'S') {
            if (!step_vcpu) {
                step_vcpu = vcpu.value_or(step_target());
            }
        } else if (kind != 'c' && kind != 'C') {
            return {HandlerReply::Then::kSend, std::string(kBadRequest)};  // t, r: not in all-stop
        }
    }
    return run(step_vcpu);
}

}  // namespace berth::gdb
