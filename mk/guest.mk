# Guest programs: static musl binaries that run on our kernel and on the
# reference Linux kernel in QEMU (tools/qemu-run, tools/linux-run).
#
#   build/tools/linux-init     process 1 of the Linux initramfs (tools/linux-init.c)
#   build/guest/guestbench     the guest benchmark (bench/guest/guestbench.c)
#   build/guest/guest_true     the small binary it execs
#   build/guest/wis            the scalability benchmark (bench/guest/wis.c, bench/wis.sh)
#   build/guest/madvlat        per-call latency histogram of tlb_flush2's threaded madvise (bench/guest/madvlat.c)
#   build/guest/pressure       the memory-pressure benchmark (bench/guest/pressure.c, bench/pressure.sh)
#   build/guest/swaplat        wake-up latency beside a process swapping (bench/guest/swaplat.c, bench/swaplat.sh, swap suite)
#
# They live outside build/bench: bench/run.sh runs every program there on the
# host; bench/guest.sh boots the two kernels with these instead.

GUEST_PROGS := $(BUILD)/guest/guestbench $(BUILD)/guest/guest_true $(BUILD)/guest/wis $(BUILD)/guest/pressure \
	       $(BUILD)/guest/madvlat
LINUX_INIT  := $(BUILD)/tools/linux-init
GUEST_CFLAGS := -static -O2 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
		-fstack-clash-protection

$(BUILD)/guest/%: bench/guest/%.c mk/guest.mk $(BUILD)/user/libmemcore.a | deps-build
	@mkdir -p $(@D)
	$(call say,LINK,$@)
	$(Q)musl-gcc $(GUEST_CFLAGS) -I user/include -o $@ $< $(BUILD)/user/libmemcore.a

$(LINUX_INIT): tools/linux-init.c mk/guest.mk | deps-build
	@mkdir -p $(@D)
	$(call say,LINK,$@)
	$(Q)musl-gcc $(GUEST_CFLAGS) -o $@ $<

# The hostile set whose longest interrupts-off stretch bench/irqoff.sh reports.
HOSTILE_PROG := $(BUILD)/guest/hostile

guest-programs: $(GUEST_PROGS) $(HOSTILE_PROG) $(BUILD)/guest/swaplat $(LINUX_INIT)
# The swap suite of tools/run_tests.py runs the pressure and swaplat programs too.
all: $(LINUX_INIT) $(BUILD)/guest/pressure $(BUILD)/guest/swaplat
bench: $(KERNEL) guest-programs kperf

.PHONY: guest-programs

# The profiling build: fault counters by kind (kernel/perf.c), in $(BUILD)/kperf;
# tools/qemu-run --perf uses it when it is there.
kperf:
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/kperf KDEFS=-DKPERF kernel

.PHONY: kperf
