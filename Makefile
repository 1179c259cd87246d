# smtpscope — see README.md. `make run` and `make test` work on a fresh Debian 12 machine.
CC      ?= gcc
CSTD    := -std=c11 -D_DEFAULT_SOURCE
WARN    := -Wall -Wextra -Werror
CFLAGS  ?= -O2 -g
CPPFLAGS += -I.
LDLIBS  := -lnids -lpcap -lxxhash -ljson-c -lncursesw -lz -lzstd -llzma -lbz2
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
MODULES := base decompress sniff reassembly message smtp pop3 path pipeline html report ui metrics
LIB_SRC := $(foreach m,$(MODULES),$(wildcard $(m)/*.c))
LIB_OBJ := $(LIB_SRC:%.c=build/obj/%.o)
ASAN_OBJ := $(LIB_SRC:%.c=build/asan/%.o)
CLI_SRC  := $(wildcard cli/*.c)
TEST_SRC := $(wildcard tests/test_*.c)
TEST_EXTRA :=

# Each feature area may add its own rules (and names to TEST_EXTRA, run by `make test`).
-include $(wildcard mk/*.mk)

.PHONY: all deps test-deps run test unit unit-asan e2e clean format format-check pcaps

all: build/smtpscope build/smtpscope-asan build/pcapgen

deps:
	@tools/install-deps.sh build

test-deps:
	@tools/install-deps.sh test

build/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(CFLAGS) $(CPPFLAGS) -DSMTPSCOPE_VERSION='"$(VERSION)"' -MMD -MP -c $< -o $@

build/asan/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) -O1 -g $(SAN) $(CPPFLAGS) -DSMTPSCOPE_VERSION='"$(VERSION)"' -MMD -MP -c $< -o $@

build/smtpscope: $(CLI_SRC:%.c=build/obj/%.o) $(LIB_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

build/smtpscope-asan: $(CLI_SRC:%.c=build/asan/%.o) $(ASAN_OBJ)
	$(CC) $(SAN) -o $@ $^ $(LDLIBS)

build/pcapgen: build/obj/tools/pcapgen.o
	$(CC) $(CFLAGS) -o $@ $^ -lpcap

build/unit: $(TEST_SRC:%.c=build/obj/%.o) $(LIB_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -lcunit $(LDLIBS)

build/unit-asan: $(TEST_SRC:%.c=build/asan/%.o) $(ASAN_OBJ)
	$(CC) $(SAN) -o $@ $^ -lcunit $(LDLIBS)

run: deps build/smtpscope
	build/smtpscope -r pcaps/sample.pcap

test: test-deps all build/unit build/unit-asan
	build/unit
	ASAN_OPTIONS=detect_leaks=1 build/unit-asan
	tests/e2e.sh build/smtpscope
	ASAN_OPTIONS=detect_leaks=1 tests/e2e.sh build/smtpscope-asan
	@for t in $(TEST_EXTRA); do $(MAKE) --no-print-directory $$t || exit 1; done

unit: build/unit
	build/unit

# Re-makes the synthetic captures and their expected outputs (review the diff before committing).
pcaps: build/pcapgen build/smtpscope
	tests/make-expected.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	clang-format --dry-run -Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
