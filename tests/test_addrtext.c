/* base/addrtext: addresses and endpoints as text, as inet_ntop and the reports write them. */
#include <CUnit/CUnit.h>
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/addrtext.h"
#include "tests/suites.h"

/* Every IPv4 address shape (one, two and three digits in each byte) as inet_ntop writes it. */
static void test_ip4_as_inet_ntop(void)
{
    static const uint8_t bytes[] = {0, 1, 9, 10, 42, 99, 100, 199, 200, 255};
    char want[INET_ADDRSTRLEN], got[INET_ADDRSTRLEN];
    for (unsigned i = 0; i < 10000; i++) {
        uint8_t a[4] = {bytes[i % 10], bytes[i / 10 % 10], bytes[i / 100 % 10], bytes[i / 1000]};
        inet_ntop(AF_INET, a, want, sizeof want);
        CU_ASSERT_EQUAL(addr_text(got, sizeof got, 4, a), strlen(want));
        CU_ASSERT_STRING_EQUAL(got, want);
    }
}

static void test_ip6_as_inet_ntop(void)
{
    uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8};
    char want[INET6_ADDRSTRLEN], got[INET6_ADDRSTRLEN];
    a[15] = 1;
    inet_ntop(AF_INET6, a, want, sizeof want);
    CU_ASSERT_EQUAL(addr_text(got, sizeof got, 6, a), strlen(want));
    CU_ASSERT_STRING_EQUAL(got, "2001:db8::1");
}

/* The endpoints as reports name them; ports at both ends of their range. */
static void test_endpoints(void)
{
    const uint8_t v4[4] = {192, 0, 2, 1};
    uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8};
    char out[ADDRTEXT_ENDPOINT_MAX], want[ADDRTEXT_ENDPOINT_MAX];
    v6[15] = 1;
    for (unsigned port = 0; port <= 65535; port += 257) {
        snprintf(want, sizeof want, "192.0.2.1:%u", port);
        CU_ASSERT_EQUAL(endpoint_text(out, sizeof out, 4, v4, (uint16_t)port), strlen(want));
        CU_ASSERT_STRING_EQUAL(out, want);
    }
    CU_ASSERT_EQUAL(endpoint_text(out, sizeof out, 6, v6, 65535), strlen("[2001:db8::1]:65535"));
    CU_ASSERT_STRING_EQUAL(out, "[2001:db8::1]:65535");
    /* the longest IPv6 text fits the declared maximum */
    memset(v6, 0xff, sizeof v6);
    v6[0] = 0x1f;
    CU_ASSERT(endpoint_text(out, sizeof out, 6, v6, 65535) > 0);
    CU_ASSERT_EQUAL(strlen(out), sizeof "[1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535" - 1);
}

/* Text that does not fit is not cut: nothing (an empty string) and 0. */
static void test_no_room(void)
{
    const uint8_t v4[4] = {198, 51, 100, 200};
    char out[16];
    memset(out, 'x', sizeof out);
    CU_ASSERT_EQUAL(endpoint_text(out, 15, 4, v4, 25), 0); /* "198.51.100.200:25" is 17 */
    CU_ASSERT_STRING_EQUAL(out, "");
    CU_ASSERT_EQUAL(addr_text(out, 14, 4, v4), 0);
    CU_ASSERT_STRING_EQUAL(out, "");
    CU_ASSERT_EQUAL(addr_text(out, 15, 4, v4), 14);
    CU_ASSERT_STRING_EQUAL(out, "198.51.100.200");
    CU_ASSERT_EQUAL(endpoint_text(out, 0, 4, v4, 25), 0);
}

static void test_decimal(void)
{
    char d[21];
    size_t n = text_decimal(d, UINT64_MAX);
    d[n] = '\0';
    CU_ASSERT_STRING_EQUAL(d, "18446744073709551615");
    n = text_decimal(d, 0);
    d[n] = '\0';
    CU_ASSERT_STRING_EQUAL(d, "0");
}

void add_addrtext_suite(void)
{
    CU_pSuite s = CU_add_suite("addrtext", NULL, NULL);
    CU_add_test(s, "IPv4 as inet_ntop", test_ip4_as_inet_ntop);
    CU_add_test(s, "IPv6 as inet_ntop", test_ip6_as_inet_ntop);
    CU_add_test(s, "endpoints", test_endpoints);
    CU_add_test(s, "no room", test_no_room);
    CU_add_test(s, "decimal", test_decimal);
}
