// Where virtio-net's frames go to and come from, seen as a "packet fd": each
// read() returns one frame with its 12-byte virtio-net header in front
// (net_header.h), each write() sends one. A TAP interface opened with
// IFF_VNET_HDR is one (tap.h); a SOCK_SEQPACKET socket is another, which is
// how the unit tests stand in for a tap.
#pragma once

#include <functional>
#include <string>

#include "vmm/common/unique_fd.h"

namespace berth::virtio {

struct PacketBackend {
    UniqueFd fd;
    // Tells the backend which offloads the guest accepts (TUN_F_* flags, see
    // tun_offload_flags()); called from VirtioDevice::activate(). May throw
    // (the device then refuses to start); may be empty when the backend has
    // nothing to set.
    std::function<void(unsigned tun_flags)> set_offload;
    // Names the backend in log lines ("tap0"), so that the lines of several
    // network devices can be told apart. May be empty.
    std::string name;
};

}  // namespace berth::virtio
