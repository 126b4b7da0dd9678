/* Open files and the descriptor table. */
#ifndef KERNEL_FD_H
#define KERNEL_FD_H

#include <abi/types.h>
#include <kernel/lock.h>
#include <kernel/vfs.h>

struct file {
	int refcnt;
	u32 flags; /* O_ACCMODE | status flags (O_APPEND, O_NONBLOCK, ...) */
	s64 pos;
	struct kmutex pos_lock;
	struct path path;
	struct inode *inode;
	const struct file_ops *ops;
	void *priv;
	struct file *dead_next; /* on kernel_mm.dead_files: fput after the map lock */
	u64 cred_gen;           /* current_proc.cred_gen when opened (Linux's f_cred) */
	/* fcntl's records (fd/fcntl.c): F_SETOWN/F_SETOWN_EX, F_SETSIG and
	 * F_NOTIFY are kept and reported; no SIGIO or dnotify signal is sent. */
	struct fown {
		s32 pid; /* 0: none */
		u8 type; /* F_OWNER_TID (the zero state), _PID or _PGRP */
		s32 signum;
		u32 uid, euid; /* who set a non-zero owner (F_GETOWNER_UIDS) */
	} owner;
	u32 dnotify;  /* F_NOTIFY's mask */
	bool created; /* this open made the file (F_CREATED_QUERY) */
	bool counted; /* in its inode's writecount or readcount */
};

/* Creates an open file on path (references taken). */
struct file *file_open_path(const struct path *p, u32 flags);
struct file *fget_raw(struct file *f);
/* The kernel's own file access (Linux's filp_open, kernel_read and
 * kernel_write): kernel strings and buffers, never guest memory, with the
 * checks of open(2), read(2) and write(2). filp_open resolves name against
 * the cwd; do_filp_open against dfd, with openat2's LOOKUP_* restrictions
 * and flags already masked. Both give the file (a reference) in *out and
 * return 0, or -errno. kernel_read and kernel_write return the bytes moved
 * or -errno; pos NULL uses and moves the file position, else *pos moves. */
long filp_open(const char *name, int flags, umode_t mode, struct file **out);
long do_filp_open(int dfd, const char *name, u32 flags, u32 mode, unsigned lookup,
		  struct file **out);
long kernel_read(struct file *f, void *buf, size_t count, s64 *pos);
long kernel_write(struct file *f, const void *buf, size_t count, s64 *pos);

/* Drops a reference; never call it with vfs_lock held. */
void fput(struct file *f);
/* Linux's FMODE bits: access mode 3 opens for neither reading nor writing. */
static inline bool file_readable(const struct file *f)
{
	return (f->flags & O_PATH) == 0 && ((f->flags + 1) & 1);
}
static inline bool file_writable(const struct file *f)
{
	return (f->flags & O_PATH) == 0 && ((f->flags + 1) & 2);
}

struct fdtable {
	struct kmutex lock;
	struct file **files;
	u8 *cloexec;
	unsigned int size;
};

/* The file behind fd, referenced, or NULL (EBADF). O_PATH files included. */
struct file *fget(int fd);
/* fget for calls that act on the open file: an O_PATH file is NULL (EBADF)
 * too, as Linux's fdget sees it. Not with vfs_lock held (it may fput). */
struct file *fget_no_path(int fd);
/* The path of fd's file, referenced: for *at walks, which run under vfs_lock
 * and so must not fput (fput's last release takes vfs_lock). */
long fd_path(int fd, struct path *out);
/* The file at fd without a reference, or NULL; only while vfs_lock is held,
 * which keeps it alive (a last fput waits for vfs_lock before freeing). */
struct file *fd_peek(int fd);
/* The number of slots in the descriptor table (procfs's FDSize). */
unsigned int fd_table_size(void);
/* Installs f at the lowest free fd >= minfd below RLIMIT_NOFILE; takes over
 * the caller's reference on success. Returns the fd or -EMFILE. */
long fd_install(struct file *f, unsigned int minfd, bool cloexec);
/* Takes the lowest free fd >= minfd for a file still being opened (as Linux
 * does before the path walk, so EMFILE wins over ENOENT); then fd_commit or
 * fd_unreserve. */
long fd_reserve(unsigned int minfd, bool cloexec);
void fd_commit(unsigned int fd, struct file *f);
void fd_unreserve(unsigned int fd);
/* Puts f at fd, closing what was there (dup2/dup3). */
long fd_replace(unsigned int fd, struct file *f, bool cloexec);
/* Detaches fd and returns its file (the caller puts it), or NULL. */
struct file *fd_detach(unsigned int fd);
long fd_get_cloexec(unsigned int fd);
long fd_set_cloexec(unsigned int fd, bool on);
/* Closes one descriptor of f: drops the process's POSIX locks on its inode
 * (Linux's filp_close), then the descriptor's reference. */
void filp_close(struct file *f);
/* fs/locks.c. locks_remove_file drops what f owns (its flock lock, OFD
 * locks, lease) at its last fput; locks_remove_posix the process's record
 * locks on f's inode; locks_reset forgets everything (abi_reset). */
void locks_remove_file(struct file *f);
void locks_remove_posix(struct file *f);
void locks_reset(void);
/* fcntl's lock and lease commands (fs/locks.c) and seals (mm/memfd.c). */
long fcntl_getlk(struct file *f, unsigned int cmd, uptr arg);
long fcntl_setlk(unsigned int fd, struct file *f, unsigned int cmd, uptr arg);
long fcntl_getlease(struct file *f);
long fcntl_setlease(struct file *f, unsigned long arg);
long memfd_fcntl(struct file *f, unsigned int cmd, unsigned long arg);
void fdtable_init(struct fdtable *t);
void fdtable_destroy(struct fdtable *t);

#endif
