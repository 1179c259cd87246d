# The POP3 lab: Debian's dovecot and real POP3 clients (fetchmail, tests/pop3/client.py) in
# network namespaces, each scenario captured with tcpdump and the server's truth checked (which
# messages are still there after a dropped, reset or killed session). Needs root; without it
# prints SKIP. Run by `make test` (TEST_EXTRA); about a minute, 12 s of it dovecot's lock wait.
#   make pop3-test        the scenarios into a work directory, checked
#   make pop3-captures    the same, writing pcaps/real/pop3-*.pcap and .log (review the diff)
.PHONY: pop3-test pop3-captures

pop3-test: test-deps build/smtpscope
	tests/pop3-lab.sh build/smtpscope

pop3-captures: test-deps build/smtpscope
	tests/pop3-lab.sh --capture build/smtpscope

TEST_EXTRA += pop3-test
