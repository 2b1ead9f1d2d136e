// SPDX-License-Identifier: MIT
/*
 * Kernel access to a process's memory without switching to its tables:
 * execve writing the new stack's arguments, ptrace-like readers, and the
 * host tests. Each page is made present with the rights a user access
 * would need (faulting it in, breaking copy-on-write), then reached through
 * a temporary mapping (it may be in high memory).
 */
#include "as_internal.h"
#include "highmem.h"

/* Pages copied per hold of the lock: execve copies megabytes of arguments. */
#define ACCESS_BATCH	16

/*
 * Copy between @buf and [va, va + len) of @as; @write: into the space. A
 * page swapped to a disk is read with the lock dropped (as_swap_io()), as
 * a fault does, and then tried again.
 */
static int access(struct as *as, uintptr_t va, void *buf, size_t len, bool write)
{
	unsigned flags = VM_FAULT_USER | (write ? VM_FAULT_WRITE : 0);
	struct swap_io io = { .pa = PMM_NO_FRAME };
	uint8_t *p = buf;
	unsigned long fl = write_lock_irqsave(&as->lock);
	unsigned batch = 0;
	int err = 0;

	while (len) {
		if (++batch == ACCESS_BATCH) {
			batch = 0;
			write_unlock_irqrestore(&as->lock, fl);
			fl = write_lock_irqsave(&as->lock);
		}
		size_t n = MM_MIN(len, PAGE_SIZE - (va & ~PAGE_MASK));
		phys_addr_t pa = 0;
		unsigned prot = 0;
		bool present = pt_translate(&as->vs.pt, va, &pa, &prot, NULL);
		enum vm_fault_result r = VM_FAULT_RESOLVED;

		if (!present || !vm_fault_permitted(prot, flags)) {
			r = as_fault_locked_io(as, va, flags | (present ? VM_FAULT_PRESENT : 0), &io);
			if (io.need) {
				write_unlock_irqrestore(&as->lock, fl);
				err = as_swap_io(&io);
				fl = write_lock_irqsave(&as->lock);
				if (err) {
					err = err == -MM_ENOMEM ? -MM_ENOMEM : -MM_EFAULT;
					break;
				}
				continue;	/* this page again */
			}
			if (r == VM_FAULT_RESOLVED)
				present = pt_translate(&as->vs.pt, va, &pa, &prot, NULL);
		}
		if (r != VM_FAULT_RESOLVED || !present || !vm_fault_permitted(prot, flags)) {
			err = r == VM_FAULT_OOM ? -MM_ENOMEM : -MM_EFAULT;
			break;
		}
		frame_rw(pa & PAGE_MASK, pa & ~PAGE_MASK, p, n, write);
		p += n;
		va += n;
		len -= n;
	}
	write_unlock_irqrestore(&as->lock, fl);
	as_swap_io_done(&io);
	return err;
}

/**
 * as_copy_out() - copy @len bytes from the kernel to @va in @as
 * @as: the space (need not be active)
 * @va: user address
 * @buf: kernel bytes
 * @len: count
 *
 * Return: 0, -MM_EFAULT (unmapped or not writable), -MM_ENOMEM. Bytes
 * before a failing page have been copied.
 */
int as_copy_out(struct as *as, uintptr_t va, const void *buf, size_t len)
{
	return access(as, va, (void *)(uintptr_t)buf, len, true);
}

/**
 * as_copy_in() - copy @len bytes at @va in @as to the kernel
 * @as: the space (need not be active)
 * @buf: kernel buffer
 * @va: user address
 * @len: count
 *
 * Return: 0, -MM_EFAULT (unmapped or not readable), -MM_ENOMEM.
 */
int as_copy_in(struct as *as, void *buf, uintptr_t va, size_t len)
{
	return access(as, va, buf, len, false);
}

/**
 * as_peek_u32() - read the word at @va in @as if its page is present, never faulting
 * @as: the space (need not be active)
 * @va: a 4-byte aligned user address
 * @val: receives the word
 *
 * For a caller holding a spinlock (a futex's bucket), which must not fault
 * a page in: a page swapped out to a disk would be read there with the
 * lock held, polling. Such a caller drops its lock, faults the page in
 * (copy_from_user(), asleep for a disk) and tries again.
 *
 * Return: 0; -MM_EAGAIN (not present, or not readable as it is mapped).
 */
int as_peek_u32(struct as *as, uintptr_t va, uint32_t *val)
{
	unsigned long fl = read_lock_irqsave(&as->lock);
	phys_addr_t pa = 0;
	unsigned prot = 0;
	/* Not a page being zapped under the read lock: its frame may be freed under the read. */
	bool present = (va & 3) == 0 && !as_zap_marked(as, va) &&
		       pt_translate(&as->vs.pt, va, &pa, &prot, NULL) &&
		       vm_fault_permitted(prot, VM_FAULT_USER);

	if (present)
		frame_rw(pa & PAGE_MASK, pa & ~PAGE_MASK, val, sizeof(*val), false);
	read_unlock_irqrestore(&as->lock, fl);
	return present ? 0 : -MM_EAGAIN;
}
