/* Scalar types of the Linux x86_64/aarch64 syscall ABI, as the kernel sees
 * them. Freestanding: only the compiler's own headers. The generated
 * prototypes (build/gen/include/abi/syscalls.h) use these names, and the
 * generated type checks assert that each has the size and signedness the
 * syscall table (abi/ctypes.py) expects. */
#ifndef ABI_TYPES_H
#define ABI_TYPES_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

typedef long ssize_t;
typedef long off_t;
typedef long long loff_t;
typedef int pid_t;
typedef unsigned int uid_t;
typedef unsigned int gid_t;
typedef unsigned int mode_t;
typedef unsigned short umode_t;
typedef unsigned long dev_t;
typedef int clockid_t;
typedef int key_t;
typedef int key_serial_t;
typedef int mqd_t;
typedef unsigned int socklen_t;
typedef int idtype_t;
typedef unsigned int id_t;
typedef unsigned int qid_t;
typedef int rwf_t;
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;
typedef int64_t s64;
typedef unsigned long aio_context_t;
/* The kernel's timer id is an int; glibc's timer_t is a pointer. */
typedef int timer_t;

/* A guest address. It cannot be dereferenced, only copied through the
 * user-access helpers, which fail with -EFAULT instead of crashing. */
typedef struct {
	uintptr_t addr;
} uptr;

static inline uptr uptr_add(uptr p, size_t off)
{
	return (uptr){ p.addr + off };
}
static inline bool uptr_is_null(uptr p)
{
	return p.addr == 0;
}

#endif
