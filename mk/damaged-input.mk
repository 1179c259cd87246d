# Damaged and hostile input: damaged captures, floods against the resource limits, valgrind
# on the end-to-end runs. Each is also run by `make test` (TEST_EXTRA). See docs/fuzzing.md.
#   make corrupt-test     damaged captures: exit status, exact message, partial results
#   make limits-test      SYN and handshake floods: peak RSS bounded by --max-streams
#   make valgrind-e2e     e2e and damaged-capture tests with smtpscope under memcheck
#   make hostile-pending  fuzz inputs whose fix is not applied yet (fuzz/pending/; may fail)
.PHONY: corrupt-test limits-test valgrind-e2e hostile-pending

corrupt-test: test-deps build/smtpscope build/smtpscope-asan
	tests/corrupt/run.sh build/smtpscope
	ASAN_OPTIONS=detect_leaks=1 tests/corrupt/run.sh build/smtpscope-asan

limits-test: test-deps build/smtpscope
	tests/limits/run.sh build/smtpscope

valgrind-e2e: test-deps build/smtpscope
	tests/valgrind-e2e.sh build/smtpscope

hostile-pending: fuzz-build
	-@for t in $(FUZZ_TARGETS); do [ -z "$$(ls -A fuzz/pending/$$t 2>/dev/null)" ] || \
		build/fuzz/fuzz_$$t -runs=1 -artifact_prefix=build/fuzz/artifacts/$$t/ fuzz/pending/$$t/*; \
		done

TEST_EXTRA += corrupt-test limits-test valgrind-e2e
