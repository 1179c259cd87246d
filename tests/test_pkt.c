/* Tests for base/pkt.h, the checked packet readers and the RFC 1071 sum, and for the builders
 * of tests/pkt.h that the other tests and the generators make packets with. Views are made
 * over heap buffers of exactly their length, so under ASan a read one byte too far would
 * stop the test even if the reader returned the right value. */
#include <CUnit/CUnit.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/pkt.h"
#include "tests/pkt.h"
#include "tests/suites.h"

static uint8_t *copy_of(const uint8_t *bytes, size_t n)
{
    uint8_t *p = malloc(n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    memcpy(p, bytes, n);
    return p;
}

static void test_values(void)
{
    static const uint8_t bytes[] = {0x12, 0x34, 0x56, 0x78, 0x9a};
    uint8_t *b = copy_of(bytes, sizeof bytes);
    pkt_view v = pkt_view_of(b, sizeof bytes);

    CU_ASSERT_EQUAL(pkt_u8(&v, 4), 0x9a);
    CU_ASSERT_EQUAL(pkt_be16(&v, 0), 0x1234);
    CU_ASSERT_EQUAL(pkt_be16(&v, 3), 0x789a);
    CU_ASSERT_EQUAL(pkt_le16(&v, 0), 0x3412);
    CU_ASSERT_EQUAL(pkt_be32(&v, 0), 0x12345678u);
    CU_ASSERT_EQUAL(pkt_be32(&v, 1), 0x3456789au);
    CU_ASSERT_PTR_EQUAL(pkt_bytes(&v, 1, 4), b + 1);
    CU_ASSERT_EQUAL(v.truncated, 0);
    free(b);
}

static uint32_t read_u8(pkt_view *v, size_t off)
{
    return pkt_u8(v, off);
}

static uint32_t read_be16(pkt_view *v, size_t off)
{
    return pkt_be16(v, off);
}

static uint32_t read_le16(pkt_view *v, size_t off)
{
    return pkt_le16(v, off);
}

static uint32_t read_be32(pkt_view *v, size_t off)
{
    return pkt_be32(v, off);
}

/* Each reader at the last offset where its bytes fit, then one further: 0 and truncated. */
static void test_exact_boundaries(void)
{
    static const uint8_t bytes[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    static const struct {
        uint32_t (*read)(pkt_view *, size_t);
        size_t width;
        uint32_t last; /* what it reads at 8 - width */
    } readers[] = {{read_u8, 1, 8},
                   {read_be16, 2, 0x0708},
                   {read_le16, 2, 0x0807},
                   {read_be32, 4, 0x05060708u}};
    uint8_t *b = copy_of(bytes, sizeof bytes);
    pkt_view v;

    for (size_t i = 0; i < sizeof readers / sizeof readers[0]; i++) {
        v = pkt_view_of(b, 8);
        CU_ASSERT_EQUAL(readers[i].read(&v, 8 - readers[i].width), readers[i].last);
        CU_ASSERT_FALSE(v.truncated);
        CU_ASSERT_EQUAL(readers[i].read(&v, 9 - readers[i].width), 0);
        CU_ASSERT_TRUE(v.truncated);
    }

    v = pkt_view_of(b, 8);
    CU_ASSERT_PTR_EQUAL(pkt_bytes(&v, 0, 8), b);
    CU_ASSERT_PTR_EQUAL(pkt_bytes(&v, 8, 0), b + 8); /* nothing, at the very end: there */
    CU_ASSERT_FALSE(v.truncated);
    CU_ASSERT_PTR_NULL(pkt_bytes(&v, 1, 8));
    CU_ASSERT_TRUE(v.truncated);

    /* A view shorter than its buffer stops at its own length. */
    v = pkt_view_of(b, 5);
    CU_ASSERT_EQUAL(pkt_be32(&v, 1), 0x02030405u);
    CU_ASSERT_EQUAL(pkt_be32(&v, 2), 0);
    CU_ASSERT_TRUE(v.truncated);
    free(b);
}

/* Offsets and lengths come from packet fields: off + n must not wrap around to a small
 * number that looks in range. */
static void test_no_wrap(void)
{
    static const uint8_t bytes[4] = {1, 2, 3, 4};
    pkt_view v = pkt_view_of(bytes, sizeof bytes);

    CU_ASSERT_FALSE(pkt_have(&v, SIZE_MAX, 2));
    CU_ASSERT_FALSE(pkt_have(&v, 2, SIZE_MAX));
    CU_ASSERT_FALSE(pkt_have(&v, 5, 0));
    CU_ASSERT_TRUE(pkt_have(&v, 4, 0));
    CU_ASSERT_EQUAL(pkt_be16(&v, SIZE_MAX), 0);
    CU_ASSERT_EQUAL(pkt_be32(&v, SIZE_MAX - 1), 0);
    CU_ASSERT_PTR_NULL(pkt_bytes(&v, 1, SIZE_MAX));
    CU_ASSERT_TRUE(v.truncated);
}

/* Once a read has gone too far the mark stays, through later reads that fit. */
static void test_truncation_sticky(void)
{
    static const uint8_t bytes[4] = {0xaa, 0xbb, 0xcc, 0xdd};
    uint8_t *b = copy_of(bytes, sizeof bytes);
    pkt_view v = pkt_view_of(b, sizeof bytes);

    CU_ASSERT_EQUAL(pkt_be16(&v, 0), 0xaabb);
    CU_ASSERT_FALSE(v.truncated);
    CU_ASSERT_EQUAL(pkt_be32(&v, 2), 0);
    CU_ASSERT_TRUE(v.truncated);
    CU_ASSERT_EQUAL(pkt_u8(&v, 3), 0xdd); /* a read in range still reads */
    CU_ASSERT_EQUAL(pkt_be16(&v, 2), 0xccdd);
    CU_ASSERT_TRUE(v.truncated);
    CU_ASSERT_PTR_NOT_NULL(pkt_bytes(&v, 0, 4));
    CU_ASSERT_TRUE(v.truncated);
    free(b);
}

static void test_null_view(void)
{
    pkt_view v = pkt_view_of(NULL, 100);

    CU_ASSERT_EQUAL(v.len, 0);
    CU_ASSERT_EQUAL(pkt_u8(&v, 0), 0);
    CU_ASSERT_TRUE(v.truncated);
}

static void test_sub_views(void)
{
    static const uint8_t bytes[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    uint8_t *b = copy_of(bytes, sizeof bytes);
    pkt_view v = pkt_view_of(b, sizeof bytes);

    pkt_view s = pkt_sub(&v, 2, 4); /* bytes 2..5 */
    CU_ASSERT_EQUAL(s.len, 4);
    CU_ASSERT_EQUAL(pkt_be32(&s, 0), 0x02030405u);
    CU_ASSERT_EQUAL(pkt_u8(&s, 4), 0); /* byte 6 is in the buffer but not in the sub-view */
    CU_ASSERT_TRUE(s.truncated);
    CU_ASSERT_FALSE(v.truncated); /* the parent did not read past its end */

    pkt_view r = pkt_rest(&v, 7);
    CU_ASSERT_EQUAL(r.len, 3);
    CU_ASSERT_EQUAL(pkt_u8(&r, 2), 9);
    CU_ASSERT_FALSE(r.truncated);
    CU_ASSERT_EQUAL(pkt_rest(&v, 10).len, 0); /* the very end: an empty view, not truncated */
    CU_ASSERT_FALSE(v.truncated);

    pkt_view bad = pkt_sub(&v, 8, 3); /* one byte too many */
    CU_ASSERT_EQUAL(bad.len, 0);
    CU_ASSERT_TRUE(bad.truncated);
    CU_ASSERT_TRUE(v.truncated);
    CU_ASSERT_EQUAL(pkt_u8(&bad, 0), 0);

    v = pkt_view_of(b, sizeof bytes);
    bad = pkt_rest(&v, 11);
    CU_ASSERT_EQUAL(bad.len, 0);
    CU_ASSERT_TRUE(bad.truncated);
    CU_ASSERT_TRUE(v.truncated);
    free(b);
}

/* RFC 1071 section 3, the numerical example: the words 0001 f203 f4f5 f6f7 sum to 2ddf0,
 * which folds to ddf2; the checksum is its complement, 220d. */
static void test_sum_rfc1071_example(void)
{
    static const uint8_t bytes[8] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};

    CU_ASSERT_EQUAL(pkt_sum_bytes(bytes, 8, 0), 0x2ddf0u);
    CU_ASSERT_EQUAL(pkt_fold(pkt_sum_bytes(bytes, 8, 0)), 0xddf2);
    CU_ASSERT_EQUAL((uint16_t)~pkt_fold(pkt_sum_bytes(bytes, 8, 0)), 0x220d);
    /* Byte order independence (RFC 1071 B): the swapped words give the swapped sum. */
    static const uint8_t swapped[8] = {0x01, 0x00, 0x03, 0xf2, 0xf5, 0xf4, 0xf7, 0xf6};
    CU_ASSERT_EQUAL(pkt_fold(pkt_sum_bytes(swapped, 8, 0)), 0xf2dd);
    /* The sum may be gathered in parts, in any order. */
    CU_ASSERT_EQUAL(pkt_sum_bytes(bytes + 4, 4, pkt_sum_bytes(bytes, 4, 0)), 0x2ddf0u);
}

/* A real IPv4 header (192.168.0.1 -> 192.168.0.199, UDP, checksum b861): it verifies, and
 * with the field cleared the builder computes b861 again. */
static void test_sum_ipv4_header(void)
{
    static const uint8_t hdr[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                                    0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
    uint8_t *b = copy_of(hdr, sizeof hdr);
    pkt_view v = pkt_view_of(b, sizeof hdr);

    CU_ASSERT_EQUAL(pkt_fold(pkt_sum(&v, 0, 20, 0)), 0xffff);
    CU_ASSERT_FALSE(v.truncated);
    b[10] = b[11] = 0;
    CU_ASSERT_EQUAL((uint16_t)~pkt_fold(pkt_sum(&v, 0, 20, 0)), 0xb861);
    pkt_ip4_checksum(b);
    CU_ASSERT_EQUAL(memcmp(b, hdr, sizeof hdr), 0);
    b[15] ^= 1; /* one bit off: it no longer verifies */
    CU_ASSERT_NOT_EQUAL(pkt_fold(pkt_sum(&v, 0, 20, 0)), 0xffff);
    free(b);
}

static void test_sum_odd_and_long(void)
{
    static const uint8_t odd[3] = {0x12, 0x34, 0x56};
    CU_ASSERT_EQUAL(pkt_sum_bytes(odd, 3, 0), 0x1234u + 0x5600u); /* padded with a zero */
    CU_ASSERT_EQUAL(pkt_sum_bytes(odd, 1, 7), 0x1200u + 7);
    CU_ASSERT_EQUAL(pkt_sum_bytes(odd, 0, 7), 7u);

    /* More 0xffff words than 32 bits can hold added up: the value modulo 0xffff is kept. */
    size_t n = 200000;
    uint8_t *ff = malloc(n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ff);
    memset(ff, 0xff, n);
    CU_ASSERT_EQUAL(pkt_fold(pkt_sum_bytes(ff, n, 0)), 0xffff);
    ff[0] = 0xfe; /* one less: 0xffff * k - 0x100 folds to 0xfeff */
    CU_ASSERT_EQUAL(pkt_fold(pkt_sum_bytes(ff, n, 0)), 0xfeff);
    free(ff);
}

/* The checked sum adds nothing when its bytes are not all there. */
static void test_sum_checked(void)
{
    static const uint8_t bytes[4] = {0x00, 0x01, 0x00, 0x02};
    pkt_view v = pkt_view_of(bytes, sizeof bytes);

    CU_ASSERT_EQUAL(pkt_sum(&v, 0, 4, 5), 8u);
    CU_ASSERT_FALSE(v.truncated);
    CU_ASSERT_EQUAL(pkt_sum(&v, 2, 3, 5), 5u);
    CU_ASSERT_TRUE(v.truncated);
}

static void test_writers(void)
{
    uint8_t b[6] = {0};

    pkt_put16(b, 0x1234);
    pkt_put32(b + 2, 0x89abcdefu);
    pkt_view v = pkt_view_of(b, sizeof b);
    CU_ASSERT_EQUAL(pkt_be16(&v, 0), 0x1234);
    CU_ASSERT_EQUAL(pkt_be32(&v, 2), 0x89abcdefu);
    pkt_put16(b, 0x12345); /* only the low 16 bits */
    CU_ASSERT_EQUAL(pkt_be16(&v, 0), 0x2345);
}

/* A TCP segment with the builder's checksum verifies over its pseudo-header, whatever the
 * checksum field held before; a changed byte no longer does. */
static void test_tcp_checksum(void)
{
    static const uint8_t src[4] = {192, 0, 2, 1}, dst[4] = {198, 51, 100, 7};
    uint8_t seg[25] = {0x9c, 0x40, 0x00, 0x19, 0,    0, 0, 1,   0,   0,   0,   0,   0x50,
                       0x18, 0xff, 0xff, 0xde, 0xad, 0, 0, 'H', 'E', 'L', 'O', '\n'};
    uint32_t pseudo = pkt_tcp_pseudo(src, dst, 4, sizeof seg);

    CU_ASSERT_EQUAL(pseudo, 0xc000u + 0x0201u + 0xc633u + 0x6407u + 6u + 25u);
    pkt_put16(seg + 16, pkt_tcp_checksum(seg, sizeof seg, pseudo));
    CU_ASSERT_EQUAL(pkt_fold(pkt_sum_bytes(seg, sizeof seg, pseudo)), 0xffff);
    uint16_t sum = (uint16_t)(seg[16] << 8 | seg[17]);
    seg[16] = seg[17] = 0; /* the field is left out: the same checksum */
    CU_ASSERT_EQUAL(pkt_tcp_checksum(seg, sizeof seg, pseudo), sum);
    pkt_put16(seg + 16, sum);
    seg[24] = '!';
    CU_ASSERT_NOT_EQUAL(pkt_fold(pkt_sum_bytes(seg, sizeof seg, pseudo)), 0xffff);
}

void add_pkt_suite(void)
{
    CU_pSuite s = CU_add_suite("pkt", NULL, NULL);
    CU_add_test(s, "readers read big- and little-endian", test_values);
    CU_add_test(s, "every reader checked at its exact boundary", test_exact_boundaries);
    CU_add_test(s, "offsets that would wrap are out of range", test_no_wrap);
    CU_add_test(s, "truncation is sticky", test_truncation_sticky);
    CU_add_test(s, "a NULL view holds nothing", test_null_view);
    CU_add_test(s, "sub-views end where they say", test_sub_views);
    CU_add_test(s, "RFC 1071 sum: the RFC's example", test_sum_rfc1071_example);
    CU_add_test(s, "RFC 1071 sum: a real IPv4 header", test_sum_ipv4_header);
    CU_add_test(s, "RFC 1071 sum: odd lengths, long sums", test_sum_odd_and_long);
    CU_add_test(s, "checked sum", test_sum_checked);
    CU_add_test(s, "writers", test_writers);
    CU_add_test(s, "TCP checksum with its pseudo-header", test_tcp_checksum);
}
