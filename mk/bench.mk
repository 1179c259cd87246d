# The benchmark (speed and memory against a libnids-only loop, a bare libpcap loop and tshark):
# tools/bench.sh, see docs/performance.md. Never part of `make test`: it writes about 3 GB of
# captures under build/bench/ (and the workers' shares of two of them) and runs for about a
# quarter of an hour on 2 cores.
#   make bench                  every capture, 5 runs of each tool on the large and pop3 ones
#                               (SMTP and POP3 of one size and shape, in turn), 3 on the
#                               others, medians
#   make bench BENCH_QUICK=1    smaller captures, one run each: a check in about a minute
.PHONY: bench

BENCH_TOOLS := build/benchgen build/floor_nids build/floor_pcap build/splitcap

# Built with everything else, so they keep compiling cleanly.
all: $(BENCH_TOOLS)

build/benchgen: build/obj/tools/benchgen.o
	$(CC) $(CFLAGS) -o $@ $^ -lm

build/floor_nids: build/obj/tools/floor_nids.o
	$(CC) $(CFLAGS) -o $@ $^ -lnids -lpcap

build/floor_pcap: build/obj/tools/floor_pcap.o
	$(CC) $(CFLAGS) -o $@ $^ -lpcap

# net_pair_hash: the workers' own split
build/splitcap: build/obj/tools/splitcap.o build/obj/sniff/decode.o
	$(CC) $(CFLAGS) -o $@ $^ -lpcap -lxxhash

# test-deps brings python3 (the timing helper) and GNU time; tshark is used when installed.
bench: test-deps build/smtpscope $(BENCH_TOOLS)
	BENCH_QUICK=$(BENCH_QUICK) tools/bench.sh build
