/* abi-run's launcher for shared-object applications (OSv style): abi-run
 * runs this ordinary dynamically linked program on the kernel, with the
 * root's dynamic linker, as `so-launcher APP.so ARG...`; it loads the
 * object and calls its main(argc, argv, envp) with argv[0] = APP.so. The
 * exit status is main's return value. A guest program, not platform code:
 * it uses libc like any other. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

extern char **environ;

int main(int argc, char **argv)
{
	int (*app_main)(int, char **, char **);
	void *h;

	if (argc < 2) {
		fprintf(stderr, "usage: so-launcher APP.so [ARG...]\n");
		return 2;
	}
	h = dlopen(argv[1], RTLD_NOW | RTLD_GLOBAL);
	if (!h) {
		fprintf(stderr, "abi-run: %s\n", dlerror());
		return 2;
	}
	*(void **)&app_main = dlsym(h, "main");
	if (!app_main) {
		fprintf(stderr, "abi-run: %s: the shared object has no main\n", argv[1]);
		return 2;
	}
	exit(app_main(argc - 1, argv + 1, environ));
}
