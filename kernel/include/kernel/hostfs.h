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

/* Whether hostfs reaches host files with the host's own confined calls:
 * openat2 (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)
 * for every directory and fchmodat2 for chmod of a file only O_PATH opens.
 * false on an older host: directories are then walked one name at a time
 * with O_NOFOLLOW and checked, and such a chmod goes through
 * /proc/self/fd, which holds against symlink swaps too but rests on
 * hostfs's own checks and on the host's /proc. Probed once, on the first
 * call (hostfs_mount calls it, before any confinement is put up). */
bool hostfs_race_free(void);

#endif
