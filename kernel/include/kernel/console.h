/* The console: guest descriptors forwarded to a host descriptor (the hosted
 * platform's fds 0, 1 and 2 are the host's). */
#ifndef KERNEL_CONSOLE_H
#define KERNEL_CONSOLE_H

#include <abi/types.h>

/* Installs at guest descriptor fd a console file forwarding to host
 * descriptor hostfd, opened with flags (O_RDONLY, O_WRONLY or O_RDWR).
 * Returns fd or -errno. */
long console_install(unsigned int fd, int hostfd, u32 flags);

#endif
