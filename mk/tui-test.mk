# The live screen in a real terminal (tmux), with the plain and the sanitizer build.
.PHONY: tui-test
TEST_EXTRA += tui-test

tui-test: test-deps build/smtpscope build/smtpscope-asan
	tests/tui-e2e.sh build/smtpscope
	ASAN_OPTIONS=detect_leaks=1 tests/tui-e2e.sh build/smtpscope-asan
