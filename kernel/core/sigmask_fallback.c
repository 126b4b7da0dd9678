/* set_current_blocked until core/signal.c has it (signal.h declares it):
 * a weak definition, so the real one replaces it at link time. It keeps the
 * mask as Linux does (SIGKILL and SIGSTOP never blocked); nothing delivers
 * signals yet. Delete this file once core/signal.c defines the function. */
#include <kernel/signal.h>

__attribute__((weak)) void set_current_blocked(u64 mask)
{
	current->blocked = mask & ~(SIGBIT(9) | SIGBIT(19));
}
