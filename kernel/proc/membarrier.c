// SPDX-License-Identifier: MIT
/*
 * membarrier(cmd, flags, cpu_id) as Linux 6.1 (with CONFIG_RSEQ and the
 * x86 SYNC_CORE support, no nohz_full) answers: QUERY gives every command
 * (0x1ff); flags are 0, but for PRIVATE_EXPEDITED_RSEQ which may have
 * MEMBARRIER_CMD_FLAG_CPU (else EINVAL, before the command is looked at);
 * an unknown command (GET_REGISTRATIONS is 6.3's) EINVAL.
 *
 * The barrier: a cross-CPU call (smp_call()) whose interrupt makes each
 * target CPU run a full fence between what its thread did before and after
 * (an interrupt's return through iret also serializes the instruction
 * stream: SYNC_CORE). GLOBAL and GLOBAL_EXPEDITED call every online CPU;
 * the private commands only the CPUs that may be running the caller's
 * space, the set the TLB shootdown keeps (pt_space_cpus_now()), or the one
 * CPU named with FLAG_CPU (none if it is not online: 0). One CPU: nothing
 * to call. The private commands want their registration first (EPERM);
 * registrations belong to the space (struct as.membarrier), so every
 * thread has them, a fork child keeps them (as Linux) and execve's new
 * space starts without. Registering SYNC_CORE or RSEQ does not register
 * the plain PRIVATE_EXPEDITED, as in Linux. There is no rseq() here, so
 * the RSEQ commands are the plain barrier (no critical section to restart).
 *
 * Locking: none held; smp_call() wants interrupts on and no lock.
 */
#include "percpu.h"
#include "smp.h"
#include "kernel/proc/syscall.h"

enum {
	CMD_QUERY = 0, CMD_GLOBAL = 1, CMD_GLOBAL_EXPEDITED = 2,
	CMD_REGISTER_GLOBAL_EXPEDITED = 4, CMD_PRIVATE_EXPEDITED = 8,
	CMD_REGISTER_PRIVATE_EXPEDITED = 16, CMD_PRIVATE_EXPEDITED_SYNC_CORE = 32,
	CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE = 64, CMD_PRIVATE_EXPEDITED_RSEQ = 128,
	CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ = 256,
	CMD_ALL = 0x1ff,
	CMD_FLAG_CPU = 1,
};

/* Registrations, in struct as.membarrier. */
enum {
	REG_GLOBAL = 1, REG_PRIVATE = 2, REG_SYNC_CORE = 4, REG_RSEQ = 8,
};

static void fence_here(void *arg)
{
	(void)arg;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* A full barrier on every CPU of @cpus (this one by its own fence). */
static void barrier_on(mm_cpumask_t cpus)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (ncpus_online > 1 && (cpus & cpu_online_mask))
		smp_call(cpus & cpu_online_mask, fence_here, NULL);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static long do_register(struct as *mm, uint16_t reg)
{
	__atomic_fetch_or(&mm->membarrier, reg, __ATOMIC_SEQ_CST);
	return 0;
}

/* A private command: EPERM unregistered, else the CPUs running @mm (or just @cpu). */
static long private_barrier(struct as *mm, uint16_t reg, int cpu)
{
	mm_cpumask_t cpus;

	if (!(__atomic_load_n(&mm->membarrier, __ATOMIC_ACQUIRE) & reg))
		return -EPERM;
	cpus = pt_space_cpus_now(&mm->vs.pt);
	if (cpu >= 0) {
		if (cpu >= MM_MAX_CPUS || !(cpu_online_mask & (1ull << cpu)))
			return 0;
		cpus &= (mm_cpumask_t)1 << cpu;
	}
	barrier_on(cpus);
	return 0;
}

static bool flags_valid(int cmd, uint32_t flags)
{
	if (cmd == CMD_PRIVATE_EXPEDITED_RSEQ)
		return !flags || flags == CMD_FLAG_CPU;
	return !flags;
}

static long sys_membarrier(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
			   uint64_t a5)
{
	int cmd = (int)a0, cpu = (a1 & CMD_FLAG_CPU) ? (int)a2 : -1;
	struct as *mm = current()->mm;

	(void)a3, (void)a4, (void)a5;
	if (!flags_valid(cmd, (uint32_t)a1))
		return -EINVAL;
	switch (cmd) {
	case CMD_QUERY:
		return CMD_ALL;
	case CMD_GLOBAL:
	case CMD_GLOBAL_EXPEDITED:
		barrier_on(cpu_online_mask);
		return 0;
	case CMD_REGISTER_GLOBAL_EXPEDITED:
		return do_register(mm, REG_GLOBAL);
	case CMD_PRIVATE_EXPEDITED:
		return private_barrier(mm, REG_PRIVATE, -1);
	case CMD_REGISTER_PRIVATE_EXPEDITED:
		return do_register(mm, REG_PRIVATE);
	case CMD_PRIVATE_EXPEDITED_SYNC_CORE:
		return private_barrier(mm, REG_SYNC_CORE, -1);
	case CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE:
		return do_register(mm, REG_SYNC_CORE);
	case CMD_PRIVATE_EXPEDITED_RSEQ:
		return private_barrier(mm, REG_RSEQ, cpu);
	case CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ:
		return do_register(mm, REG_RSEQ);
	default:
		return -EINVAL;
	}
}
SYSCALL_DEFINE(SYS_membarrier, membarrier, sys_membarrier);
