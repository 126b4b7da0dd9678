/* hostfs: a host directory exposed at a guest path, confined to it. */
#ifndef KERNEL_HOSTFS_H
#define KERNEL_HOSTFS_H

#include <abi/types.h>

/* Mounts the host directory host_dir (a host path, opened as given) at
 * guest_path, which must be an existing guest directory, or "/" to make the
 * host directory the root (the mounts directly on the old root, /dev and
 * /proc, move onto the same names in the new root where those exist as
 * directories). read_only gives EROFS for every modification. Takes
 * vfs_lock itself. Returns 0 or -errno. */
long hostfs_mount(const char *host_dir, const char *guest_path, bool read_only);

#endif
