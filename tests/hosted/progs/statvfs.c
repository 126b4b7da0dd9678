/* Prints statvfs(argv[1]) and statfs's f_type, one field a line, for
 * tests/hosted/test_hostfs_statfs.py. */
#include <stdio.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>

int main(int argc, char **argv)
{
	struct statvfs v;
	struct statfs f;

	if (argc < 2 || statvfs(argv[1], &v) != 0 || statfs(argv[1], &f) != 0)
		return 1;
	printf("f_type %#lx\nf_bsize %lu\nf_frsize %lu\nf_blocks %lu\nf_bfree %lu\n"
	       "f_bavail %lu\nf_files %lu\nf_ffree %lu\nf_favail %lu\nf_fsid %#lx\n"
	       "f_flag %#lx\nf_namemax %lu\n",
	       (unsigned long)f.f_type, v.f_bsize, v.f_frsize, (unsigned long)v.f_blocks,
	       (unsigned long)v.f_bfree, (unsigned long)v.f_bavail, (unsigned long)v.f_files,
	       (unsigned long)v.f_ffree, (unsigned long)v.f_favail, v.f_fsid, v.f_flag,
	       v.f_namemax);
	return 0;
}
