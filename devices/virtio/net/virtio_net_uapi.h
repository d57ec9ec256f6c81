// <linux/virtio_net.h> for C++: the uapi header is C, and one of its structs
// (virtio_net_ctrl_hdr, for the control queue Berth does not implement) has
// a member named `class`, a C++ keyword. The macro renames that member while
// the header is read, and nothing else: no other identifier in the header is
// spelled `class`. Include this instead of <linux/virtio_net.h>.
#pragma once

#define class class_
#include <linux/virtio_net.h>
#undef class
