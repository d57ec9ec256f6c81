// The target description gdb reads with qXfer:features:read:target.xml
// (gdb's manual, "Target Descriptions"): the architecture and every
// register's name, size and type, in the order of the `g` packet. Without it
// gdb would guess a layout; with it, `info registers` shows what Berth sends.
#pragma once

#include <string>

#include "vmm/gdb/packet_layout.h"

namespace berth::gdb {

// One self-contained document (no xi:include) per architecture, built once
// from its packet layout.
const std::string& target_description_xml(TargetArchitecture architecture);

}  // namespace berth::gdb
