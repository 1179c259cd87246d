/* base/base64: the records a --sensor run writes and --merge reads back. */
#include <CUnit/CUnit.h>
#include <stdint.h>
#include <string.h>

#include "base/base64.h"
#include "tests/suites.h"

/* RFC 4648 section 10's vectors, both ways. */
static void test_rfc_vectors(void)
{
    static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const coded[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
                                        "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (int i = 0; i < 7; i++) {
        char out[16];
        uint8_t back[16];
        size_t n = strlen(plain[i]);
        CU_ASSERT_EQUAL(base64_encoded_len(n), strlen(coded[i]));
        base64_encode(out, plain[i], n);
        CU_ASSERT_STRING_EQUAL(out, coded[i]);
        CU_ASSERT_EQUAL(base64_decode(back, sizeof back, coded[i], strlen(coded[i])), (long)n);
        CU_ASSERT_EQUAL(memcmp(back, plain[i], n), 0);
    }
}

static void test_every_byte_round_trip(void)
{
    uint8_t all[256], back[256];
    char text[400];
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)(255 - i);
    for (size_t n = 250; n <= 256; n++) {
        base64_encode(text, all, n);
        CU_ASSERT_EQUAL(base64_decode(back, sizeof back, text, strlen(text)), (long)n);
        CU_ASSERT_EQUAL(memcmp(back, all, n), 0);
    }
}

/* What no encoder writes is refused, and nothing is written past cap. */
static void test_refused(void)
{
    uint8_t out[8];
    static const char *const bad[] = {"Zg=",      "Zg",   "Z===", "Zh==",   "Zm9=", "Zm9v!A==",
                                      "Zg==Zg==", "=m9v", "Zm=v", "Zm9v\n", "Zm 9"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CU_ASSERT_EQUAL(base64_decode(out, sizeof out, bad[i], strlen(bad[i])), -1);
    memset(out, 0x55, sizeof out);
    CU_ASSERT_EQUAL(base64_decode(out, 5, "Zm9vYmFy", 8), -1); /* 6 bytes into 5 */
    CU_ASSERT_EQUAL(out[5], 0x55);
    CU_ASSERT_EQUAL(base64_decode(out, 6, "Zm9vYmFy", 8), 6);
}

void add_base64_suite(void)
{
    CU_pSuite s = CU_add_suite("base64", NULL, NULL);
    CU_add_test(s, "RFC 4648 vectors", test_rfc_vectors);
    CU_add_test(s, "every byte, every tail length", test_every_byte_round_trip);
    CU_add_test(s, "not canonical: refused, bounded", test_refused);
}
