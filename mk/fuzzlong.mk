# make fuzz-long: the long fuzzing run (not part of make test).
#   every libFuzzer target (or those of FUZZ_LONG_TARGETS, e.g. "fuzz_lz4
#   fuzz_elf") until it has FUZZ_LONG_RUNS executions (default 10^7 each) on
#   its corpus in build/fuzz-corpus/NAME, one target at a time, in chunks of
#   FUZZ_LONG_CHUNK executions (default 500000). Resumable: each chunk that
#   ends well appends its executions (libFuzzer's final stats, the corpus
#   replay at its start included), the commit (its short hash, "-dirty" if
#   the tree differs from it outside fuzz/ledger), date, seconds, seed and
#   coverage to fuzz/ledger/NAME.ledger, which is kept in version control:
#   commit it after a run, and the next `make fuzz-long`, on this machine or
#   on a fresh clone, starts where the ledger stands. Executions add up across
#   invocations and commits (the corpus of a fresh clone starts empty); a
#   target whose ledger has FUZZ_LONG_RUNS is skipped. A chunk that is killed
#   (make interrupted), crashes or fails counts nothing (a slow unit, which
#   libFuzzer reports with exit status 0, is kept and named but is not a
#   failure), and stops its target:
#   its input is in build/fuzz-long/NAME-crash-*, its output in
#   build/fuzz-long/NAME.chunk.log. Every chunk's output is also appended to
#   build/fuzz-long/NAME.log. At the end a table of all targets
#   (tools/fuzz_long_report.py: executions in total, chunks, seconds, exec/s,
#   last coverage, done or how far; also kept in build/fuzz-long/summary.txt);
#   then the guest system-call fuzzer (tests/user/t_fuzz) on our kernel and
#   on Linux, compared block by block, for GUEST_FUZZ_SECONDS (default an
#   hour; tools/fuzz_guest.py). Fails at the end unless every target has its
#   executions. Remove a target's ledger to count from zero again.
# make test runs a short slice of both: 10 s per libFuzzer target and
# t_fuzz's default seeds (1-4 and its regression seeds) x 300 calls in the
# user and diff suites.
FUZZ_LONG_RUNS     ?= 10000000
FUZZ_LONG_CHUNK    ?= 500000
FUZZ_LONG_TARGETS  ?= $(notdir $(FUZZERS))
GUEST_FUZZ_SECONDS ?= 3600
FUZZ_LONG_DIR      := $(BUILD)/fuzz-long
FUZZ_LEDGER_DIR    ?= fuzz/ledger
FUZZ_LONG_TOOL     := python3 tools/fuzz_long_report.py

fuzz-long: deps-test
	@$(MAKE) --no-print-directory all fuzzers
	@mkdir -p $(FUZZ_LONG_DIR)
	@commit=$$(git rev-parse --short HEAD 2>/dev/null || echo unknown); \
	[ -z "$$(git status --porcelain -- . ':!$(FUZZ_LEDGER_DIR)' 2>/dev/null)" ] || commit=$$commit-dirty; \
	for n in $(FUZZ_LONG_TARGETS); do \
		out=$(FUZZ_LONG_DIR)/$$n; mkdir -p $(BUILD)/fuzz-corpus/$$n; \
		while left=$$($(FUZZ_LONG_TOOL) left $(FUZZ_LEDGER_DIR) $$n $(FUZZ_LONG_RUNS)) && \
		      [ "$$left" -gt 0 ]; do \
			runs=$$(( left < $(FUZZ_LONG_CHUNK) ? left : $(FUZZ_LONG_CHUNK) )); \
			echo "== $$n: $$left executions to go, a chunk of $$runs (log in $$out.log)"; \
			t0=$$(date +%s); st=0; \
			$(BUILD)/fuzz/$$n -runs=$$runs -print_final_stats=1 -artifact_prefix=$$out- \
				$(BUILD)/fuzz-corpus/$$n > $$out.chunk.log 2>&1 || st=$$?; \
			cat $$out.chunk.log >> $$out.log; \
			grep -E "DONE|stat::(number_of_executed_units|average_exec_per_sec)" $$out.chunk.log || true; \
			$(FUZZ_LONG_TOOL) record $(FUZZ_LONG_DIR) $(FUZZ_LEDGER_DIR) $$n $$out.chunk.log $$st \
				$$(( $$(date +%s) - t0 )) $$commit && continue; \
			grep -E "ERROR|SUMMARY|Test unit written|check failed" $$out.chunk.log; \
			echo "== $$n: chunk failed (exit $$st), not counted; next target"; break; \
		done; \
	done
	@st=0; $(FUZZ_LONG_TOOL) $(FUZZ_LONG_DIR) $(FUZZ_LEDGER_DIR) $(FUZZ_LONG_RUNS) $(FUZZ_LONG_TARGETS) \
		> $(FUZZ_LONG_DIR)/summary.txt || st=1; cat $(FUZZ_LONG_DIR)/summary.txt; \
	python3 tools/fuzz_guest.py --build $(BUILD) --seconds $(GUEST_FUZZ_SECONDS) && exit $$st

.PHONY: fuzz-long
