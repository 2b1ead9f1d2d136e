# make fuzz-long: the long fuzzing run (not part of make test).
#   every libFuzzer target for FUZZ_LONG_RUNS executions (default 10^7 each,
#   on its corpus in build/fuzz-corpus/NAME), then the guest system-call
#   fuzzer (tests/user/t_fuzz) on our kernel and on Linux, compared block by
#   block, for GUEST_FUZZ_SECONDS (default an hour; tools/fuzz_guest.py).
# make test runs a short slice of both: 10 s per libFuzzer target and
# t_fuzz's default seeds (1-4 and its regression seeds) x 300 calls in the
# user and diff suites.
FUZZ_LONG_RUNS     ?= 10000000
GUEST_FUZZ_SECONDS ?= 3600

fuzz-long: deps-test
	@$(MAKE) --no-print-directory all fuzzers
	@set -e; for f in $(FUZZERS); do \
		n=$$(basename $$f); mkdir -p $(BUILD)/fuzz-corpus/$$n; \
		echo "== $$n: $(FUZZ_LONG_RUNS) runs"; \
		$$f -runs=$(FUZZ_LONG_RUNS) -print_final_stats=1 $(BUILD)/fuzz-corpus/$$n 2>&1 | grep -E "DONE|^Done|stat::|ERROR|SUMMARY|crash-|CHECK" || true; \
	done
	@python3 tools/fuzz_guest.py --build $(BUILD) --seconds $(GUEST_FUZZ_SECONDS)

.PHONY: fuzz-long
