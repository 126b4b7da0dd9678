/* The kernel heap: memory the guest can never see (it lies outside the guest
 * range, so the user-access helpers refuse it). */
#ifndef KERNEL_KMALLOC_H
#define KERNEL_KMALLOC_H

#include <abi/types.h>

void *kmalloc(size_t size); /* NULL when out of memory */
void *kzalloc(size_t size);
void *krealloc(void *p, size_t size); /* like realloc; NULL leaves p alone */
void kfree(void *p);
char *kstrndup(const char *s, size_t n); /* n bytes of s plus a NUL */

/* Whole zeroed pages (file data). */
void *kpage_alloc(void);
void kpage_free(void *page);

/* Gives every byte of the heap back to the platform (abi_reset). */
void kmalloc_reset(void);
/* Bytes currently allocated, for leak checks in tests. */
size_t kmalloc_in_use(void);

#endif
