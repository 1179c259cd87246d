/* decompress: every format round-trips data its own library compressed here, through a file
 * and a pipe; gzip members, zstd frames, xz and bzip2 streams one after the other; cut and
 * damaged data fail with the format and an offset; plain pcap and pcapng are left alone. */
#include <CUnit/CUnit.h>
#include <bzlib.h>
#include <inttypes.h>
#include <lzma.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "decompress/decompress.h"
#include "tests/suites.h"

/* Larger than the reader's 64 KiB input buffer many times over, and than stdio's buffer. */
#define DATA_LEN (3u << 20)

typedef struct bytes {
    uint8_t *p;
    size_t len;
} bytes;

/* Compressible, yet not a repeat a decoder could shortcut: numbered lines. */
static bytes make_data(void)
{
    bytes d = {malloc(DATA_LEN), DATA_LEN};
    size_t off = 0;
    for (unsigned i = 0; d.p && off < d.len; i++) {
        char line[64];
        int n = snprintf(line, sizeof line, "record %u, value %u\n", i, i * 2654435761u);
        size_t k = (size_t)n < d.len - off ? (size_t)n : d.len - off;
        memcpy(d.p + off, line, k);
        off += k;
    }
    return d;
}

static void append(bytes *to, const uint8_t *p, size_t len)
{
    to->p = realloc(to->p, to->len + len);
    memcpy(to->p + to->len, p, len);
    to->len += len;
}

/* ---- compressed by the libraries ---- */

static bytes gzip_of(const uint8_t *p, size_t len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    bytes out = {malloc(compressBound(len) + 64), 0};
    CU_ASSERT_FATAL(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    z.next_in = (Bytef *)p, z.avail_in = (uInt)len;
    z.next_out = out.p, z.avail_out = (uInt)(compressBound(len) + 64);
    CU_ASSERT_FATAL(deflate(&z, Z_FINISH) == Z_STREAM_END);
    out.len = z.total_out;
    deflateEnd(&z);
    return out;
}

static bytes zstd_of(const uint8_t *p, size_t len)
{
    bytes out = {malloc(ZSTD_compressBound(len)), 0};
    out.len = ZSTD_compress(out.p, ZSTD_compressBound(len), p, len, 3);
    CU_ASSERT_FATAL(!ZSTD_isError(out.len));
    return out;
}

static bytes xz_of(const uint8_t *p, size_t len)
{
    size_t cap = lzma_stream_buffer_bound(len);
    bytes out = {malloc(cap), 0};
    CU_ASSERT_FATAL(lzma_easy_buffer_encode(1, LZMA_CHECK_CRC64, NULL, p, len, out.p, &out.len,
                                            cap) == LZMA_OK);
    return out;
}

static bytes bzip2_of(const uint8_t *p, size_t len)
{
    unsigned cap = (unsigned)(len + len / 100 + 600);
    bytes out = {malloc(cap), 0};
    CU_ASSERT_FATAL(
        BZ2_bzBuffToBuffCompress((char *)out.p, &cap, (char *)p, (unsigned)len, 1, 0, 0) == BZ_OK);
    out.len = cap;
    return out;
}

typedef bytes (*compress_fn)(const uint8_t *p, size_t len);

static const struct {
    const char *name;
    compress_fn fn;
} formats[] = {{"gzip", gzip_of}, {"zstd", zstd_of}, {"xz", xz_of}, {"bzip2", bzip2_of}};
#define NFORMATS (sizeof formats / sizeof formats[0])

/* The data in parts, each compressed on its own, one after the other (`cat a.gz b.gz`);
 * *first: the compressed length of the first part. */
static bytes in_parts(compress_fn fn, const bytes *d, unsigned parts, size_t *first)
{
    bytes out = {NULL, 0};
    size_t step = d->len / parts;
    for (unsigned i = 0; i < parts; i++) {
        size_t len = i + 1 == parts ? d->len - i * step : step;
        bytes c = fn(d->p + i * step, len);
        if (i == 0 && first)
            *first = c.len;
        append(&out, c.p, c.len);
        free(c.p);
    }
    return out;
}

/* ---- reading ---- */

/* A descriptor reading these bytes from a file already unlinked. */
static int file_of(const uint8_t *p, size_t len)
{
    char name[] = "/tmp/smtpscope-decompress-XXXXXX";
    int fd = mkstemp(name);
    CU_ASSERT_FATAL(fd >= 0);
    unlink(name);
    CU_ASSERT_FATAL(write(fd, p, len) == (ssize_t)len);
    CU_ASSERT_FATAL(lseek(fd, 0, SEEK_SET) == 0);
    return fd;
}

/* A pipe a child writes these bytes into; *child to reap. */
static int pipe_of(const uint8_t *p, size_t len, pid_t *child)
{
    int fds[2];
    CU_ASSERT_FATAL(pipe(fds) == 0);
    *child = fork();
    CU_ASSERT_FATAL(*child >= 0);
    if (*child == 0) {
        close(fds[0]);
        size_t off = 0;
        while (off < len) {
            ssize_t w = write(fds[1], p + off, len - off);
            if (w <= 0)
                _exit(1);
            off += (size_t)w;
        }
        _exit(0);
    }
    close(fds[1]);
    return fds[0];
}

static void reap(pid_t child)
{
    int st;
    CU_ASSERT(waitpid(child, &st, 0) == child);
}

typedef struct got {
    bytes out;
    int failed; /* ferror after reading to the end */
    char error[300];
    char format[16];
} got;

static got read_all(int fd)
{
    got g;
    memset(&g, 0, sizeof g);
    char err[256];
    decompress *dc;
    FILE *f = decompress_open(fd, &dc, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_PTR_NOT_NULL(dc); /* plain bytes too: read through the reader's own buffer */
    snprintf(g.format, sizeof g.format, "%s", decompress_format(dc) ? decompress_format(dc) : "");
    uint8_t buf[5000]; /* an odd size, as libpcap's record reads are */
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        append(&g.out, buf, n);
    g.failed = ferror(f) != 0;
    if (decompress_error(dc))
        snprintf(g.error, sizeof g.error, "%s", decompress_error(dc));
    fclose(f);
    return g;
}

static got read_file(const bytes *b)
{
    return read_all(file_of(b->p, b->len));
}

static uint64_t offset_in(const char *error)
{
    const char *at = strstr(error, "compressed byte ");
    uint64_t off = 0;
    CU_ASSERT_PTR_NOT_NULL_FATAL(at);
    CU_ASSERT(sscanf(at + strlen("compressed byte "), "%" SCNu64, &off) == 1);
    return off;
}

static int prefix_of(const got *g, const bytes *d)
{
    return g->out.len <= d->len && memcmp(g->out.p, d->p, g->out.len) == 0;
}

/* ---- the tests ---- */

static void test_detect(void)
{
    static const uint8_t pcap_le[] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0},
                         pcap_be[] = {0xa1, 0xb2, 0xc3, 0xd4};
    static const uint8_t pcapng[] = {0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0};
    static const uint8_t gz[] = {0x1f, 0x8b, 8}, zst[] = {0x28, 0xb5, 0x2f, 0xfd};
    static const uint8_t xz[] = {0xfd, '7', 'z', 'X', 'Z', 0}, bz[] = {'B', 'Z', 'h', '9'};
    CU_ASSERT_PTR_NULL(decompress_detect(pcap_le, sizeof pcap_le));
    CU_ASSERT_PTR_NULL(decompress_detect(pcap_be, sizeof pcap_be));
    CU_ASSERT_PTR_NULL(decompress_detect(pcapng, sizeof pcapng));
    CU_ASSERT_STRING_EQUAL(decompress_detect(gz, sizeof gz), "gzip");
    CU_ASSERT_STRING_EQUAL(decompress_detect(zst, sizeof zst), "zstd");
    CU_ASSERT_STRING_EQUAL(decompress_detect(xz, sizeof xz), "xz");
    CU_ASSERT_STRING_EQUAL(decompress_detect(bz, sizeof bz), "bzip2");
    CU_ASSERT_PTR_NULL(decompress_detect(gz, 1)); /* too short to tell */
    CU_ASSERT_PTR_NULL(decompress_detect(xz, 5));
    CU_ASSERT_PTR_NULL(decompress_detect(NULL, 0));
}

static void test_round_trip(void)
{
    bytes d = make_data();
    for (size_t i = 0; i < NFORMATS; i++) {
        bytes c = formats[i].fn(d.p, d.len);
        got g = read_file(&c);
        CU_ASSERT_STRING_EQUAL(g.format, formats[i].name);
        CU_ASSERT(!g.failed);
        CU_ASSERT_STRING_EQUAL(g.error, "");
        CU_ASSERT(g.out.len == d.len && memcmp(g.out.p, d.p, d.len) == 0);
        free(g.out.p);
        free(c.p);
    }
    free(d.p);
}

static void test_through_pipe(void)
{
    bytes d = make_data();
    for (size_t i = 0; i < NFORMATS; i++) {
        bytes c = formats[i].fn(d.p, d.len);
        pid_t child;
        got g = read_all(pipe_of(c.p, c.len, &child));
        reap(child);
        CU_ASSERT_STRING_EQUAL(g.format, formats[i].name);
        CU_ASSERT(!g.failed);
        CU_ASSERT(g.out.len == d.len && memcmp(g.out.p, d.p, d.len) == 0);
        free(g.out.p);
        free(c.p);
    }
    free(d.p);
}

/* gzip members (cat a.gz b.gz, pigz), zstd frames, xz and bzip2 streams one after another. */
static void test_concatenated(void)
{
    bytes d = make_data();
    for (size_t i = 0; i < NFORMATS; i++) {
        bytes c = in_parts(formats[i].fn, &d, 3, NULL);
        got g = read_file(&c);
        CU_ASSERT(!g.failed);
        CU_ASSERT_STRING_EQUAL(g.error, "");
        CU_ASSERT(g.out.len == d.len && memcmp(g.out.p, d.p, d.len) == 0);
        free(g.out.p);
        free(c.p);
    }
    free(d.p);
}

/* Cut short: what came before is given, then the read fails, saying so and where. */
static void test_truncated(void)
{
    bytes d = make_data();
    for (size_t i = 0; i < NFORMATS; i++) {
        bytes c = formats[i].fn(d.p, d.len);
        char want[64];
        c.len = c.len * 3 / 5;
        got g = read_file(&c);
        CU_ASSERT(g.failed);
        snprintf(want, sizeof want, "%s data truncated at compressed byte ", formats[i].name);
        CU_ASSERT_PTR_NOT_NULL(strstr(g.error, want));
        CU_ASSERT(offset_in(g.error) == c.len); /* the whole file was read */
        CU_ASSERT(g.out.len < d.len && prefix_of(&g, &d));
        free(g.out.p);
        free(c.p);
    }
    free(d.p);
}

/* Another member, frame or stream whose first byte is damaged: the first part is given
 * whole, and the error points just past it. */
static void test_damaged_second_part(void)
{
    bytes d = make_data();
    for (size_t i = 0; i < NFORMATS; i++) {
        size_t first = 0;
        bytes c = in_parts(formats[i].fn, &d, 2, &first);
        char want[64];
        c.p[first] ^= 0x55;
        got g = read_file(&c);
        CU_ASSERT(g.failed);
        snprintf(want, sizeof want, "%s data damaged at compressed byte ", formats[i].name);
        CU_ASSERT_PTR_NOT_NULL(strstr(g.error, want));
        uint64_t off = offset_in(g.error);
        CU_ASSERT(off >= first && off <= first + 16);
        CU_ASSERT(g.out.len >= d.len / 2 && g.out.len < d.len && prefix_of(&g, &d));
        free(g.out.p);
        free(c.p);
    }
    free(d.p);
}

/* Deflate data damaged inside: a block of the invalid type 3, zlib's reason given. */
static void test_damaged_deflate(void)
{
    bytes d = make_data();
    size_t first = 0;
    bytes c = in_parts(gzip_of, &d, 2, &first);
    c.p[first + 10] |= 0x07; /* after member 2's 10-byte header: BFINAL 1, BTYPE 11 */
    got g = read_file(&c);
    CU_ASSERT(g.failed);
    CU_ASSERT_PTR_NOT_NULL(strstr(g.error, "gzip data damaged at compressed byte "));
    CU_ASSERT_PTR_NOT_NULL(strstr(g.error, "(invalid block type)"));
    CU_ASSERT(offset_in(g.error) == first + 11);
    CU_ASSERT(g.out.len == d.len / 2 && prefix_of(&g, &d));
    free(g.out.p);
    free(c.p);
    free(d.p);
}

/* A gzip trailer whose CRC does not match: all the data came out, then the failure. */
static void test_bad_checksum(void)
{
    bytes d = make_data();
    bytes c = gzip_of(d.p, d.len);
    c.p[c.len - 8] ^= 1;
    got g = read_file(&c);
    CU_ASSERT(g.failed);
    CU_ASSERT_PTR_NOT_NULL(strstr(g.error, "gzip data damaged at compressed byte "));
    CU_ASSERT_PTR_NOT_NULL(strstr(g.error, "incorrect data check"));
    CU_ASSERT(g.out.len == d.len);
    free(g.out.p);
    free(c.p);
    free(d.p);
}

static const uint8_t pcap_head[] = {0xd4, 0xc3, 0xb2, 0xa1, 2,    0,    4, 0, 0, 0, 0, 0,
                                    0,    0,    0,    0,    0xff, 0xff, 0, 0, 1, 0, 0, 0};

/* A plain capture in a file: every byte from the first, as libpcap read it before. */
static void test_plain_file_untouched(void)
{
    static const uint8_t ng[] = {0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a};
    const uint8_t *inputs[] = {pcap_head, ng};
    size_t lens[] = {sizeof pcap_head, sizeof ng};
    for (size_t i = 0; i < 2; i++) {
        bytes b = {(uint8_t *)inputs[i], lens[i]};
        got g = read_file(&b);
        CU_ASSERT_STRING_EQUAL(g.format, "");
        CU_ASSERT(!g.failed);
        CU_ASSERT(g.out.len == lens[i] && memcmp(g.out.p, inputs[i], lens[i]) == 0);
        free(g.out.p);
    }
}

/* A plain file longer than the reader's buffer, in reads of an odd size: the same bytes, the
 * peeked ones first, across every buffer boundary. */
static void test_plain_file_long(void)
{
    bytes b = {malloc(300001), 300001};
    CU_ASSERT_PTR_NOT_NULL_FATAL(b.p);
    memcpy(b.p, pcap_head, sizeof pcap_head);
    for (size_t i = sizeof pcap_head; i < b.len; i++)
        b.p[i] = (uint8_t)(i * 131 + i / 251);
    got g = read_file(&b);
    CU_ASSERT_STRING_EQUAL(g.format, "");
    CU_ASSERT(!g.failed);
    CU_ASSERT(g.out.len == b.len && memcmp(g.out.p, b.p, b.len) == 0);
    free(g.out.p);
    free(b.p);
}

/* Reads n bytes at the stream's position and compares them with the file's at want. */
static void read_at(FILE *f, const bytes *b, size_t want, size_t n)
{
    uint8_t buf[4096];
    CU_ASSERT_FATAL(n <= sizeof buf && want + n <= b->len);
    CU_ASSERT_EQUAL(ftello(f), (off_t)want);
    CU_ASSERT_EQUAL(fread(buf, 1, n, f), n);
    CU_ASSERT(memcmp(buf, b->p + want, n) == 0);
}

/* A plain file can be moved in (libpcap taking over from the fast reader, at a record's
 * offset): among the bytes looked at first, past them, from the end, from where it is; and
 * from a descriptor that did not stand at the file's start, offsets count from where it
 * stood. A compressed stream cannot be moved. */
static void test_plain_file_seeks(void)
{
    bytes b = {malloc(300001), 300001};
    CU_ASSERT_PTR_NOT_NULL_FATAL(b.p);
    memcpy(b.p, pcap_head, sizeof pcap_head);
    for (size_t i = sizeof pcap_head; i < b.len; i++)
        b.p[i] = (uint8_t)(i * 131 + i / 251);
    char err[256];
    decompress *dc;
    FILE *f = decompress_open(file_of(b.p, b.len), &dc, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    read_at(f, &b, 0, 10);
    CU_ASSERT_EQUAL(fseeko(f, 3, SEEK_SET), 0);
    read_at(f, &b, 3, 20);
    CU_ASSERT_EQUAL(fseeko(f, 200000, SEEK_SET), 0);
    read_at(f, &b, 200000, 1000);
    CU_ASSERT_EQUAL(fseeko(f, -4000, SEEK_CUR), 0);
    read_at(f, &b, 197000, 4000);
    CU_ASSERT_EQUAL(fseeko(f, -5, SEEK_END), 0);
    read_at(f, &b, b.len - 5, 5);
    CU_ASSERT_EQUAL(fseeko(f, 1, SEEK_SET), 0);
    read_at(f, &b, 1, 4000);
    fclose(f);

    int fd = file_of(b.p, b.len);
    CU_ASSERT_FATAL(lseek(fd, 1000, SEEK_SET) == 1000);
    f = decompress_open(fd, &dc, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    bytes rest = {b.p + 1000, b.len - 1000};
    read_at(f, &rest, 0, 100);
    CU_ASSERT_EQUAL(fseeko(f, 50000, SEEK_SET), 0);
    read_at(f, &rest, 50000, 100);
    fclose(f);

    bytes gz = gzip_of(b.p, b.len);
    f = decompress_open(file_of(gz.p, gz.len), &dc, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_NOT_EQUAL(fseeko(f, 100, SEEK_SET), 0);
    fclose(f);
    free(gz.p);
    free(b.p);
}

/* A plain capture on a pipe: the bytes looked at are given back first. */
static void test_plain_pipe(void)
{
    pid_t child;
    got g = read_all(pipe_of(pcap_head, sizeof pcap_head, &child));
    reap(child);
    CU_ASSERT_STRING_EQUAL(g.format, "");
    CU_ASSERT(!g.failed);
    CU_ASSERT(g.out.len == sizeof pcap_head && memcmp(g.out.p, pcap_head, sizeof pcap_head) == 0);
    free(g.out.p);
}

/* Shorter than any magic, empty, or only a magic: no crash, libpcap left to judge. */
static void test_short_inputs(void)
{
    static const uint8_t one[] = {0x1f}, gz_magic[] = {0x1f, 0x8b};
    bytes b = {(uint8_t *)one, sizeof one};
    got g = read_file(&b);
    CU_ASSERT(g.out.len == 1 && !g.failed);
    free(g.out.p);
    b = (bytes){(uint8_t *)one, 0};
    g = read_file(&b);
    CU_ASSERT(g.out.len == 0 && !g.failed);
    free(g.out.p);
    b = (bytes){(uint8_t *)gz_magic, sizeof gz_magic};
    g = read_file(&b);
    CU_ASSERT(g.failed && g.out.len == 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(g.error, "gzip data truncated at compressed byte 2"));
    free(g.out.p);
}

void add_decompress_suite(void)
{
    CU_pSuite s = CU_add_suite("decompress", NULL, NULL);
    CU_add_test(s, "magic bytes", test_detect);
    CU_add_test(s, "each format round-trips", test_round_trip);
    CU_add_test(s, "each format through a pipe", test_through_pipe);
    CU_add_test(s, "members, frames, streams concatenated", test_concatenated);
    CU_add_test(s, "cut short: error and offset", test_truncated);
    CU_add_test(s, "second part damaged: error and offset", test_damaged_second_part);
    CU_add_test(s, "deflate block damaged", test_damaged_deflate);
    CU_add_test(s, "gzip CRC mismatch", test_bad_checksum);
    CU_add_test(s, "plain pcap and pcapng files untouched", test_plain_file_untouched);
    CU_add_test(s, "plain file longer than the buffer", test_plain_file_long);
    CU_add_test(s, "plain file moved in, compressed not", test_plain_file_seeks);
    CU_add_test(s, "plain capture on a pipe", test_plain_pipe);
    CU_add_test(s, "short and empty inputs", test_short_inputs);
}
