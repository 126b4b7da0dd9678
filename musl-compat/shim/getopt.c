/* getopt for glibc-built objects. glibc's getopt permutes argv as its
 * getopt_long does (GNU order) unless POSIXLY_CORRECT is set; musl's
 * permutes only in getopt_long, so the shim's getopt is musl's getopt_long
 * without long options. And a glibc PIE has its own copies of optind,
 * optarg, opterr and optopt (copy relocations), which musl's functions do
 * not see: each call copies them in from the caller's object and back out
 * after (for a shared object, dlsym finds musl's own, and the copy is a
 * no-op). */
#define _GNU_SOURCE 1
#include <dlfcn.h>
#include <getopt.h>
#include <stdlib.h>
#include <unistd.h>

struct copies {
	int *optind, *opterr, *optopt;
	char **optarg;
};

/* The caller's object's definitions of the getopt variables. */
static struct copies copies_of(const void *caller)
{
	struct copies c = { &optind, &opterr, &optopt, &optarg };
	Dl_info info;
	void *h;

	if (!dladdr(caller, &info) || !info.dli_fname ||
	    !(h = dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD)))
		return c;
	if (dlsym(h, "optind")) {
		c.optind = dlsym(h, "optind");
		c.opterr = dlsym(h, "opterr") ? dlsym(h, "opterr") : c.opterr;
		c.optopt = dlsym(h, "optopt") ? dlsym(h, "optopt") : c.optopt;
		c.optarg = dlsym(h, "optarg") ? dlsym(h, "optarg") : c.optarg;
	}
	dlclose(h);
	return c;
}

static void copy_in(const struct copies *c)
{
	optind = *c->optind;
	opterr = *c->opterr;
}

static void copy_out(const struct copies *c)
{
	*c->optind = optind;
	*c->optarg = optarg;
	*c->optopt = optopt;
}

typedef int long_fn(int, char *const *, const char *, const struct option *, int *);

static int call(long_fn *fn, const void *caller, int argc, char *const *argv, const char *opts,
		const struct option *lo, int *idx)
{
	struct copies c = copies_of(caller);
	int r;

	copy_in(&c);
	r = fn(argc, argv, opts, lo, idx);
	copy_out(&c);
	return r;
}

/* musl's, whose names the shim's own definitions hide. */
static long_fn *musl(const char *name)
{
	long_fn *fn;

	*(void **)&fn = dlsym(RTLD_NEXT, name);
	if (!fn)
		abort();
	return fn;
}

static int posix_getopt(int argc, char *const *argv, const char *opts, const struct option *lo,
			int *idx)
{
	int (*fn)(int, char *const *, const char *);

	(void)lo;
	(void)idx;
	*(void **)&fn = dlsym(RTLD_NEXT, "getopt");
	if (!fn)
		abort();
	return fn(argc, argv, opts);
}

int getopt(int argc, char *const *argv, const char *opts)
{
	long_fn *fn = getenv("POSIXLY_CORRECT") ? posix_getopt : musl("getopt_long");

	return call(fn, __builtin_return_address(0), argc, argv, opts, NULL, NULL);
}

int getopt_long(int argc, char *const *argv, const char *opts, const struct option *lo, int *idx)
{
	return call(musl("getopt_long"), __builtin_return_address(0), argc, argv, opts, lo, idx);
}

int getopt_long_only(int argc, char *const *argv, const char *opts, const struct option *lo,
		     int *idx)
{
	return call(musl("getopt_long_only"), __builtin_return_address(0), argc, argv, opts, lo,
		    idx);
}
