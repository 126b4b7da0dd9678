/* procfs, mounted at /proc: the tree (/proc, /proc/<pid>, /proc/<pid>/fd,
 * /proc/<pid>/task/<tid>), its links (self, thread-self, mounts, exe, cwd,
 * root, fd/N) and the generated files, whose text is made whole when they
 * are opened, as Linux's seq_file does on the first read. Inodes are made
 * on lookup; their priv packs the entry's kind and a number: under fd/ the
 * descriptor, under task/<tid>/ (and /proc/<tid>/ of a thread) the tid. */
#include <kernel/kmalloc.h>
#include <kernel/mm.h>
#include <kernel/proc.h>
#include <kernel/task.h>
#include <kernel/vfs.h>
#include "procfs.h"

enum kind {
	K_ROOT = 1,
	K_SELF,
	K_MOUNTS_LINK,
	K_CPUINFO,
	K_MEMINFO, /* /proc */
	K_PID,
	K_CMDLINE,
	K_CWD,
	K_ENVIRON,
	K_EXE,
	K_FD_DIR,
	K_MAPS,
	K_MOUNTS,
	K_ROOT_LINK,
	K_STAT,
	K_STATUS, /* /proc/<pid> */
	K_FD,     /* /proc/<pid>/fd/N */
	K_THREAD_SELF,
	K_COMM,
	K_TASK_DIR,
	K_TID, /* /proc/<pid>/task/<tid> */
};

struct entry {
	const char *name;
	enum kind kind;
	u32 mode;
};

/* In Linux's listing order (alphabetical for a pid's directory). */
static const struct entry root_entries[] = {
	{ "self", K_SELF, S_IFLNK | 0777 },
	{ "thread-self", K_THREAD_SELF, S_IFLNK | 0777 },
	{ "cpuinfo", K_CPUINFO, S_IFREG | 0444 },
	{ "meminfo", K_MEMINFO, S_IFREG | 0444 },
	{ "mounts", K_MOUNTS_LINK, S_IFLNK | 0777 },
};

/* clang-format off */
static const struct entry pid_entries[] = {
	{ "cmdline", K_CMDLINE, S_IFREG | 0444 },
	{ "comm", K_COMM, S_IFREG | 0644 },
	{ "cwd", K_CWD, S_IFLNK | 0777 },
	{ "environ", K_ENVIRON, S_IFREG | 0400 },
	{ "exe", K_EXE, S_IFLNK | 0777 },
	{ "fd", K_FD_DIR, S_IFDIR | 0500 },
	{ "maps", K_MAPS, S_IFREG | 0444 },
	{ "mounts", K_MOUNTS, S_IFREG | 0444 },
	{ "root", K_ROOT_LINK, S_IFLNK | 0777 },
	{ "stat", K_STAT, S_IFREG | 0444 },
	{ "status", K_STATUS, S_IFREG | 0444 },
	{ "task", K_TASK_DIR, S_IFDIR | 0555 },
};
/* A thread's directory (task/<tid>): the files that are per thread. */
static const struct entry tid_entries[] = {
	{ "comm", K_COMM, S_IFREG | 0644 },
	{ "stat", K_STAT, S_IFREG | 0444 },
	{ "status", K_STATUS, S_IFREG | 0444 },
};
/* clang-format on */

static const struct inode_ops proc_dir_iops, proc_fd_dir_iops, proc_link_iops, proc_magic_iops,
	proc_task_dir_iops, proc_file_iops;
static const struct file_ops proc_dir_fops, proc_seq_fops, proc_info_fops, proc_args_fops,
	proc_comm_fops;

#define PRIV(kind, fd) ((void *)(uintptr_t)((u64)(kind) | ((u64)(u32)(fd) << 8)))
static enum kind kind_of(const struct inode *ino)
{
	return (enum kind)((uintptr_t)ino->priv & 0xff);
}
static int fd_of(const struct inode *ino)
{
	return (int)((uintptr_t)ino->priv >> 8);
}

/* Stable inode numbers, so that getdents and stat agree. */
static u64 ino_of(enum kind kind, int fd)
{
	return kind == K_ROOT ? 1 : 0x1000 + ((u64)kind << 32) + (u64)(u32)fd;
}

/* The thread a file of ino stands for: its tid's task (0: the process's
 * leader, the thread whose tid is the pid), or NULL once it has exited. */
static struct task *task_of(const struct inode *ino)
{
	int tid = fd_of(ino);

	return task_find(tid ? tid : current_proc.pid);
}

/* --- Text buffers --------------------------------------------------------- */

static bool seq_grow(struct seq *s, size_t need)
{
	size_t cap = s->cap ? s->cap : 4096;
	char *nb;

	while (cap < need)
		cap *= 2;
	nb = krealloc(s->buf, cap);
	if (!nb) {
		s->oom = true;
		return false;
	}
	s->buf = nb;
	s->cap = cap;
	return true;
}

void seq_printf(struct seq *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (s->oom || (!s->buf && !seq_grow(s, 4096)))
		return;
	va_start(ap, fmt);
	n = kvsnprintf(s->buf + s->len, s->cap - s->len, fmt, ap);
	va_end(ap);
	if ((size_t)n < s->cap - s->len) {
		s->len += (size_t)n;
		return;
	}
	if (!seq_grow(s, s->len + (size_t)n + 1))
		return;
	va_start(ap, fmt);
	kvsnprintf(s->buf + s->len, s->cap - s->len, fmt, ap);
	va_end(ap);
	s->len += (size_t)n;
}

void seq_write(struct seq *s, const void *data, size_t n)
{
	if (s->oom || (s->len + n > s->cap && !seq_grow(s, s->len + n)))
		return;
	memcpy(s->buf + s->len, data, n);
	s->len += n;
}

void seq_pad(struct seq *s, size_t line_start, size_t width, char c)
{
	while (!s->oom && s->len < line_start + width)
		seq_write(s, " ", 1);
	if (c)
		seq_write(s, &c, 1);
}

/* --- Names of open files -------------------------------------------------- */

long proc_file_name(struct file *f, char *buf, size_t len)
{
	const struct file_ops *ops = f->ops ? f->ops : f->inode->fops;
	static const char deleted[] = " (deleted)";
	char *tmp, *start;
	long n;

	if (ops && ops->dname) {
		/* a hook may report the length it wanted, like snprintf */
		n = ops->dname(f, buf, len);
		return n < 0 ? n : (long)MIN((size_t)n, len);
	}
	tmp = kmalloc(PATH_MAX);
	if (!tmp)
		return -ENOMEM;
	n = d_path(&f->path, tmp, PATH_MAX, &start);
	if (n > 0) {
		n--; /* the NUL */
		if (d_unlinked(f->path.dentry) && (size_t)n + sizeof deleted - 1 < PATH_MAX) {
			memcpy(start + n, deleted, sizeof deleted);
			n += (long)sizeof deleted - 1;
		}
		n = MIN((size_t)n, len);
		memcpy(buf, start, (size_t)n);
	}
	kfree(tmp);
	return n;
}

/* --- Inodes ---------------------------------------------------------------- */

static struct inode *proc_inode(struct super_block *sb, enum kind kind, int fd, u32 mode,
				bool owned)
{
	struct inode *ino = inode_new(sb, mode);

	if (!ino)
		return NULL;
	ino->ino = ino_of(kind, fd);
	ino->priv = PRIV(kind, fd);
	ino->nlink = S_ISDIR(mode) ? 2 : 1;
	/* a process's files belong to it (its euid), /proc's own to root */
	ino->uid = owned ? current_proc.cred.euid : 0;
	ino->gid = owned ? current_proc.cred.egid : 0;
	if (S_ISDIR(mode)) {
		ino->iops = kind == K_FD_DIR     ? &proc_fd_dir_iops
			    : kind == K_TASK_DIR ? &proc_task_dir_iops
						 : &proc_dir_iops;
		ino->fops = &proc_dir_fops;
	} else if (S_ISLNK(mode)) {
		ino->iops = (kind == K_SELF || kind == K_MOUNTS_LINK || kind == K_THREAD_SELF)
				    ? &proc_link_iops
				    : &proc_magic_iops;
		if (kind == K_MOUNTS_LINK)
			ino->size = 11; /* "self/mounts": an ordinary symlink */
		if (kind == K_FD)
			ino->size = 64; /* what Linux's fd links show */
	} else {
		ino->iops = &proc_file_iops;
		ino->fops = !owned                                     ? &proc_info_fops
			    : (kind == K_CMDLINE || kind == K_ENVIRON) ? &proc_args_fops
			    : kind == K_COMM                           ? &proc_comm_fops
								       : &proc_seq_fops;
	}
	return ino;
}

/* Parses a decimal name without leading zeros; -1 when it is not one. */
static long parse_num(const char *name, size_t len)
{
	long v = 0;

	if (len == 0 || len > 9 || (len > 1 && name[0] == '0'))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (name[i] < '0' || name[i] > '9')
			return -1;
		v = v * 10 + (name[i] - '0');
	}
	return v;
}

static bool name_is(const char *name, size_t len, const char *s)
{
	return strlen(s) == len && memcmp(name, s, len) == 0;
}

static u32 fd_link_mode(struct file *f)
{
	u32 m = 0;

	if (file_readable(f))
		m |= 0500;
	if (file_writable(f))
		m |= 0300;
	return S_IFLNK | (m ? m : 0500);
}

/* A directory's entries: /proc's, a process's, a thread's. */
static const struct entry *entries_of(enum kind k, size_t *n)
{
	if (k == K_ROOT) {
		*n = ARRAY_SIZE(root_entries);
		return root_entries;
	}
	if (k == K_TID) {
		*n = ARRAY_SIZE(tid_entries);
		return tid_entries;
	}
	*n = ARRAY_SIZE(pid_entries);
	return pid_entries;
}

static long proc_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
	size_t n;
	const struct entry *tab = entries_of(kind_of(dir), &n);
	bool owned = kind_of(dir) != K_ROOT;
	long num;

	for (size_t i = 0; i < n; i++) {
		if (name_is(name, len, tab[i].name)) {
			/* a thread's files (under task/<tid>, or /proc/<tid> of a
			 * thread that is not the leader) keep its tid */
			*out = proc_inode(dir->sb, tab[i].kind, fd_of(dir), tab[i].mode, owned);
			return *out ? 0 : -ENOMEM;
		}
	}
	/* /proc/<tid> of any thread is there, as on Linux, though only the
	 * process is listed */
	if (kind_of(dir) == K_ROOT && (num = parse_num(name, len)) > 0 && task_find((int)num)) {
		int tid = num == current_proc.pid ? 0 : (int)num;

		*out = proc_inode(dir->sb, K_PID, tid, S_IFDIR | 0555, true);
		return *out ? 0 : -ENOMEM;
	}
	return -ENOENT;
}

static long proc_task_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
	long tid = parse_num(name, len);

	if (tid <= 0 || !task_find((int)tid))
		return -ENOENT;
	*out = proc_inode(dir->sb, K_TID, (int)tid, S_IFDIR | 0555, true);
	return *out ? 0 : -ENOMEM;
}

static long proc_fd_lookup(struct inode *dir, const char *name, size_t len, struct inode **out)
{
	long fd = parse_num(name, len);
	struct file *f = fd < 0 ? NULL : fd_peek((int)fd);

	if (!f)
		return -ENOENT;
	*out = proc_inode(dir->sb, K_FD, (int)fd, fd_link_mode(f), true);
	return *out ? 0 : -ENOMEM;
}

/* fd/ changes with every open and close: never trust the cache. */
static bool proc_fd_revalidate(struct inode *dir, struct dentry *d)
{
	(void)dir;
	(void)d;
	return false;
}

/* --- Links ----------------------------------------------------------------- */

static long copy_name(char *buf, size_t len, const char *s)
{
	size_t n = MIN(strlen(s), len);

	memcpy(buf, s, n);
	return (long)n;
}

static long proc_readlink(struct inode *ino, char *buf, size_t len)
{
	char tmp[32];

	if (kind_of(ino) == K_MOUNTS_LINK)
		return copy_name(buf, len, "self/mounts");
	if (kind_of(ino) == K_THREAD_SELF)
		ksnprintf(tmp, sizeof tmp, "%d/task/%d", current_proc.pid, current->tid);
	else
		ksnprintf(tmp, sizeof tmp, "%d", current_proc.pid);
	return copy_name(buf, len, tmp);
}

/* The path a magic link stands for, referenced. */
static long magic_path(struct inode *ino, struct path *out)
{
	struct path p = { NULL, NULL };

	switch (kind_of(ino)) {
	case K_CWD:
		p = current_proc.cwd;
		break;
	case K_ROOT_LINK:
		p = current_proc.root;
		break;
	case K_EXE:
		p = current_proc.exe;
		break;
	case K_FD: {
		struct file *f = fd_peek(fd_of(ino));

		if (!f)
			return -ENOENT;
		p = f->path;
		break;
	}
	default:
		return -EINVAL;
	}
	if (!p.dentry)
		return -ENOENT;
	*out = p;
	path_get(out);
	return 0;
}

static long proc_magic_readlink(struct inode *ino, char *buf, size_t len)
{
	struct file *f;
	struct path p;
	char *tmp, *start;
	long n;

	if (kind_of(ino) == K_FD) {
		f = fd_peek(fd_of(ino));
		return f ? proc_file_name(f, buf, len) : -ENOENT;
	}
	if ((n = magic_path(ino, &p)) < 0)
		return n;
	tmp = kmalloc(PATH_MAX);
	n = tmp ? d_path(&p, tmp, PATH_MAX, &start) : -ENOMEM;
	if (n > 0)
		n = copy_name(buf, len, start);
	kfree(tmp);
	path_put(&p);
	return n;
}

/* --- Directories -------------------------------------------------------- */

/* Positions: 0 ".", 1 "..", then 2 + the index of an entry. */
static long proc_iterate(struct file *f, struct dir_context *ctx)
{
	struct inode *dir = f->inode;
	enum kind k = kind_of(dir);
	char name[16];

	if (ctx->pos == 0) {
		if (!ctx->emit(ctx, ".", 1, dir->ino, DT_DIR, 1))
			return 0;
		ctx->pos = 1;
	}
	if (ctx->pos == 1) {
		if (!ctx->emit(ctx, "..", 2, f->path.dentry->parent->inode->ino, DT_DIR, 2))
			return 0;
		ctx->pos = 2;
	}
	if (k == K_TASK_DIR) {
		/* positions 2 + the thread's place in the task list */
		struct task *t;
		s64 i = 0;

		for_each_task(t) {
			int len;

			if (i++ < ctx->pos - 2)
				continue;
			len = ksnprintf(name, sizeof name, "%d", t->tid);
			if (!ctx->emit(ctx, name, (size_t)len, ino_of(K_TID, t->tid), DT_DIR,
				       ctx->pos + 1))
				return 0;
			ctx->pos++;
		}
		return 0;
	}
	if (k == K_ROOT || k == K_PID || k == K_TID) {
		size_t n;
		const struct entry *tab = entries_of(k, &n);

		for (; ctx->pos - 2 < (s64)n; ctx->pos++) {
			const struct entry *e = &tab[ctx->pos - 2];

			if (!ctx->emit(ctx, e->name, strlen(e->name),
				       ino_of(e->kind, k == K_ROOT ? 0 : fd_of(dir)),
				       (e->mode & S_IFMT) >> 12, ctx->pos + 1))
				return 0;
		}
		if (k == K_ROOT && ctx->pos == 2 + (s64)n) {
			int len = ksnprintf(name, sizeof name, "%d", current_proc.pid);

			if (!ctx->emit(ctx, name, (size_t)len, ino_of(K_PID, 0), DT_DIR,
				       ctx->pos + 1))
				return 0;
			ctx->pos++;
		}
		return 0;
	}
	/* fd/: positions 2 + fd */
	for (; ctx->pos - 2 < (s64)fd_table_size(); ctx->pos++) {
		int fd = (int)(ctx->pos - 2), len;

		if (!fd_peek(fd))
			continue;
		len = ksnprintf(name, sizeof name, "%d", fd);
		if (!ctx->emit(ctx, name, (size_t)len, ino_of(K_FD, fd), DT_LNK, ctx->pos + 1))
			return 0;
	}
	return 0;
}

/* --- Generated files ------------------------------------------------------ */

/* The text of a generated file, made afresh by every read at offset 0 (as
 * Linux's seq_file starts over there), so that it shows the state of the
 * read, not of the open: a program that opens /proc/self/maps and then
 * maps memory reads its new mapping. */
static long seq_generate(struct seq *s)
{
	struct task *t = task_of(s->ino);

	if (!t && (s->kind == K_STAT || s->kind == K_STATUS || s->kind == K_COMM))
		return -ESRCH; /* the thread has exited */
	s->len = 0;
	s->oom = false;
	switch (s->kind) {
	case K_CPUINFO:
		proc_gen_cpuinfo(s);
		break;
	case K_MEMINFO:
		proc_gen_meminfo(s);
		break;
	case K_CMDLINE:
		proc_gen_cmdline(s);
		break;
	case K_ENVIRON:
		proc_gen_environ(s);
		break;
	case K_MAPS:
		proc_gen_maps(s);
		break;
	case K_MOUNTS:
		proc_gen_mounts(s);
		break;
	case K_STAT:
		proc_gen_stat(s, t);
		break;
	case K_STATUS:
		proc_gen_status(s, t);
		break;
	case K_COMM:
		seq_printf(s, "%s\n", t->comm);
		break;
	default:
		break;
	}
	s->generated = !s->oom;
	return s->oom ? -ENOMEM : 0;
}

static long proc_seq_open(struct inode *ino, struct file *f)
{
	struct seq *s = kzalloc(sizeof *s);

	if (!s)
		return -ENOMEM;
	s->kind = kind_of(ino);
	s->ino = ino;
	f->priv = s;
	return 0;
}

static void proc_seq_release(struct file *f)
{
	struct seq *s = f->priv;

	if (s) {
		kfree(s->buf);
		kfree(s);
	}
}

static long proc_seq_read(struct file *f, struct uio *u, s64 pos)
{
	struct seq *s = f->priv;
	size_t n, done;
	long r;

	if (s && (pos == 0 || !s->generated) && (r = seq_generate(s)) < 0)
		return r;
	if (!s || pos >= (s64)s->len)
		return 0;
	n = MIN(s->len - (size_t)pos, u->resid);
	done = uio_copy_out(u, s->buf + pos, n);
	return done == 0 && u->fault ? -EFAULT : (long)done;
}

/* Linux's seq_lseek: SEEK_SET and SEEK_CUR only, never before 0. */
static long proc_seq_llseek(struct file *f, s64 off, int whence)
{
	s64 pos;

	if (whence == SEEK_CUR)
		off += f->pos;
	else if (whence != SEEK_SET)
		return -EINVAL;
	if (off < 0)
		return -EINVAL;
	pos = off;
	f->pos = pos;
	return pos;
}

/* /proc's own files (proc_ops without a write) fail writes with EIO; a
 * process's files (seq files without one) with EINVAL, from the VFS. */
static long proc_eio_write(struct file *f, struct uio *u, s64 pos)
{
	(void)f;
	(void)u;
	(void)pos;
	return -EIO;
}

/* Drops the cached subtree below d. */
static void proc_prune(struct dentry *d)
{
	struct list *pos, *tmp;

	list_for_each_safe(pos, tmp, &d->children) {
		struct dentry *c = list_entry(pos, struct dentry, sibling);

		dget(c);
		proc_prune(c);
		d_unlink(c);
		dput(c);
	}
}

/* /proc/<tid> and task/<tid> go with their thread. */
static bool proc_revalidate(struct inode *dir, struct dentry *d)
{
	long tid = parse_num(d->name, strlen(d->name));

	if ((kind_of(dir) != K_ROOT && kind_of(dir) != K_TASK_DIR) || tid < 0 ||
	    task_find((int)tid))
		return true;
	proc_prune(d);
	return false;
}

static const struct inode_ops proc_dir_iops = {
	.lookup = proc_lookup,
	.revalidate = proc_revalidate,
};
static const struct inode_ops proc_fd_dir_iops = {
	.lookup = proc_fd_lookup,
	.revalidate = proc_fd_revalidate,
};
static const struct inode_ops proc_task_dir_iops = {
	.lookup = proc_task_lookup,
	.revalidate = proc_revalidate,
};
static const struct inode_ops proc_link_iops = { .readlink = proc_readlink };
/* Linux's proc_setattr takes a new size and changes nothing: truncate and
 * O_TRUNC succeed (echo name > /proc/self/comm opens with O_TRUNC). */
static long proc_truncate(struct inode *ino, s64 length)
{
	(void)ino, (void)length;
	return 0;
}
static const struct inode_ops proc_file_iops = { .truncate = proc_truncate };
static const struct inode_ops proc_magic_iops = {
	.readlink = proc_magic_readlink,
	.get_link = magic_path,
};
static const struct file_ops proc_dir_fops = { .iterate = proc_iterate };
static const struct file_ops proc_seq_fops = {
	.open = proc_seq_open,
	.release = proc_seq_release,
	.read = proc_seq_read,
	.llseek = proc_seq_llseek,
};
/* cmdline and environ are not seq files: they seek as files of size 0 */
static const struct file_ops proc_args_fops = {
	.open = proc_seq_open,
	.release = proc_seq_release,
	.read = proc_seq_read,
	.llseek = generic_file_llseek,
};
/* Linux's comm_write: the first 15 bytes name the thread (a newline
 * included), the whole write is consumed. */
static long proc_comm_write(struct file *f, struct uio *u, s64 pos)
{
	struct task *t = task_of(f->inode);
	char buf[TASK_COMM_LEN] = { 0 };
	size_t n = MIN(u->resid, sizeof buf - 1), count = u->resid;

	(void)pos;
	if (uio_copy_in(u, buf, n) != n)
		return -EFAULT;
	if (!t)
		return -ESRCH;
	memset(t->comm, 0, sizeof t->comm);
	strlcpy(t->comm, buf, sizeof t->comm);
	return (long)count;
}

static const struct file_ops proc_comm_fops = {
	.open = proc_seq_open,
	.release = proc_seq_release,
	.read = proc_seq_read,
	.write = proc_comm_write,
	.llseek = proc_seq_llseek,
};
static const struct file_ops proc_info_fops = {
	.open = proc_seq_open,
	.release = proc_seq_release,
	.read = proc_seq_read,
	.write = proc_eio_write,
	.llseek = proc_seq_llseek,
};

/* --- Mount ------------------------------------------------------------------ */

static void procfs_destroy(struct super_block *sb)
{
	kfree(sb);
}

/* statfs(2) on /proc: Linux's procfs has its own magic and no blocks or
 * inodes to count, which is the VFS's default but for the type. */
static void procfs_statfs(struct inode *ino, struct linux_statfs *st)
{
	(void)ino;
	st->f_type = PROC_SUPER_MAGIC;
}

static const struct super_ops procfs_sops = { .destroy = procfs_destroy, .statfs = procfs_statfs };

int procfs_pid_dir(const struct file *f)
{
	const struct inode *ino = f->inode;

	if (!ino || !ino->sb || ino->sb->ops != &procfs_sops || kind_of(ino) != K_PID)
		return -EBADF;
	return current_proc.pid;
}

long procfs_init(void)
{
	struct path root = vfs_root(), where;
	struct super_block *sb;
	struct dentry *d, *proot;
	struct inode *ino;
	long r;

	d = dentry_new(root.dentry, "proc", 4);
	if (!d)
		return -ENOMEM;
	r = root.dentry->inode->iops->mkdir(root.dentry->inode, d, 0555);
	if (r < 0) {
		dput(d);
		return r;
	}
	d->inode->uid = d->inode->gid = 0;
	sb = kzalloc(sizeof *sb);
	proot = dentry_new(NULL, "/", 1);
	ino = sb ? proc_inode(sb, K_ROOT, 0, S_IFDIR | 0555, false) : NULL;
	if (!sb || !proot || !ino) {
		iput(ino);
		if (proot)
			dput(proot);
		kfree(sb);
		dput(d);
		return -ENOMEM;
	}
	sb->ops = &procfs_sops;
	sb->dev = 0x16; /* a small anonymous device number, like Linux's proc */
	sb->next_ino = 2;
	proot->inode = ino;
	where = (struct path){ root.mnt, d };
	r = vfs_mount_at(&where, sb, proot, "proc", "proc");
	dput(d);
	return r;
}
