// The device options of `berth run`, parsed into VmConfig entries:
//
//   --disk PATH[,ro][,serial=ID][,direct=on|off]   (repeatable)
//   --net tap=NAME[,mac=XX:XX:XX:XX:XX:XX]          (repeatable)
//   --console serial|virtio
//
// Comma-separated key[=value] lists, as in QEMU and kvmtool. Each parser
// throws UserError with one line naming the option, the bad part and what
// would be accepted; nothing is opened here (the image and the tap are
// checked when the VM's inputs are validated).
#pragma once

#include <string_view>

#include "vmm/vm_config.h"

namespace berth::cli {

DiskConfig parse_disk_option(std::string_view text);
NetConfig parse_net_option(std::string_view text);
ConsoleKind parse_console_option(std::string_view text);

}  // namespace berth::cli
