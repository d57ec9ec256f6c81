#include "devices/virtio/net/tap.h"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "devices/virtio/net/net_header.h"
#include "vmm/common/error.h"

namespace berth::virtio {

namespace {

constexpr const char* kTunDevice = "/dev/net/tun";

// The kernel's dev_valid_name(): at most IFNAMSIZ - 1 bytes, not "." or
// "..", no '/', ':' or white space. Checked here so that the user hears what
// is wrong with the name instead of TUNSETIFF's bare EINVAL.
void check_name(const std::string& name) {
    if (name.empty()) {
        throw UserError("--net tap=NAME: the tap name is empty; give the name of a TAP interface");
    }
    if (name.size() >= IFNAMSIZ) {
        throw UserError(
            fmt::format("tap {}: the name is {} bytes long, but interface names have at most {}; "
                        "choose a shorter one",
                        name, name.size(), IFNAMSIZ - 1));
    }
    const bool bad_char = name.find_first_of("/: \t\n\r\v\f") != std::string::npos;
    if (name == "." || name == ".." || bad_char) {
        throw UserError(fmt::format(
            "tap {}: not a valid interface name (no '/', ':' or spaces); choose another one",
            name));
    }
}

// Asks the kernel, not /sys/class/net: sysfs shows the network namespace it
// was mounted in, which need not be Berth's (unshare --net without a new
// /sys, as the integration test does).
bool interface_exists(const std::string& name) {
    return ::if_nametoindex(name.c_str()) != 0;
}

// Sets IFF_UP on `name` through an ordinary socket, as `ip link set NAME up`
// does.
void bring_up(const std::string& name) {
    UniqueFd socket(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!socket.valid()) {
        throw UserError(
            fmt::format("tap {}: cannot bring it up (socket: {}); run `ip link set {} up`", name,
                        std::strerror(errno), name));
    }
    ifreq request{};
    std::memcpy(request.ifr_name, name.c_str(), name.size());  // check_name(): it fits
    if (::ioctl(socket.get(), SIOCGIFFLAGS, &request) < 0) {
        throw UserError(fmt::format("tap {}: cannot read its flags (SIOCGIFFLAGS: {})", name,
                                    std::strerror(errno)));
    }
    request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
    if (::ioctl(socket.get(), SIOCSIFFLAGS, &request) < 0) {
        throw UserError(
            fmt::format("tap {}: cannot bring it up (SIOCSIFFLAGS: {}); run `ip link "
                        "set {} up` as root",
                        name, std::strerror(errno), name));
    }
}

void set_offload_on(int fd, const std::string& name, unsigned tun_flags) {
    if (::ioctl(fd, TUNSETOFFLOAD, static_cast<unsigned long>(tun_flags)) < 0) {
        throw SystemError(fmt::format("TUNSETOFFLOAD on tap {}", name), errno);
    }
}

}  // namespace

Tap Tap::open(const std::string& name) {
    check_name(name);
    const bool existed = interface_exists(name);

    UniqueFd fd(::open(kTunDevice, O_RDWR | O_NONBLOCK | O_CLOEXEC));
    if (!fd.valid()) {
        const int error = errno;
        if (error == ENOENT || error == ENODEV || error == ENXIO) {
            throw UserError(fmt::format(
                "tap {}: {} does not exist: load the tun module (modprobe tun)", name, kTunDevice));
        }
        if (error == EACCES || error == EPERM) {
            throw UserError(fmt::format(
                "tap {}: no permission to open {}: run as root, or give your user access to it",
                name, kTunDevice));
        }
        throw UserError(
            fmt::format("tap {}: cannot open {}: {}", name, kTunDevice, std::strerror(error)));
    }

    // Without IFF_VNET_HDR the guest's checksum and segmentation offloads
    // could not pass through; every kernel since 2.6.27 has it.
    unsigned features = 0;
    if (::ioctl(fd.get(), TUNGETFEATURES, &features) < 0 || (features & IFF_VNET_HDR) == 0) {
        throw UserError(fmt::format(
            "tap {}: this kernel's tun driver lacks IFF_VNET_HDR, which Berth needs", name));
    }

    ifreq request{};
    std::memcpy(request.ifr_name, name.c_str(), name.size());  // check_name(): it fits
    request.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    if (::ioctl(fd.get(), TUNSETIFF, &request) < 0) {
        const int error = errno;
        if (error == EPERM) {
            throw UserError(
                fmt::format("tap {}: no permission to {} it: run as root or create it first: "
                            "ip tuntap add {} mode tap user $USER",
                            name, existed ? "attach to" : "create", name));
        }
        if (error == EBUSY) {
            throw UserError(fmt::format(
                "tap {}: in use by another process; stop that one or choose another tap", name));
        }
        if (error == EINVAL && existed) {
            throw UserError(fmt::format(
                "tap {}: exists but is not a single-queue TAP interface; delete it or create one "
                "with: ip tuntap add NAME mode tap",
                name));
        }
        throw UserError(fmt::format("tap {}: TUNSETIFF failed: {}", name, std::strerror(error)));
    }

    int header_size = kNetHeaderSize;
    if (::ioctl(fd.get(), TUNSETVNETHDRSZ, &header_size) < 0) {
        throw UserError(
            fmt::format("tap {}: cannot set the virtio-net header size (TUNSETVNETHDRSZ: {})", name,
                        std::strerror(errno)));
    }
    // No offloads until the guest's driver says which it accepts.
    try {
        set_offload_on(fd.get(), name, 0);
    } catch (const SystemError& error) {
        throw UserError(fmt::format("tap {}: {}", name, error.what()));
    }

    const bool created = !existed;
    if (created) {
        bring_up(name);  // the fd closes, and the interface goes, if this throws
    }
    return Tap(std::move(fd), name, created);
}

void Tap::set_offload(unsigned tun_flags) const {
    set_offload_on(fd_.get(), name_, tun_flags);
}

PacketBackend Tap::into_backend() && {
    PacketBackend backend;
    // The callback names the fd by number: it lives in the same
    // PacketBackend as the UniqueFd that owns the fd, so the number stays
    // valid as long as anyone can call it.
    backend.set_offload = [fd = fd_.get(), name = name_](unsigned tun_flags) {
        set_offload_on(fd, name, tun_flags);
    };
    backend.fd = std::move(fd_);
    backend.name = name_;
    return backend;
}

}  // namespace berth::virtio
