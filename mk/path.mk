# Two capture points (--outside A --inside B; path/): the lab's sender-side and receiver-side
# captures of every scenario, pcapgen's pairs (NAT, delay, answered, rewritten, dropped end of
# data, resets, one side only, busy), clocks moved by editcap -t, several files a side, the
# text section, the refusals. A few seconds. Run by `make test`.
.PHONY: path-test

path-test: test-deps build/smtpscope build/smtpscope-asan build/pcapgen
	tests/path/run.sh build/smtpscope
	ASAN_OPTIONS=detect_leaks=1 tests/path/run.sh build/smtpscope-asan

TEST_EXTRA += path-test
