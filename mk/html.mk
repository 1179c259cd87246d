# The --html page checked by a validator and a browser: Debian's tidy and chromium (headless)
# over the pages of the sample, the Mailguard and slow-server retries and a hostile capture
# (tests/html.sh; installs tidy and chromium when missing). Run by `make test` (TEST_EXTRA),
# with the plain and the ASan+UBSan binaries; about a minute each.
#   make html-test
#   make html-screenshot    re-makes docs/img/html-report.png, the README's picture
.PHONY: html-test html-screenshot

html-test: build/smtpscope build/smtpscope-asan
	tests/html.sh build/smtpscope
	ASAN_OPTIONS=detect_leaks=1 tests/html.sh build/smtpscope-asan

html-screenshot: build/smtpscope
	SCREENSHOT=docs/img/html-report.png tests/html.sh build/smtpscope

TEST_EXTRA += html-test
