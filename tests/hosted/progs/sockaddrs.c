/* connect(-1, ...) with socket addresses of each family, for
 * tests/hosted/test_strace_format.py: run natively under strace, it prints
 * each call as abi-run's formatter takes it ("call NR RET -1 @ LEN
 * mem=HEX", "@" standing for the address's bytes). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

static void try(const void *sa, socklen_t len)
{
	long r = connect(-1, sa, len) < 0 ? -errno : 0;

	printf("call %d %ld -1 @ %u mem=", SYS_connect, r, len);
	for (socklen_t i = 0; i < len; i++)
		printf("%02x", ((const unsigned char *)sa)[i]);
	printf("\n");
}

int main(void)
{
	static const char *const v6[] = { "2001:db8::1",
					  "::",
					  "::1",
					  "1::",
					  "fe80::1:2",
					  "1:2:3:4:5:6:7:8",
					  "1:0:1:0:1:0:1:0",
					  "0:0:1:0:0:1:0:0",
					  "1:0:0:2:0:0:0:3",
					  "::ffff:1.2.3.4",
					  "::2.3.4.5",
					  "64:ff9b::1.2.3.4" };
	struct sockaddr_un un = { AF_UNIX, "/nonexistent/sock" };
	struct sockaddr_in in = { AF_INET, htons(80), { 0 }, { 0 } };
	struct sockaddr_in6 in6 = { AF_INET6, htons(443), htonl(5), { { { 0 } } }, 3 };
	struct sockaddr sa = { AF_UNSPEC, { 0 } };

	setvbuf(stdout, NULL, _IONBF, 0);
	try(&un, sizeof un);
	try(&un, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 3));
	memcpy(un.sun_path, "\0abstract", 9);
	try(&un, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 9));
	try(&un, (socklen_t)offsetof(struct sockaddr_un, sun_path));
	inet_pton(AF_INET, "127.0.0.1", &in.sin_addr);
	try(&in, sizeof in);
	for (size_t i = 0; i < sizeof v6 / sizeof v6[0]; i++) {
		inet_pton(AF_INET6, v6[i], &in6.sin6_addr);
		/* strace names a link-local scope by the host's interface */
		in6.sin6_scope_id = in6.sin6_addr.s6_addr[0] == 0xfe ? 0 : 3;
		try(&in6, sizeof in6);
	}
	try(&sa, sizeof sa);
	return 0;
}
