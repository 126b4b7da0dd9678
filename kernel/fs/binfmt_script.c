/* "#!" scripts, after Linux's fs/binfmt_script.c: the first line names an
 * interpreter and at most one argument; argv becomes the interpreter, the
 * argument, the script's name, then argv[1..], and exec goes on with the
 * interpreter's file (exec_binprm bounds how often). */
#include <kernel/binfmts.h>
#include <kernel/fd.h>
#include <kernel/lib.h>
#include <kernel/linux.h>

static bool spacetab(char c)
{
	return c == ' ' || c == '\t';
}

/* The first byte of [s, end) that is not a space or tab, or NULL. */
static char *next_non_spacetab(char *s, const char *end)
{
	for (; s < end; s++)
		if (!spacetab(*s))
			return s;
	return NULL;
}

/* The first space, tab or NUL in [s, end), or NULL. */
static char *next_terminator(char *s, const char *end)
{
	for (; s < end; s++)
		if (spacetab(*s) || !*s)
			return s;
	return NULL;
}

/* The first newline in [s, end), or NULL. */
static char *find_newline(char *s, const char *end)
{
	for (; s < end; s++)
		if (*s == '\n')
			return s;
	return NULL;
}

long load_script(struct linux_binprm *bprm)
{
	char *buf = bprm->buf, *buf_end = buf + sizeof bprm->buf - 1;
	char *i_name, *i_sep, *i_arg = NULL, *i_end;
	struct file *file;
	long r;

	if (buf[0] != '#' || buf[1] != '!')
		return -ENOEXEC;
	/* Without a newline in the buffer, the interpreter's name must end
	 * (space, tab or NUL) inside it: a truncated name is never run. */
	i_end = find_newline(buf, buf + sizeof bprm->buf);
	if (!i_end) {
		if (!(i_end = next_non_spacetab(buf + 2, buf_end)))
			return -ENOEXEC;
		if (!next_terminator(i_end, buf_end))
			return -ENOEXEC;
		i_end = buf_end;
	}
	while (spacetab(i_end[-1]))
		i_end--;
	i_name = next_non_spacetab(buf + 2, i_end);
	if (!i_name || i_name == i_end)
		return -ENOEXEC; /* no interpreter */
	i_sep = next_terminator(i_name, i_end);
	if (i_sep && *i_sep)
		i_arg = next_non_spacetab(i_sep, i_end);
	/* The interpreter would open the script by a name that is gone. */
	if (bprm->path_inaccessible)
		return -ENOENT;
	*i_end = 0;
	if (i_sep)
		*i_sep = 0;
	/* argv: interpreter, [argument,] the script's name, argv[1..]. */
	bprm_remove_arg_zero(bprm);
	if ((r = bprm_insert_arg(bprm, 0, bprm->interp)) < 0)
		return r;
	if (i_arg && (r = bprm_insert_arg(bprm, 0, i_arg)) < 0)
		return r;
	if ((r = bprm_insert_arg(bprm, 0, i_name)) < 0)
		return r;
	/* The interpreter's name, kept where argv[0] has it. */
	bprm->interp = bprm->ptrs[0];
	if ((r = open_execat(AT_FDCWD, bprm->interp, 0, &file)) < 0)
		return r;
	bprm->interpreter = file;
	return 0;
}
