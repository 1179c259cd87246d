# Fuzzing with libFuzzer (clang, libclang-rt-14-dev); see docs/fuzzing.md.
#   make fuzz          the crash regression inputs, then each target for FUZZ_TIME seconds
#                      (default 300); the corpus grows in build/fuzz/corpus/TARGET
#   make fuzz-ci       the same with 60 s per target (run by `make test`)
#   make fuzz-regress  only the regression inputs in fuzz/regress/TARGET/
#   make fuzz-cov      line and region coverage the kept corpora reach (llvm-cov)
# A fuzz run writes only under build/fuzz/ (the pipeline target reads its input from a memfd).
FUZZ_CC      ?= clang
FUZZ_TIME    ?= 300
FUZZ_TARGETS := smtp banner pipeline pop3 path unpack fastread
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS  := -g -O1 $(FUZZ_SAN) -fsanitize=fuzzer-no-link
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=build/fuzz/obj/%.o)
FUZZ_BINS    := $(FUZZ_TARGETS:%=build/fuzz/fuzz_%)
FUZZ_PCAPS   := $(wildcard pcaps/*.pcap pcaps/*/*.pcap pcaps/*/*.pcapng)

.PHONY: fuzz fuzz-ci fuzz-regress fuzz-build fuzz-cov fuzz-deps
# Kept: make would otherwise delete these objects as intermediates of the pattern rule.
.SECONDARY: $(FUZZ_LIB_OBJ) $(FUZZ_TARGETS:%=build/fuzz/obj/fuzz/fuzz_%.o)

fuzz-deps:
	@tools/install-deps.sh test

fuzz-build: fuzz-deps $(FUZZ_BINS) build/fuzz/seed/.stamp

build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CSTD) $(WARN) $(FUZZ_CFLAGS) $(CPPFLAGS) -DSMTPSCOPE_VERSION='"$(VERSION)"' -MMD -c $< -o $@

build/fuzz/fuzz_%: build/fuzz/obj/fuzz/fuzz_%.o $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) -g $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

# Built with gcc like the tool itself: it only converts captures into seeds.
build/fuzz/pcap2seg: build/obj/fuzz/pcap2seg.o $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

build/fuzz/seed/.stamp: build/fuzz/pcap2seg fuzz/make-corpus.sh tests/corrupt/make-corrupt.py $(FUZZ_PCAPS)
	fuzz/make-corpus.sh build/fuzz/seed $(FUZZ_PCAPS)
	@touch $@

fuzz-regress: fuzz-deps $(FUZZ_BINS)
	@for t in $(FUZZ_TARGETS); do fuzz/regress.sh $$t || exit 1; done

fuzz: fuzz-build fuzz-regress
	@rm -f build/fuzz/summary.txt
	@st=0; for t in $(FUZZ_TARGETS); do fuzz/run.sh $$t $(FUZZ_TIME) || st=1; done; exit $$st

fuzz-ci:
	@$(MAKE) --no-print-directory fuzz FUZZ_TIME=60

fuzz-cov: fuzz-build
	@tools/install-deps.sh cov
	LDLIBS="$(LDLIBS)" fuzz/coverage.sh

TEST_EXTRA += fuzz-ci
