/* hostfs's own header: what its files share. hostfs puts a host directory
 * at a guest path, read-write or read-only (kernel/include/kernel/hostfs.h
 * is the interface to the rest of the kernel). The files, by concern:
 *   super.c   the superblock and mounting (hostfs_mount, abi_mount_host)
 *   host.c    confined host access: directory descriptors reached by a walk
 *             that cannot leave the mount, the cache of them, descriptors
 *             of a file
 *   inode.c   inodes and their aliases, lookup and revalidation, attributes
 *   dir.c     namespace changes, readlink and readdir
 *   file.c    open files: read, write, seek, fsync, mmap; truncate and
 *             fallocate
 *   xattr.c   extended attributes
 * Every function runs with vfs_lock held, as the VFS calls it. */
#ifndef KERNEL_FS_HOSTFS_INTERNAL_H
#define KERNEL_FS_HOSTFS_INTERNAL_H

#include <kernel/fd.h>
#include <kernel/kmalloc.h>
#include <kernel/vfs.h>
#include "../../plat/plat.h"
#include "../../plat/plat_hostfile.h"

#define BOUNCE_SIZE 16384 /* bytes of host getdents64 per call (read and write: file.c) */

struct hostfs_sb {
	int rootfd;          /* O_PATH fd of the host directory */
	struct dentry *root; /* the mount's root dentry (not referenced) */
	struct list open;    /* regular-file inodes with open files (hostfs_inode.open) */
};

struct hostfs_inode {
	struct dentry *alias;  /* the dentry of this inode, once known */
	struct dentry *parent; /* where lookup found it, to find the alias */
	struct list files;     /* open hostfs files on this inode */
	int tmpfd;             /* O_TMPFILE: the host's O_RDWR fd of the nameless file, or -1 */
	struct list open;      /* in hostfs_sb.open while files is not empty */
	struct inode *inode;   /* the inode this is the private part of */
	/* The walk (vfs_walk_gen) that passed this name under an open intent
	 * without asking the host: the open checks it, or anything else that
	 * needs the host directory first (hostfs_host_dir). */
	u64 pending;
};

struct hostfs_file {
	int fd; /* the host descriptor */
	bool writable;
	bool append; /* the host description's O_APPEND (the file's may change: F_SETFL) */
	/* A directory: where hostfs_iterate left the host fd (its position
	 * moves only there; a new fd is at 0), so a listing resumed there needs
	 * no lseek, and whether the host said that was the end. */
	s64 dirpos;
	bool dirpos_unknown;
	bool at_end;
	struct list link;
};

static inline struct hostfs_sb *HSB(const struct inode *ino)
{
	return ino->sb->priv;
}
static inline struct hostfs_inode *HI(const struct inode *ino)
{
	return ino->priv;
}

/* --- host.c: confined host access --------------------------------------- */

/* The host directory of dir (a dentry of this mount), its cached fd or
 * reached by a confined walk from the nearest cached ancestor; release it
 * with hostfs_host_put. -ENOENT when dir or an ancestor was removed or is
 * another directory now. */
long hostfs_host_dir(struct hostfs_sb *hs, struct dentry *dir, int *out);
/* The host directory holding d (d->name is its name there). */
long hostfs_host_parent(struct dentry *d, int *dfd);
void hostfs_host_put(struct hostfs_sb *hs, int fd);
/* Whether d's name was passed by this open's walk unchecked (pending). */
bool hostfs_pending(const struct dentry *d);
/* The open intent's one host call: opens name in dir by the names from
 * the nearest dentry the walk did not leave unchecked, in one openat2
 * (openat for a single name). *chained: names other than name were in
 * the path, so an error may come of a stale one. */
long hostfs_intent_open(struct dentry *dir, const char *name, int flags, bool *chained);
/* A descriptor the open intent's lookup opened for the open that follows
 * (kept for ino, with the host flags it was opened with). */
void hostfs_stash(struct inode *ino, int fd, int flags);
/* The stash's fd when it is ino's and was opened with flags (masked by
 * HOSTFS_OPEN_FLAGS), else -1 (and a stash for another inode is closed). */
int hostfs_unstash(struct inode *ino, int flags);
void hostfs_stash_drop(const struct inode *ino);
#define HOSTFS_OPEN_FLAGS (O_ACCMODE | O_APPEND | O_SYNC | O_DSYNC | O_NOATIME)
/* Forgets the cached descriptor of directory ino (it is being freed). */
void hostfs_dirfd_drop(const struct inode *ino);
/* A host fd of an open file on ino (writable when asked), an O_TMPFILE
 * file's own, or -1. */
int hostfs_open_fd(struct inode *ino, bool writable);
/* A host fd of the very file ino is (an open file's, or one opened by name
 * without following, O_PATH when it cannot be read); *tmp: the caller
 * closes it. -ENOENT when the host has another file under the name now. */
long hostfs_own_fd(struct inode *ino, int *fd, bool *tmp);

/* --- inode.c: inodes, lookup, attributes -------------------------------- */

/* A new inode for the host file st describes, with its operations. */
struct inode *hostfs_inode(struct super_block *sb, const struct plat_stat *st);
void hostfs_apply_stat(struct inode *ino, const struct plat_stat *st);
/* The dentry of ino (each hostfs inode has exactly one), or NULL. */
struct dentry *hostfs_alias(struct inode *ino);
/* Records d as its inode's alias. */
void hostfs_set_alias(struct dentry *d);
/* Drops the cached subtree below d (its entries may be stale). */
void hostfs_prune(struct dentry *d);
long hostfs_lookup(struct inode *dir, const char *name, size_t len, struct inode **out);
bool hostfs_revalidate(struct inode *dir, struct dentry *d);
/* Asks the host whether d's name still holds d's file (refreshing it), and
 * prunes d when not. */
bool hostfs_check_name(struct dentry *d);
void hostfs_getattr(struct inode *ino);
long hostfs_setattr(struct inode *ino, unsigned int what);

/* --- file.c: open files -------------------------------------------------- */

long hostfs_open(struct inode *ino, struct file *f);
void hostfs_release(struct file *f);

/* --- xattr.c ------------------------------------------------------------- */

long hostfs_getxattr(struct inode *ino, const char *name, void *buf, size_t size);
long hostfs_setxattr(struct inode *ino, const char *name, const void *value, size_t size,
		     int flags);
long hostfs_listxattr(struct inode *ino, char *buf, size_t size);
long hostfs_removexattr(struct inode *ino, const char *name);

/* --- Operation tables (dir.c, file.c) ------------------------------------- */

extern const struct inode_ops hostfs_dir_iops, hostfs_file_iops, hostfs_link_iops,
	hostfs_special_iops;
extern const struct file_ops hostfs_dir_fops, hostfs_file_fops, hostfs_special_fops;

#endif
