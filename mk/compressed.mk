# Compressed captures (gzip, zstd, xz, bzip2; decompress/): each read like the plain file,
# by name, from standard input and through a pipe, in concatenated parts, with --workers.
# Damaged and cut compressed captures are in make corrupt-test. Run by `make test`.
.PHONY: compressed-test

compressed-test: test-deps build/smtpscope build/smtpscope-asan
	tests/compressed/run.sh build/smtpscope
	ASAN_OPTIONS=detect_leaks=1 tests/compressed/run.sh build/smtpscope-asan

TEST_EXTRA += compressed-test
