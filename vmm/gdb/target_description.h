// The target description gdb reads with qXfer:features:read:target.xml
// (gdb's manual, "Target Descriptions"): the architecture and every
// register's name, size and type, in the order of the `g` packet. Without it
// gdb would guess a layout; with it, `info registers` shows what Berth sends.
#pragma once

#include <string>

namespace berth::gdb {

// One self-contained document (no xi:include), built once from the register table.
const std::string& target_description_xml();

}  // namespace berth::gdb
