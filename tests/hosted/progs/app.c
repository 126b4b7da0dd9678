/* A shared-object application (OSv style): built with -shared -fPIC and run
 * as `abi-run ./app.so FILE`, and built as a program for the native run.
 * It reads a file, writes a summary and returns the line count. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv, char **envp)
{
	char line[256];
	int n = 0, env = 0;
	FILE *f;

	if (argc < 2) {
		fprintf(stderr, "usage: app FILE\n");
		return 64;
	}
	if (!(f = fopen(argv[1], "r"))) {
		perror(argv[1]);
		return 3;
	}
	while (fgets(line, sizeof line, f))
		n++;
	fclose(f);
	while (envp[env])
		env++;
	printf("args %d, lines %d, env %d, HOME=%s\n", argc, n, env, getenv("HOME"));
	return n;
}
