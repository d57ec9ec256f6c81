// The OCI bundle a container run starts from: guest/build-workload's
// config.json (the one spec, shared with anyone running the bundle by hand),
// adapted per run: an absolute root path, so that the bundle can live in the
// bench's output folder, and the run's cgroup.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace berth::bench {

// `config` with its root "path": "../rootfs" replaced by `rootfs` (absolute)
// and, when given, "cgroupsPath" added to "linux". Throws UserError when the
// text is not the config.json guest/build-workload writes.
std::string adapt_oci_config(std::string_view config, std::string_view rootfs,
                             const std::optional<std::string>& cgroups_path);

// Whether `/` is the initial ramfs (an initramfs the kernel never left, as
// in scripts/kvm-sandbox), judged from /proc/mounts text: pivot_root(2)
// cannot move away from it, so runc and crun need --no-pivot there.
bool root_is_initramfs(std::string_view proc_mounts);

}  // namespace berth::bench
