// The commands of the GDB Remote Serial Protocol that Berth answers, each
// turned into calls on a DebugTarget (gdb's manual, "Packets"). One handler
// serves one connected gdb; it keeps what the protocol makes stateful: the
// threads selected with H, the hardware breakpoint slots, the last stop.
//
// Input is a packet's payload exactly as received. Every number, length and
// thread id in it is checked; anything malformed answers an error, and a
// command Berth does not know answers the empty packet, which tells gdb
// "not supported" so it falls back to something else.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "vmm/gdb/debug_target.h"
#include "vmm/gdb/hw_breakpoints.h"
#include "vmm/gdb/packet_layout.h"

namespace berth::gdb {

struct HandlerReply {
    enum class Then {
        kSend,          // send `payload` and wait for the next packet
        kWaitForStop,   // the VM runs: the next thing to send is a stop reply
        kSendAndClose,  // send `payload`, then end the connection (D)
        kClose,         // end the connection without a reply (k)
    };
    Then then = Then::kSend;
    std::string payload;
    bool stop_acks = false;  // QStartNoAckMode: neither side sends + or - after this reply
};

class CommandHandler {
public:
    explicit CommandHandler(DebugTarget& target) : target_(target) {}

    HandlerReply handle(std::string_view packet);

    // The VM has stopped: remembered for `?`, and its vCPU becomes the
    // selected thread, as gdb assumes. The first stop also fixes the
    // architecture described to gdb, from that vCPU's mode (packet_layout.h).
    void on_stop(const StopEvent& stop);
    TargetArchitecture architecture() const { return architecture_; }
    // T05thread:1; and the like, for the last stop.
    std::string stop_reply() const;

    // The connection ended without D (gdb killed, network gone): remove the
    // breakpoints and let the VM run. The VM must be stopped.
    void detach();

private:
    HandlerReply query(std::string_view packet);
    HandlerReply v_packet(std::string_view packet);
    std::string read_registers();
    std::string write_registers(std::string_view hex);
    std::string read_register(std::string_view number);
    std::string write_register(std::string_view assignment);
    std::string read_memory(std::string_view arguments);
    std::string write_memory(std::string_view arguments, bool binary);
    std::string breakpoint(std::string_view arguments, bool insert);
    std::string select_thread(std::string_view arguments);
    std::string thread_alive(std::string_view thread);
    std::string features(std::string_view arguments);
    HandlerReply resume(std::string_view address, bool step);
    HandlerReply resume_with_signal(std::string_view arguments, bool step);
    HandlerReply v_cont(std::string_view actions);
    HandlerReply run(std::optional<uint32_t> step_vcpu);
    std::optional<uint32_t> parse_vcpu(std::string_view thread) const;
    uint32_t step_target() const;

    const PacketLayout& layout() const { return packet_layout(architecture_); }

    DebugTarget& target_;
    TargetArchitecture architecture_ = TargetArchitecture::kAmd64;
    bool architecture_chosen_ = false;
    HwBreakpointSlots slots_;
    StopEvent last_stop_;
    uint32_t register_vcpu_ = 0;           // Hg: for g, G, p, P, m, M, X
    std::optional<uint32_t> resume_vcpu_;  // Hc: the vCPU `s` steps; empty: the last stopped
};

}  // namespace berth::gdb
