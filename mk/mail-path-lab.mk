# The mail-path lab: real MTAs in network namespaces, the Mailguard-style relay
# between them, captures on both sides. Needs root; never part of `make test`, which uses the
# committed captures through tests/expected.list.
.PHONY: lab mailguard-test

build/mailguard: tools/mailguard/mailguard.c
	@mkdir -p build
	$(CC) $(CSTD) $(WARN) $(CFLAGS) -o $@ $<

# The relay against a scripted server on 127.0.0.1 (no root needed).
mailguard-test: build/mailguard
	tools/mailguard/test-mailguard.py build/mailguard

# Re-makes pcaps/lab/ (captures, expected results, logs) and checks every scenario. The
# build dependencies are installed first, so this works on a fresh Debian 12 machine.
lab:
	tools/install-deps.sh build
	$(MAKE) --no-print-directory build/smtpscope build/mailguard
	tools/lab/run-lab.sh
TEST_EXTRA += mailguard-test
