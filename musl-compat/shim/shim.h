/* The glibc shim's internal interface: musl-compat/shim/README.md says what
 * the shim is and which symbols it covers. */
#ifndef ABI_GLIBC_SHIM_H
#define ABI_GLIBC_SHIM_H

/* glibc's __chk_fail: "*** buffer overflow detected ***: terminated" on
 * stderr, then abort(), as glibc 2.36 does. */
_Noreturn void __chk_fail(void);

/* glibc's fatal-message path (__libc_message): the line on fd 2, then
 * abort(). */
__attribute__((visibility("hidden"))) _Noreturn void shim_fatal(const char *msg);

#endif
