/* The kernel library's boot interface (libabik.so). abi_boot brings up a
 * fresh kernel; abi_reset tears it down completely (every guest mapping, every
 * kernel allocation), so the next abi_boot starts from nothing. */
#ifndef ABI_BOOT_H
#define ABI_BOOT_H

#include <abi/types.h>

/* abi_boot_args.flags */
#define ABI_BOOT_HOST_CREDS 0x1  /* run as the host process's uid/gid (differential tests) */
#define ABI_BOOT_WARN_ENOSYS 0x2 /* log the first call of each missing syscall */
/* The platform has reserved [guest_base, guest_base + guest_size) itself
 * (abi-run: Linux's whole user range, less its own region, the hole). */
#define ABI_BOOT_GUEST_RESERVED 0x4
/* The platform installs its own fault handlers right after the boot
 * (abi-run's trap.c): the library's (plat_fault_install) are not set. */
#define ABI_BOOT_OWN_FAULTS 0x8

struct abi_boot_args {
	u32 size;          /* sizeof(struct abi_boot_args), for later extension */
	u32 flags;         /* ABI_BOOT_* */
	u32 uid, gid;      /* credentials unless ABI_BOOT_HOST_CREDS (default 1000/1000) */
	u32 umask;         /* default 022 */
	u32 nofile;        /* RLIMIT_NOFILE soft limit (default 1024) */
	u64 guest_base;    /* where to reserve guest memory (a hint; 0: default) */
	u64 guest_size;    /* bytes of guest address space (0: 64 GiB) */
	char release[65];  /* uname's release ("": ABI_DEFAULT_RELEASE) */
	char nodename[65]; /* uname's nodename ("": "abi") */
	/* The program's argv and envp for /proc/self/cmdline, environ and
	 * comm: NULL-terminated arrays of strings, copied at boot (0: none). */
	u64 argv, envp;
	/* Inside the guest range, the platform's own memory, never the guest's
	 * (abi-run's region; 0 size: none). */
	u64 hole_base, hole_size;
	/* The program's personality(2), inherited as across an exec (abi-run
	 * passes its own: `setarch -R abi-run ...` runs with ADDR_NO_RANDOMIZE). */
	u32 personality;
	u32 reserved0;
	/* The host's vm.mmap_min_addr, which a program's mmap obeys as on
	 * Linux: hints rise to it, MAP_FIXED below it is EPERM without
	 * CAP_SYS_RAWIO (0: none; abi-run reads the host's). */
	u64 mmap_min_addr;
};

#define ABI_DEFAULT_RELEASE "6.1.0-abi"

/* Boots a kernel (resetting a running one first). args may be NULL for the
 * defaults. 0 or -errno. */
int abi_boot(const struct abi_boot_args *args);
void abi_reset(void);

/* Bytes of kernel heap the last abi_reset found still allocated after
 * tearing everything down: a reference-count leak when not 0. */
size_t abi_reset_leaked(void);

/* The guest range, for the emulator and tests: [*base, *base + *size). */
void abi_guest_range(u64 *base, u64 *size);

/* Mounts the host directory host_dir at guest_path (an existing guest
 * directory, or "/" to make it the root) through hostfs, read-only when
 * read_only is not 0. 0 or -errno. See kernel/include/kernel/hostfs.h. */
int abi_mount_host(const char *host_dir, const char *guest_path, int read_only);

/* Where the program an execve or execveat (that returned 0) loaded starts:
 * 1 with the entry point and the initial stack pointer (at argc), once per
 * exec; 0 when no exec has happened since the last call. The platform
 * resumes the calling thread there in the psABI's process entry state (the
 * hosted abi-run: its SIGSYS handler rewrites the registers). The library
 * platform cannot replace its caller, the Python process: there the new
 * program's image and stack are in the guest range and this call is how
 * the caller learns of them. */
int abi_exec_entry(u64 *entry, u64 *sp);

#endif
