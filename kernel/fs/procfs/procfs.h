/* procfs internals: the generated files' text buffer and their generators. */
#ifndef PROCFS_H
#define PROCFS_H

#include <kernel/fd.h>
#include <kernel/vfs.h>

/* A growing text buffer (Linux's seq_file, generated whole on open). */
struct seq {
	const struct inode *ino; /* the file's: which thread it shows */
	char *buf;
	size_t len, cap;
	bool oom;
	int kind;       /* which file (procfs.c's K_*) */
	bool generated; /* buf holds the text of the last read at offset 0 */
};

void seq_printf(struct seq *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void seq_write(struct seq *s, const void *data, size_t n);
/* Pads the current line (begun at line_start) with spaces to width, then
 * adds c: Linux's seq_setwidth/seq_pad. */
void seq_pad(struct seq *s, size_t line_start, size_t width, char c);

/* Generators, called with vfs_lock held. */
void proc_gen_maps(struct seq *s);
struct task;
/* /proc/<pid>/status and stat of thread t (the process's leader for
 * /proc/<pid>/, each thread's for task/<tid>/). */
void proc_gen_status(struct seq *s, const struct task *t);
void proc_gen_stat(struct seq *s, const struct task *t);
void proc_gen_cmdline(struct seq *s);
void proc_gen_environ(struct seq *s);
void proc_gen_mounts(struct seq *s);
void proc_gen_cpuinfo(struct seq *s);
void proc_gen_meminfo(struct seq *s);

/* The name /proc/self/fd/N shows for f: its dname hook, or its path (with
 * " (deleted)" once unlinked). Returns the length without a NUL. */
long proc_file_name(struct file *f, char *buf, size_t len);

#endif
