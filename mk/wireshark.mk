# The hand-off to Wireshark (display filters, --extract) checked against tshark's own reading
# of the captures: tests/wireshark-e2e.sh (installs tshark when missing; about 2 minutes,
# tshark starts slowly). Run by `make test` (TEST_EXTRA).
.PHONY: wireshark-test

wireshark-test: test-deps build/smtpscope
	tests/wireshark-e2e.sh build/smtpscope

TEST_EXTRA += wireshark-test
