/* fastread: a plain pcap file read through sniff gives exactly what libpcap's pcap_next_ex
 * gives (every header and byte, then the same end or the same error), whether the fast reader
 * reads it all or leaves a record to libpcap part way: across its read blocks, in either byte
 * order, with nanosecond times, and at records cut short, too long for the snapshot length or
 * beyond any sane length. */
#include <CUnit/CUnit.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decompress/decompress.h"
#include "fuzz/readers.h"
#include "sniff/internal.h"
#include "sniff/sniff.h"
#include "tests/suites.h"

typedef struct file_spec {
    int swapped, nsec;
    uint32_t snaplen;
} file_spec;

static void put32(FILE *f, uint32_t v, int swapped)
{
    if (swapped)
        v = __builtin_bswap32(v);
    fwrite(&v, sizeof v, 1, f);
}

static void put16(FILE *f, uint16_t v, int swapped)
{
    if (swapped)
        v = __builtin_bswap16(v);
    fwrite(&v, sizeof v, 1, f);
}

static FILE *begin_file(const char *path, const file_spec *s)
{
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    put32(f, s->nsec ? 0xa1b23c4du : 0xa1b2c3d4u, s->swapped);
    put16(f, 2, s->swapped);
    put16(f, 4, s->swapped);
    put32(f, 0, s->swapped);
    put32(f, 0, s->swapped);
    put32(f, s->snaplen, s->swapped);
    put32(f, DLT_EN10MB, s->swapped);
    return f;
}

/* A record whose header says caplen but which holds `stored` bytes of data. */
static void put_record(FILE *f, const file_spec *s, uint32_t sec, uint32_t frac, uint32_t caplen,
                       uint32_t len, uint32_t stored, unsigned seed)
{
    put32(f, sec, s->swapped);
    put32(f, frac, s->swapped);
    put32(f, caplen, s->swapped);
    put32(f, len, s->swapped);
    for (uint32_t i = 0; i < stored; i++)
        fputc((int)((i * 7 + seed * 131) & 0xff), f);
}

/* Records the fast reader takes before it leaves the file to libpcap (or ends). */
static uint64_t fast_part(const char *path)
{
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(path, err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    sniff_fast *f = fast_open(fileno(pcap_file(p)), 0, p);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    struct pcap_pkthdr *h;
    const u_char *b;
    uint64_t n = 0;
    while (fast_next(f, &h, &b) == 1)
        n++;
    fast_close(f);
    pcap_close(p);
    return n;
}

static char path[64];

static void same_as_libpcap(uint64_t frames, uint64_t fast, int failed)
{
    readers_seen a, b;
    CU_ASSERT_FATAL(readers_sniff(path, &a) && readers_libpcap(path, &b));
    CU_ASSERT_EQUAL(a.frames, frames);
    CU_ASSERT_EQUAL(b.frames, frames);
    CU_ASSERT_EQUAL(a.sum, b.sum);
    CU_ASSERT_EQUAL(a.failed, failed);
    CU_ASSERT_EQUAL(b.failed, failed);
    CU_ASSERT_STRING_EQUAL(a.error, b.error);
    CU_ASSERT(readers_agree(&a, &b));
    CU_ASSERT_EQUAL(fast_part(path), fast);
    unlink(path);
}

static void make_path(void)
{
    snprintf(path, sizeof path, "/tmp/smtpscope-fastread-%d.pcap", (int)getpid());
}

/* 3,000 records of 1 to 1,514 bytes: many read blocks, every record across their edges. */
static void test_whole_file(void)
{
    const file_spec specs[] = {{0, 0, 65535}, {1, 0, 65535}, {0, 1, 1600}, {1, 1, 262144}};
    make_path();
    for (size_t k = 0; k < sizeof specs / sizeof specs[0]; k++) {
        FILE *f = begin_file(path, &specs[k]);
        for (unsigned i = 0; i < 3000; i++) {
            uint32_t n = 1 + (i * 577) % 1514;
            put_record(f, &specs[k], 1700000000 + i, i * 333331u % 1000000000u, n, n + i % 3, n, i);
        }
        fclose(f);
        same_as_libpcap(3000, 3000, 0);
    }
}

/* Times past 2^31 and fractions past a second, which libpcap reads as signed in the machine's
 * byte order and as unsigned in the other, in microseconds and in nanoseconds. */
static void test_odd_times(void)
{
    make_path();
    for (int k = 0; k < 4; k++) {
        const file_spec s = {k & 1, k >> 1, 65535};
        FILE *f = begin_file(path, &s);
        put_record(f, &s, 0xfffffff0u, 0xfffffc18u, 60, 60, 60, 1);
        put_record(f, &s, 0x80000001u, 999999999u, 60, 60, 60, 2);
        fclose(f);
        same_as_libpcap(2, 2, 0);
    }
}

/* A record longer than the snapshot length: libpcap cuts it and reads on; so does sniff. */
static void test_longer_than_snapshot(void)
{
    const file_spec s = {0, 0, 2000};
    make_path();
    FILE *f = begin_file(path, &s);
    for (unsigned i = 0; i < 10; i++)
        put_record(f, &s, 1700000000, i, 100, 100, 100, i);
    put_record(f, &s, 1700000001, 0, 3000, 3000, 3000, 99);
    for (unsigned i = 0; i < 5; i++)
        put_record(f, &s, 1700000002, i, 100, 100, 100, i);
    fclose(f);
    same_as_libpcap(16, 10, 0);
}

/* Damage: the last record's data cut short, a header cut short, an insane length. */
static void test_damaged(void)
{
    const file_spec s = {0, 0, 65535};
    make_path();
    FILE *f = begin_file(path, &s);
    for (unsigned i = 0; i < 100; i++)
        put_record(f, &s, 1700000000, i, 200, 200, 200, i);
    put_record(f, &s, 1700000001, 0, 200, 200, 50, 7);
    fclose(f);
    same_as_libpcap(100, 100, 1);

    f = begin_file(path, &s);
    put_record(f, &s, 1700000000, 0, 200, 200, 200, 1);
    fwrite("\1\2\3\4\5", 5, 1, f);
    fclose(f);
    same_as_libpcap(1, 1, 1);

    f = begin_file(path, &s);
    put_record(f, &s, 1700000000, 0, 200, 200, 200, 1);
    put_record(f, &s, 1700000000, 1, 300000, 300000, 0, 2);
    fclose(f);
    same_as_libpcap(1, 1, 1);
}

/* A capture that starts part way into its descriptor (standard input redirected from a file
 * already read from): the fast reader reads from the stream's origin, and libpcap takes over
 * at the damaged record by moving the stream, as sniff does it. */
static void test_from_an_offset(void)
{
    const file_spec s = {0, 0, 65535};
    char err[PCAP_ERRBUF_SIZE];
    make_path();
    FILE *w = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    for (int i = 0; i < 1000; i++)
        fputc('x', w);
    put32(w, 0xa1b2c3d4u, 0), put16(w, 2, 0), put16(w, 4, 0), put32(w, 0, 0), put32(w, 0, 0);
    put32(w, 65535, 0), put32(w, DLT_EN10MB, 0);
    for (unsigned i = 0; i < 50; i++)
        put_record(w, &s, 1700000000, i, 300, 300, 300, i);
    put_record(w, &s, 1700000001, 0, 300, 300, 10, 9); /* cut short */
    fclose(w);

    int fd = open(path, O_RDONLY);
    CU_ASSERT_FATAL(fd >= 0 && lseek(fd, 1000, SEEK_SET) == 1000);
    decompress *dc;
    FILE *f = decompress_open(fd, &dc, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    pcap_t *p = pcap_fopen_offline(f, err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    off_t origin = -1;
    int pfd = decompress_plain_file(dc, &origin);
    CU_ASSERT_EQUAL(pfd, fd);
    CU_ASSERT_EQUAL(origin, 1000);
    sniff_fast *fr = fast_open(pfd, origin, p);
    CU_ASSERT_PTR_NOT_NULL_FATAL(fr);
    struct pcap_pkthdr *h;
    const u_char *b;
    int rc, n = 0;
    while ((rc = fast_next(fr, &h, &b)) == 1)
        n += h->caplen == 300 && h->ts.tv_usec == n && b[1] == (uint8_t)(7 + n * 131);
    CU_ASSERT_EQUAL(rc, -1);
    CU_ASSERT_EQUAL(n, 50);
    CU_ASSERT_EQUAL(fseeko(pcap_file(p), (off_t)fast_offset(fr), SEEK_SET), 0);
    fast_close(fr);
    CU_ASSERT_EQUAL(pcap_next_ex(p, &h, &b), PCAP_ERROR);
    CU_ASSERT_PTR_NOT_NULL(strstr(pcap_geterr(p), "truncated dump file"));
    pcap_close(p);
    unlink(path);
}

/* What the fast reader leaves to libpcap from the start: not a classic pcap 2.4 file. */
static void test_not_taken(void)
{
    char err[PCAP_ERRBUF_SIZE];
    const file_spec s = {0, 0, 65535};
    make_path();
    FILE *f = begin_file(path, &s);
    put_record(f, &s, 1700000000, 0, 60, 60, 60, 1);
    fclose(f);
    f = fopen(path, "r+b");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fseek(f, 6, SEEK_SET);
    put16(f, 3, 0); /* version 2.3: caplen and len may be swapped, libpcap's business */
    fclose(f);
    pcap_t *p = pcap_open_offline(path, err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    CU_ASSERT_PTR_NULL(fast_open(fileno(pcap_file(p)), 0, p));
    pcap_close(p);
    readers_seen a, b;
    CU_ASSERT_FATAL(readers_sniff(path, &a) && readers_libpcap(path, &b));
    CU_ASSERT_EQUAL(a.frames, 1);
    CU_ASSERT(readers_agree(&a, &b));
    unlink(path);
}

void add_fastread_suite(void)
{
    CU_pSuite s = CU_add_suite("fastread", NULL, NULL);
    CU_add_test(s, "whole files, both byte orders, usec and nsec", test_whole_file);
    CU_add_test(s, "times past 2^31, fractions past a second", test_odd_times);
    CU_add_test(s, "record longer than the snapshot length", test_longer_than_snapshot);
    CU_add_test(s, "damaged files: libpcap's own error", test_damaged);
    CU_add_test(s, "other files left to libpcap", test_not_taken);
    CU_add_test(s, "a capture part way into its descriptor", test_from_an_offset);
}
