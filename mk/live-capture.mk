# Live capture end to end (smtpscope -i): two network namespaces joined by a veth pair, real
# SMTP traffic over IPv4 and IPv6 from tests/live/client.py to tests/live/server.py, the
# streamed JSON Lines checked by tests/live/check.py, then -w, -Z and the refusals. Needs root;
# without root (or, outside CI, without network namespaces) it prints SKIP. Run by `make test`
# (TEST_EXTRA), with the plain and the ASan+UBSan binaries; about 35 s each (11 s of it the
# rotation checks' traffic). Then tests/live-iface.sh: the interface taken down, brought back
# (a session after it still analysed) and deleted under a running --stats --metrics capture;
# about 25 s each.
#   make live-test
.PHONY: live-test

live-test: test-deps build/smtpscope build/smtpscope-asan
	tests/live-e2e.sh build/smtpscope
	ASAN_OPTIONS=detect_leaks=1 tests/live-e2e.sh build/smtpscope-asan
	tests/live-iface.sh build/smtpscope
	ASAN_OPTIONS=detect_leaks=1 tests/live-iface.sh build/smtpscope-asan

TEST_EXTRA += live-test
