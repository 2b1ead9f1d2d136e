# The LZ4 codec's tests, fuzzer and benchmark compare with Debian's liblz4
# (the reference implementation of the format) as an oracle and a peer.
LDLIBS_test_lz4   := -llz4
LDLIBS_fuzz_lz4   := -llz4
LDLIBS_lz4_bench  := -llz4
