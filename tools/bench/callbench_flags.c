/* callbench's flag values from the generated table header, in a file of
 * their own: build/gen's abi/flags.h spells O_RDONLY and the like too, which
 * the libc headers callbench.c includes also define. */
#include <abi/flags.h>

const int callbench_futex_wake = FUTEX_WAKE | FUTEX_PRIVATE_FLAG;
