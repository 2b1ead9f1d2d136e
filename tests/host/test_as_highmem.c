// SPDX-License-Identifier: MIT
/*
 * test_as.c again on a machine with high memory (a 32-bit kernel's): the
 * upper half of simulated RAM is ZONE_HIGHMEM, which the core may reach only
 * through plat_kmap(); the host platform panics (fails the test) on any
 * plat_phys_to_virt() of it.
 */
#define SIM_TEST_HIGHMEM 1
#include "test_as.c"
