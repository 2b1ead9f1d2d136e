# make fuzz-long: the long fuzzing run (not part of make test).
#   every libFuzzer target (or those of FUZZ_LONG_TARGETS, e.g. "fuzz_lz4
#   fuzz_elf") for FUZZ_LONG_RUNS executions (default 10^7 each, on its corpus
#   in build/fuzz-corpus/NAME), one at a time: each target's whole output in
#   build/fuzz-long/NAME.log (with -print_final_stats=1: executions, exec/s,
#   coverage), a crash's input in build/fuzz-long/NAME-crash-*, and a table of
#   all of them at the end (tools/fuzz_long_report.py, also kept in
#   build/fuzz-long/summary.txt); then the guest system-call fuzzer
#   (tests/user/t_fuzz) on our kernel and on Linux, compared block by block,
#   for GUEST_FUZZ_SECONDS (default an hour; tools/fuzz_guest.py). Fails at
#   the end if any target did.
# make test runs a short slice of both: 10 s per libFuzzer target and
# t_fuzz's default seeds (1-4 and its regression seeds) x 300 calls in the
# user and diff suites.
FUZZ_LONG_RUNS     ?= 10000000
FUZZ_LONG_TARGETS  ?= $(notdir $(FUZZERS))
GUEST_FUZZ_SECONDS ?= 3600
FUZZ_LONG_DIR      := $(BUILD)/fuzz-long

fuzz-long: deps-test
	@$(MAKE) --no-print-directory all fuzzers
	@mkdir -p $(FUZZ_LONG_DIR)
	@for n in $(FUZZ_LONG_TARGETS); do \
		mkdir -p $(BUILD)/fuzz-corpus/$$n; \
		echo "== $$n: $(FUZZ_LONG_RUNS) runs, log in $(FUZZ_LONG_DIR)/$$n.log"; \
		t0=$$(date +%s); st=0; \
		$(BUILD)/fuzz/$$n -runs=$(FUZZ_LONG_RUNS) -print_final_stats=1 \
			-artifact_prefix=$(FUZZ_LONG_DIR)/$$n- $(BUILD)/fuzz-corpus/$$n \
			> $(FUZZ_LONG_DIR)/$$n.log 2>&1 || st=$$?; \
		echo "$$st $$(( $$(date +%s) - t0 ))" > $(FUZZ_LONG_DIR)/$$n.status; \
		grep -E "DONE|stat::(number_of_executed_units|average_exec_per_sec)|ERROR|SUMMARY|Test unit written|check failed" \
			$(FUZZ_LONG_DIR)/$$n.log || true; \
	done
	@st=0; python3 tools/fuzz_long_report.py $(FUZZ_LONG_DIR) $(FUZZ_LONG_TARGETS) \
		> $(FUZZ_LONG_DIR)/summary.txt || st=1; cat $(FUZZ_LONG_DIR)/summary.txt; \
	python3 tools/fuzz_guest.py --build $(BUILD) --seconds $(GUEST_FUZZ_SECONDS) && exit $$st

.PHONY: fuzz-long
