# The soak test (tools/soak.sh; docs/performance.md, "Soak: a synthetic week"): benchgen --week
# streams a capture into `smtpscope -r - --json` (nothing written to disk but the samples), and
# smtpscope's RSS is sampled every second against how far through the capture it is. Results
# in build/soak/NAME.csv (the samples) and NAME.txt (peak, quartiles, verdict); a run fails
# when RSS is not flat or the correlator's peak_bytes passes its --dup-memory. soak-day and
# soak-distinct are part of `make test` (about a minute together); the week is not:
#   make soak             the week: 2,000,000 messages over 7 days, 5 % sent twice a minute to
#                         a day apart (2.1M sessions, 6.4 GB of capture); about 3 minutes
#   make soak-day         one day at the same rate (285,714 messages), with --dup-window 6h
#                         once smtpscope has it; about half a minute
#   make soak-distinct    1,000,000 distinct messages over 2 days, with --dup-memory 8 once
#                         smtpscope has the window options; about 1.5 minutes
# smtpscope runs with --stream when it has it; SMTPSCOPE_FLAGS replaces its options (e.g.
# make soak SMTPSCOPE_FLAGS="--stream --dup-memory 16"). Once smtpscope has --dup-window a run
# fails unless RSS is flat over the end of the run (SOAK_REQUIRE_FLAT=0 only reports).
.PHONY: soak soak-day soak-distinct

TEST_EXTRA += soak-day soak-distinct

soak: build/smtpscope build/benchgen
	SOAK_NAME=week tools/soak.sh build

soak-day: build/smtpscope build/benchgen
	SOAK_NAME=day SOAK_GEN_ARGS="--week --messages 285714 --span 1d" \
		SOAK_WINDOW="--dup-window 6h" SOAK_FLAT_FROM=50 tools/soak.sh build

soak-distinct: build/smtpscope build/benchgen
	SOAK_NAME=distinct SOAK_GEN_ARGS="--week --messages 1000000 --dup-share 0 --span 2d" \
		SOAK_WINDOW="--dup-memory 8" SOAK_FLAT_FROM=50 tools/soak.sh build
