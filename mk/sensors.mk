# Many sensors (--sensor NAME, --partition K/N, --merge FILE...): the tag and the records on
# every run's JSON, N partitions run by GNU parallel and merged give a single run's report byte
# for byte, two sensors' captures of one message merge into one duplicate group, the
# refusals and damaged input. About a minute. Run by `make test`.
.PHONY: sensors-test

sensors-test: test-deps build/smtpscope build/smtpscope-asan
	tests/sensors/run.sh build/smtpscope
	ASAN_OPTIONS=detect_leaks=1 tests/sensors/run.sh build/smtpscope-asan

TEST_EXTRA += sensors-test
