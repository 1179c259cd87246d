# Link layers, IPv6, fragments and pcapng: the captures build/linkgen makes and their checks.

# tools/linkgen.c rewrites captures into every link layer, IPv6, fragments and pcapng;
# pcaps/link/README.md says how each file there was made.
.PHONY: link-pcaps test-link

all: build/linkgen

# Its --reasm-loop runs sniff/ and reassembly/ alone, to measure them (docs/ipv6-design.md).
LINKGEN_OBJ := $(filter build/obj/base/% build/obj/decompress/% build/obj/sniff/% build/obj/reassembly/%,$(LIB_OBJ))

build/linkgen: build/obj/tools/linkgen.o $(LINKGEN_OBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# Re-makes the generated captures in pcaps/link/ and the expected outputs of every capture
# there (review the diff: expected files are claims).
link-pcaps: build/linkgen build/smtpscope
	tests/link-e2e.sh --remake

# The link-layer end-to-end checks (also on the ASan build); run by `make test`.
test-link: build/linkgen build/smtpscope build/smtpscope-asan
	tests/link-e2e.sh build/smtpscope
	ASAN_OPTIONS=detect_leaks=1 tests/link-e2e.sh build/smtpscope-asan

TEST_EXTRA += test-link
