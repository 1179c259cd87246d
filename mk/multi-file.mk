# Several capture files read as one (-r A -r B, or a quoted glob; sniff/merge.c): a capture cut
# in three by editcap -c gives the whole file's report, in any order and through a glob;
# overlapping files merge by time; mixed link types; the errors (unsupported link type,
# missing file, glob without a match, damaged file, options that need one file). A few
# seconds. Run by `make test`.
.PHONY: multi-file-test

multi-file-test: test-deps build/smtpscope build/smtpscope-asan
	tests/multi-file/run.sh build/smtpscope
	ASAN_OPTIONS=detect_leaks=1 tests/multi-file/run.sh build/smtpscope-asan

TEST_EXTRA += multi-file-test
