# Many sensors, first part (--sensor NAME, --partition K/N): the tag on every JSON object,
# N partitions run by GNU parallel give a single run's sessions, the refusals. A few seconds.
# Run by `make test`.
.PHONY: sensors-test

sensors-test: test-deps build/smtpscope build/smtpscope-asan
	tests/sensors/run.sh build/smtpscope
	ASAN_OPTIONS=detect_leaks=1 tests/sensors/run.sh build/smtpscope-asan

TEST_EXTRA += sensors-test
