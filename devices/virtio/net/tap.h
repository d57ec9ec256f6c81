// A TAP interface opened for virtio-net (Linux's
// Documentation/networking/tuntap.rst): a virtual Ethernet link whose other
// end is this file descriptor. Opened with IFF_TAP | IFF_NO_PI |
// IFF_VNET_HDR, a 12-byte virtio-net header (TUNSETVNETHDRSZ, see
// net_header.h) and O_NONBLOCK, so that each read() returns one frame with the
// virtio 1.x header in front and each write() sends one: the "packet fd" that
// VirtioNet expects (packet_backend.h).
#pragma once

#include <string>

#include "devices/virtio/net/packet_backend.h"
#include "vmm/common/unique_fd.h"

namespace berth::virtio {

class Tap {
public:
    // Attaches to the TAP interface `name`, or creates it when there is none
    // and the process has CAP_NET_ADMIN. One Berth created is brought up
    // (IFF_UP), so the host only has to give it an address, and disappears
    // when the fd is closed; an existing one is left as its owner set it.
    // Throws UserError, with one line naming the tap, the problem and the
    // fix, for everything that can go wrong (no /dev/net/tun, no permission,
    // a bad name, an interface in use or of another kind).
    static Tap open(const std::string& name);

    Tap(Tap&&) noexcept = default;
    Tap& operator=(Tap&&) noexcept = default;
    Tap(const Tap&) = delete;
    Tap& operator=(const Tap&) = delete;

    const std::string& name() const { return name_; }
    int fd() const { return fd_.get(); }
    // Whether open() created the interface (rather than attaching to one).
    bool created() const { return created_; }

    // TUNSETOFFLOAD: which offloads (TUN_F_CSUM, TUN_F_TSO4, TUN_F_TSO6,
    // TUN_F_TSO_ECN) the reader of this fd accepts in the frames it reads.
    // Throws SystemError when the kernel refuses.
    void set_offload(unsigned tun_flags) const;

    // Gives up the fd to a PacketBackend whose set_offload calls
    // TUNSETOFFLOAD on it.
    PacketBackend into_backend() &&;

private:
    Tap(UniqueFd fd, std::string name, bool created)
        : fd_(std::move(fd)), name_(std::move(name)), created_(created) {}

    UniqueFd fd_;
    std::string name_;
    bool created_ = false;
};

}  // namespace berth::virtio
