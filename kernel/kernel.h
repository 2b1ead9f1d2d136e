/* SPDX-License-Identifier: MIT */
/* State the whole kernel shares, set up once at boot. */
#ifndef KERNEL_KERNEL_H
#define KERNEL_KERNEL_H

#include "kernel/boot/multiboot.h"

#define KERNEL_NAME	"memcore"

extern struct boot_info boot_info;

void memmap_print(const struct memmap *map);
void pmm_print_summary(void);
/* The commit policy (vm.overcommit_memory, vm.overcommit_ratio) from the boot options. */
void commit_boot_init(void);
void pmm_print_zones(void);
void pmm_print_stats(void);
void shell_run(void);
int crash(const char *kind);
struct vm_space;
void pagemap_print(const struct vm_space *vs);
void pagemap_print_range(const struct vm_space *vs, uintptr_t start, uintptr_t end);
void pagemap_process(const char *pid);
void memstat_process(const char *pid);
int run_user_tests(void);
/* Memory pressure: the reclaim thread and the OOM killer (kernel/reclaimd.c, kernel/proc/oom.c). */
void reclaimd_start(void);
void oom_init(void);
struct task;
int oom_score_adj_xchg(struct task *t, int v, bool set, int *old);
struct as;
struct thread_group;
unsigned long oom_score(const struct as *as, const struct thread_group *g);
void reclaim_print_stats(void);

#endif
