// SPDX-License-Identifier: MIT
/*
 * The shell's `vmquery PID`: a process's address space as a Windows
 * debugger's !vadump shows it, run by run of VirtualQuery
 * (VirtualQueryProcessMemory): base, allocation base and protection, size,
 * state, protection and type. Free address space is left out.
 */
#include "kernel/kernel.h"
#include "kernel/shell.h"
#include "kernel/task.h"
#include "mm/as_win32.h"

/* "READWRITE", "EXECUTE_READ+GUARD", ... ("-" for none). */
static const char *protect_name(uint32_t p, char *buf, unsigned len)
{
	static const char *const names[] = {
		"NOACCESS", "READONLY", "READWRITE", "WRITECOPY",
		"EXECUTE", "EXECUTE_READ", "EXECUTE_READWRITE", "EXECUTE_WRITECOPY",
	};
	unsigned base = p & 0xff, i = 0;

	if (!base)
		return "-";
	while (i < 8 && !(base & (1u << i)))
		i++;
	ksnprintf(buf, len, "%s%s%s%s", i < 8 ? names[i] : "?", (p & PAGE_GUARD) ? "+GUARD" : "",
		  (p & PAGE_NOCACHE) ? "+NOCACHE" : "", (p & PAGE_WRITECOMBINE) ? "+WRITECOMBINE" : "");
	return buf;
}

static const char *state_name(uint32_t s)
{
	return s == MEM_COMMIT ? "COMMIT" : s == MEM_RESERVE ? "RESERVE" : "FREE";
}

static const char *type_name(uint32_t t)
{
	return t == MEM_PRIVATE ? "PRIVATE" : t == MEM_MAPPED ? "MAPPED" : t == MEM_IMAGE ? "IMAGE" : "-";
}

static int cmd_vmquery(int argc, char **argv)
{
	struct memory_basic_information m;
	char ap[32], pr[32];
	uint64_t pid, runs = 0;
	uintptr_t va = 0;
	struct task *t;

	t = argc > 1 && parse_u64(argv[1], &pid) ? task_by_pid((int)pid) : NULL;
	if (!t || !t->mm) {
		task_put(t);		/* task_by_pid() returns a reference */
		kprintf("usage: vmquery PID (a user process)\n");
		return 1;
	}
	kprintf("address space of pid %d (%s), as VirtualQuery sees it\n", t->pid, t->name);
	kprintf("%-16s %-16s %-22s %12s %-7s %-22s %s\n", "BaseAddress", "AllocationBase",
		"AllocationProtect", "RegionSize", "State", "Protect", "Type");
	while (va < AS_TASK_SIZE && VirtualQueryProcessMemory(t->mm, va, &m) > 0 && m.region_size) {
		if (m.state != MEM_FREE) {
			kprintf("%016lx %016lx %-22s %12lx %-7s %-22s %s\n",
				(unsigned long)m.base_address, (unsigned long)m.allocation_base,
				protect_name(m.allocation_protect, ap, sizeof(ap)),
				(unsigned long)m.region_size, state_name(m.state),
				protect_name(m.protect, pr, sizeof(pr)), type_name(m.type));
			runs++;
		}
		va = m.base_address + m.region_size;
	}
	kprintf("%lu runs\n", (unsigned long)runs);
	task_put(t);
	return 0;
}
SHELL_COMMAND(vmquery, "a process's memory as VirtualQuery sees it: vmquery PID", cmd_vmquery);
