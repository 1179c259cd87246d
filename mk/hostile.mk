# Hostile input (issue 7): damaged captures, resource limits, valgrind on the end-to-end
# runs. Each is also run by `make test` (TEST_EXTRA). See docs/fuzzing.md.
#   make corrupt-test     damaged captures: exit status, exact message, partial results
#   make limits-test      SYN and handshake floods: peak RSS bounded by --max-streams
#   make valgrind-e2e     e2e and damaged-capture tests with smtpscope under memcheck
#   make hostile-pending  tests of fixes proposed but not applied yet (expected to fail)
.PHONY: corrupt-test limits-test valgrind-e2e hostile-pending

corrupt-test: test-deps build/smtpscope build/smtpscope-asan
	tests/corrupt/run.sh build/smtpscope
	ASAN_OPTIONS=detect_leaks=1 tests/corrupt/run.sh build/smtpscope-asan

limits-test: test-deps build/smtpscope
	tests/limits/run.sh build/smtpscope

valgrind-e2e: test-deps build/smtpscope
	tests/valgrind-e2e.sh build/smtpscope

hostile-pending: build/unit fuzz-build
	-SMTPSCOPE_PENDING=1 build/unit
	-@for t in $(FUZZ_TARGETS); do [ ! -d fuzz/pending/$$t ] || build/fuzz/fuzz_$$t -runs=1 \
		-artifact_prefix=build/fuzz/artifacts/$$t/ fuzz/pending/$$t/*; done

TEST_EXTRA += corrupt-test limits-test valgrind-e2e
