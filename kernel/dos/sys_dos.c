// SPDX-License-Identifier: MIT
/*
 * The DOS box's system calls (numbers in user/include/memcore/syscall.h,
 * documented in docs/syscalls.md): dos_init, dos_call (an interrupt or the
 * XMS far call, registers in and out through user memory), dos_run (real-mode
 * code in virtual-8086 mode) and dos_info.
 */
#include "kernel/dos/box.h"
#include "kernel/proc/proc.h"
#include "kernel/proc/syscall.h"

static long sys_dos_init(uint64_t ucfg, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
			 uint64_t a5)
{
	struct dos_config cfg = { 0 };

	if (ucfg && copy_from_user(&cfg, ucfg, sizeof(cfg)))
		return -EFAULT;
	return dos_box_create(current(), &cfg);
}
SYSCALL_DEFINE(MEMCORE_SYS_dos_init, dos_init, sys_dos_init);

static long sys_dos_call(uint64_t vector, uint64_t uregs, uint64_t a2, uint64_t a3, uint64_t a4,
			 uint64_t a5)
{
	struct dos_regs r;
	long ret;

	if (copy_from_user(&r, uregs, sizeof(r)))
		return -EFAULT;
	if (vector > MEMCORE_DOS_XMS)
		return -ENOSYS;
	ret = dos_box_call(current(), (unsigned)vector, &r);
	if (ret < 0)
		return ret;
	if (copy_to_user(uregs, &r, sizeof(r)))
		return -EFAULT;
	if (ret == DOS_EXIT)
		proc_exit((int)(r.eax & 0xff) << 8);
	return 0;
}
SYSCALL_DEFINE(MEMCORE_SYS_dos_call, dos_call, sys_dos_call);

/* Run the box's memory in virtual-8086 mode (arch_v86_enter(): i386 only). */
static long sys_dos_run(uint64_t ustate, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
			uint64_t a5)
{
	struct dos_v86 st;

	if (!current()->dos)
		return -EINVAL;
	if (copy_from_user(&st, ustate, sizeof(st)))
		return -EFAULT;
	return arch_v86_enter(current()->frame, &st, ustate);
}
SYSCALL_DEFINE(MEMCORE_SYS_dos_run, dos_run, sys_dos_run);

static long sys_dos_info(uint64_t uinfo, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
			 uint64_t a5)
{
	struct dos_info info;
	long ret = dos_box_stats(current(), &info, NULL);

	if (ret)
		return ret;
	return copy_to_user(uinfo, &info, sizeof(info)) ? -EFAULT : 0;
}
SYSCALL_DEFINE(MEMCORE_SYS_dos_info, dos_info, sys_dos_info);
