/* Linux ABI facts the generated flags.h does not carry: special values,
 * file types and the layouts of structs the syscalls copy in and out
 * (x86_64's, the kernel's internal ABI). */
#ifndef KERNEL_LINUX_H
#define KERNEL_LINUX_H

#include <abi/types.h>
#include <abi/errno.h>
#include <abi/flags.h>

#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define PAGE_ALIGN(x) (((x) + PAGE_SIZE - 1) & PAGE_MASK)

#define MAX_ERRNO 4095
#define IS_ERR_VALUE(x) ((unsigned long)(x) >= (unsigned long)-MAX_ERRNO)

/* The most one read or write moves (INT_MAX rounded down to a page), and
 * the largest file offset (linux/fs.h). */
#define MAX_RW_COUNT (0x7fffffffUL & PAGE_MASK)
#define MAX_LFS_FILESIZE ((loff_t)0x7fffffffffffffffLL)

/* Not in the generated flags.h (the prot flag set has no zero entry). */
#ifndef PROT_NONE
#define PROT_NONE 0x0
#endif

/* Values the table does not carry yet (reported to the table's owner). */
#define UTIME_NOW ((1L << 30) - 1L)
#define UTIME_OMIT ((1L << 30) - 2L)
#define STATX_MNT_ID_UNIQUE 0x4000U
#define STATX__RESERVED 0x80000000U
#define RWF_NOAPPEND 0x20
#define RWF_ATOMIC 0x40
#define RWF_DONTCACHE 0x80
#define RWF_NOSIGNAL 0x100
#define IOV_MAX 1024

#define AT_FDCWD (-100)
#define AT_STATX_SYNC_TYPE_MASK 0x6000
#define O_ACCMODE 3
#define MAP_TYPE 0x0f

#define PATH_MAX 4096
#define NAME_MAX 255
#define MAXSYMLINKS 40

#define S_IFMT 0170000 /* the file types (S_IFREG, ...) are flags.yaml's file_type */
#define S_ISUID 04000
#define S_ISGID 02000
#define S_ISVTX 01000
#define S_IALLUGO 07777
#define S_ISREG(m) (((m)&S_IFMT) == S_IFREG)
#define S_ISDIR(m) (((m)&S_IFMT) == S_IFDIR)
#define S_ISLNK(m) (((m)&S_IFMT) == S_IFLNK)
#define S_ISCHR(m) (((m)&S_IFMT) == S_IFCHR)
#define S_ISBLK(m) (((m)&S_IFMT) == S_IFBLK)
#define S_ISFIFO(m) (((m)&S_IFMT) == S_IFIFO)
#define S_ISSOCK(m) (((m)&S_IFMT) == S_IFSOCK)

#define DT_UNKNOWN 0
#define DT_FIFO 1
#define DT_CHR 2
#define DT_DIR 4
#define DT_BLK 6
#define DT_REG 8
#define DT_LNK 10
#define DT_SOCK 12

#define RLIM_INFINITY (~0UL)
#define RLIM_NLIMITS 16

struct linux_timespec {
	s64 tv_sec;
	s64 tv_nsec;
};

struct linux_rlimit {
	u64 rlim_cur;
	u64 rlim_max;
};

struct linux_iovec {
	u64 iov_base;
	u64 iov_len;
};

/* struct stat as x86_64's stat/fstat/lstat/newfstatat write it. */
struct linux_stat {
	u64 st_dev;
	u64 st_ino;
	u64 st_nlink;
	u32 st_mode;
	u32 st_uid;
	u32 st_gid;
	u32 __pad0;
	u64 st_rdev;
	s64 st_size;
	s64 st_blksize;
	s64 st_blocks;
	u64 st_atime_sec;
	u64 st_atime_nsec;
	u64 st_mtime_sec;
	u64 st_mtime_nsec;
	u64 st_ctime_sec;
	u64 st_ctime_nsec;
	s64 __unused[3];
};
_Static_assert(sizeof(struct linux_stat) == 144, "x86_64 struct stat is 144 bytes");

struct linux_timeval {
	s64 tv_sec;
	s64 tv_usec;
};

struct linux_statx_timestamp {
	s64 tv_sec;
	u32 tv_nsec;
	s32 __reserved;
};

/* struct statx, 256 bytes. */
struct linux_statx {
	u32 stx_mask;
	u32 stx_blksize;
	u64 stx_attributes;
	u32 stx_nlink;
	u32 stx_uid;
	u32 stx_gid;
	u16 stx_mode;
	u16 __spare0;
	u64 stx_ino;
	u64 stx_size;
	u64 stx_blocks;
	u64 stx_attributes_mask;
	struct linux_statx_timestamp stx_atime, stx_btime, stx_ctime, stx_mtime;
	u32 stx_rdev_major;
	u32 stx_rdev_minor;
	u32 stx_dev_major;
	u32 stx_dev_minor;
	u64 stx_mnt_id;
	u32 stx_dio_mem_align;
	u32 stx_dio_offset_align;
	u64 __spare3[12];
};
_Static_assert(sizeof(struct linux_statx) == 256, "struct statx is 256 bytes");

/* struct linux_dirent64 header; d_name follows, NUL-terminated, and the
 * record is padded to 8 bytes. */
struct linux_dirent64 {
	u64 d_ino;
	s64 d_off;
	u16 d_reclen;
	u8 d_type;
	char d_name[];
};

/* struct statfs of x86_64 (and aarch64): statfs(2), fstatfs(2). */
struct linux_statfs {
	s64 f_type, f_bsize;
	u64 f_blocks, f_bfree, f_bavail, f_files, f_ffree;
	s32 f_fsid[2];
	s64 f_namelen, f_frsize, f_flags;
	s64 f_spare[4];
};

/* fcntl(2)'s structs and values (fd/fcntl.c, fs/locks.c, mm/memfd.c). */
struct linux_flock {
	short l_type; /* F_RDLCK, F_WRLCK, F_UNLCK */
	short l_whence;
	s64 l_start;
	s64 l_len;
	s32 l_pid;
};
_Static_assert(sizeof(struct linux_flock) == 32, "x86_64 struct flock is 32 bytes");
#define F_RDLCK 0
#define F_WRLCK 1
#define F_UNLCK 2
#define OFFSET_MAX 0x7fffffffffffffffLL

struct linux_f_owner_ex {
	s32 type; /* F_OWNER_* */
	s32 pid;
};
#define F_OWNER_TID 0
#define F_OWNER_PID 1
#define F_OWNER_PGRP 2

#define F_SEAL_SEAL 0x0001
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW 0x0004
#define F_SEAL_WRITE 0x0008
#define F_SEAL_FUTURE_WRITE 0x0010
#define F_SEAL_EXEC 0x0020

#define DN_MULTISHOT 0x80000000U

/* siginfo_t (128 bytes): signo, errno, code, then a union whose members
 * the kernel fills as Linux's copy_siginfo_to_user does: kill/tkill
 * (pid, uid), queue and timers (pid/uid or tid/overrun, then the value),
 * faults (the address at 16), SIGCHLD (pid, uid, status, utime, stime). */
struct linux_siginfo {
	s32 si_signo, si_errno, si_code, pad0;
	union {
		struct {
			s32 pid;
			u32 uid;
			u64 value; /* sigval, for rt_sigqueueinfo and timers */
		} kill;
		struct {
			s32 tid, overrun;
			u64 value;
			s32 sys_private; /* the kernel's: the arming it is for; 0 to the guest */
		} timer;
		struct {
			u64 addr;
			u16 addr_lsb;
		} fault;
		u8 bytes[112];
	};
};
_Static_assert(sizeof(struct linux_siginfo) == 128, "siginfo_t is 128 bytes");

/* stack_t, as sigaltstack and uc_stack have it. */
struct linux_stack_t {
	u64 ss_sp;
	s32 ss_flags, pad;
	u64 ss_size;
};
_Static_assert(sizeof(struct linux_stack_t) == 24, "stack_t is 24 bytes");

#endif
