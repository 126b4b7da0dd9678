/* The start-up benchmark's program (make bench): a static hello. */
#include <unistd.h>

int main(void)
{
	return write(1, "hello\n", 6) == 6 ? 0 : 1;
}
