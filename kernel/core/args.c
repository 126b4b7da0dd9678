/* The program's argv, envp, name and file as procfs shows them. */
#include <kernel/kmalloc.h>
#include <kernel/proc.h>
#include <kernel/task.h>
#include <kernel/vfs.h>

/* Packs a NULL-terminated array into NUL-terminated strings back to back. */
static long pack(const char *const *v, char **out, size_t *len)
{
	size_t n = 0;
	char *buf, *p;

	*out = NULL;
	*len = 0;
	if (!v)
		return 0;
	for (size_t i = 0; v[i]; i++)
		n += strlen(v[i]) + 1;
	if (n == 0)
		return 0;
	buf = kmalloc(n);
	if (!buf)
		return -ENOMEM;
	p = buf;
	for (size_t i = 0; v[i]; i++) {
		size_t l = strlen(v[i]) + 1;

		memcpy(p, v[i], l);
		p += l;
	}
	*out = buf;
	*len = n;
	return 0;
}

long proc_set_args(const char *const *argv, const char *const *envp)
{
	struct proc *p = &current_proc;
	char *cmd, *env;
	size_t cmd_len, env_len;
	const char *base;

	if (pack(argv, &cmd, &cmd_len) < 0)
		return -ENOMEM;
	if (pack(envp, &env, &env_len) < 0) {
		kfree(cmd);
		return -ENOMEM;
	}
	kfree(p->cmdline);
	kfree(p->environ);
	p->cmdline = cmd;
	p->cmdline_len = cmd_len;
	p->environ = env;
	p->environ_len = env_len;
	/* comm is the basename of argv[0], at most 15 bytes, as exec sets it */
	base = (argv && argv[0]) ? argv[0] : "abi";
	for (const char *s = base; *s; s++)
		if (*s == '/' && s[1])
			base = s + 1;
	memset(current->comm, 0, sizeof current->comm);
	strlcpy(current->comm, base, sizeof current->comm);
	return 0;
}

/* The exe denies writes to its file while it runs (inode execcount). */
static void exe_count(int delta)
{
	if (current_proc.exe.dentry && current_proc.exe.dentry->inode)
		current_proc.exe.dentry->inode->execcount += delta;
}

void proc_set_exe(const struct path *p)
{
	exe_count(-1);
	path_put(&current_proc.exe);
	current_proc.exe = *p;
	path_get(&current_proc.exe);
	exe_count(1);
}

void proc_args_free(void)
{
	struct proc *p = &current_proc;

	exe_count(-1);
	path_put(&p->exe);
	p->exe = (struct path){ NULL, NULL };
	kfree(p->cmdline);
	kfree(p->environ);
	p->cmdline = p->environ = NULL;
	p->cmdline_len = p->environ_len = 0;
}
