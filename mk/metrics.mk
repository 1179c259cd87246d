# --stats and --metrics against the real thing: Debian's prometheus-node-exporter reads the
# metrics file of a run over a bundled capture and serves it on loopback, promtool checks it,
# the values must be the run's (tests/metrics.sh installs prometheus and
# prometheus-node-exporter with apt-get when missing, as root). Run by `make test`
# (TEST_EXTRA), with the plain and the ASan+UBSan binaries; a few seconds each.
#   make metrics-test
.PHONY: metrics-test

metrics-test: build/smtpscope build/smtpscope-asan
	tests/metrics.sh build/smtpscope
	ASAN_OPTIONS=detect_leaks=1 tests/metrics.sh build/smtpscope-asan

TEST_EXTRA += metrics-test
