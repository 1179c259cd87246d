/* The JSON writer: packet bytes must never break a line. */
#include <CUnit/CUnit.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "report/json.h"
#include "tests/suites.h"

static json j;

static const char *render_bytes(const char *s, size_t n)
{
    json_reset(&j);
    json_bytes(&j, s, n);
    json_bytes(&j, "", 0); /* a second value proves the separator logic too */
    static char out[512];
    size_t len = j.len < sizeof out - 1 ? j.len : sizeof out - 1;
    memcpy(out, j.buf, len);
    out[len] = '\0';
    return out;
}

static void test_plain_and_quotes(void)
{
    CU_ASSERT_STRING_EQUAL(render_bytes("a\"b\\c", 5), "\"a\\\"b\\\\c\",\"\"");
}

static void test_control_bytes(void)
{
    CU_ASSERT_STRING_EQUAL(render_bytes("\r\n\t\x1b[2J\x7f", 8),
                           "\"\\r\\n\\t\\u001b[2J\\u007f\",\"\"");
    CU_ASSERT_STRING_EQUAL(render_bytes("a\0b", 3), "\"a\\u0000b\",\"\"");
}

/* Plain runs are copied whole: every kind of byte at each end of a run, and runs across the
 * whole of one byte value range, come out as one byte at a time would have written them. */
static void test_runs_between_escapes(void)
{
    CU_ASSERT_STRING_EQUAL(render_bytes("ab\"cd\\ef\ngh", 11), "\"ab\\\"cd\\\\ef\\ngh\",\"\"");
    CU_ASSERT_STRING_EQUAL(render_bytes("x\x7fy\x1fz", 5), "\"x\\u007fy\\u001fz\",\"\"");
    CU_ASSERT_STRING_EQUAL(render_bytes("~ \xc3\xa9!", 5), "\"~ \xc3\xa9!\",\"\"");
    char all[96], want[200];
    size_t n = 0;
    for (int c = 0x20; c < 0x7f; c++)
        all[n++] = (char)c;
    snprintf(want, sizeof want, "\"%.2s\\\"%.57s\\\\%.34s\",\"\"", all, all + 3, all + 61);
    CU_ASSERT_STRING_EQUAL(render_bytes(all, n), want);
}

static void test_base64_field(void)
{
    json_reset(&j);
    json_begin_object(&j);
    json_field_base64(&j, "data", "foob", 4);
    json_field_base64(&j, "none", "", 0);
    json_end_object(&j);
    CU_ASSERT_EQUAL(j.len, strlen("{\"data\":\"Zm9vYg==\",\"none\":\"\"}"));
    CU_ASSERT_EQUAL(memcmp(j.buf, "{\"data\":\"Zm9vYg==\",\"none\":\"\"}", j.len), 0);
}

static void test_utf8_kept_invalid_escaped(void)
{
    CU_ASSERT_STRING_EQUAL(render_bytes("caf\xc3\xa9", 5), "\"caf\xc3\xa9\",\"\"");
    CU_ASSERT_STRING_EQUAL(render_bytes("\xff\xc3", 2), "\"\\u00ff\\u00c3\",\"\"");
    /* overlong encoding of '/' and a UTF-16 surrogate are not valid UTF-8 */
    CU_ASSERT_STRING_EQUAL(render_bytes("\xc0\xaf", 2), "\"\\u00c0\\u00af\",\"\"");
    CU_ASSERT_STRING_EQUAL(render_bytes("\xed\xa0\x80", 3), "\"\\u00ed\\u00a0\\u0080\",\"\"");
    CU_ASSERT_STRING_EQUAL(render_bytes("\xf0\x9f\x93\xa7", 4), "\"\xf0\x9f\x93\xa7\",\"\"");
    /* lead bytes 0xf5..0xff start no sequence (found by fuzz_pipeline) */
    CU_ASSERT_STRING_EQUAL(render_bytes("\xf6\xb2\xad", 3), "\"\\u00f6\\u00b2\\u00ad\",\"\"");
}

static void test_structure(void)
{
    json_reset(&j);
    json_begin_object(&j);
    json_key(&j, "a");
    json_int(&j, -3);
    json_key(&j, "b");
    json_begin_array(&j);
    json_uint(&j, 1);
    json_null(&j);
    json_bool(&j, 1);
    json_end_array(&j);
    json_key(&j, "t");
    json_time(&j, 1772442000123456);
    json_key(&j, "d");
    json_seconds(&j, -1500000);
    json_key(&j, "s");
    json_str(&j, NULL);
    json_end_object(&j);
    const char *want = "{\"a\":-3,\"b\":[1,null,true],\"t\":1772442000.123456,\"d\":-1.500000,"
                       "\"s\":null}";
    CU_ASSERT_EQUAL(j.len, strlen(want));
    CU_ASSERT(j.len == strlen(want) && memcmp(j.buf, want, j.len) == 0);
}

/* Numbers at every digit-pair boundary, checked against printf. */
static void test_numbers_against_printf(void)
{
    static const uint64_t v[] = {0,         1,       9,         10,         11,
                                 99,        100,     101,       999,        1000,
                                 1000000,   1000001, 123456789, 9999999999, UINT64_MAX / 2,
                                 UINT64_MAX};
    char want[64];
    for (unsigned i = 0; i < sizeof v / sizeof v[0]; i++) {
        json_reset(&j);
        json_uint(&j, v[i]);
        snprintf(want, sizeof want, "%" PRIu64, v[i]);
        CU_ASSERT(j.len == strlen(want) && memcmp(j.buf, want, j.len) == 0);
        int64_t us = (int64_t)(v[i] >> 1);
        json_reset(&j);
        json_seconds(&j, -us);
        snprintf(want, sizeof want, "%s%" PRId64 ".%06" PRId64, us ? "-" : "", us / 1000000,
                 us % 1000000);
        CU_ASSERT(j.len == strlen(want) && memcmp(j.buf, want, j.len) == 0);
    }
    json_reset(&j);
    json_int(&j, INT64_MIN);
    CU_ASSERT(j.len == 20 && memcmp(j.buf, "-9223372036854775808", 20) == 0);
}

static void test_fields_or_null(void)
{
    json_reset(&j);
    json_begin_object(&j);
    json_field_int_or_null(&j, "a", 1, -250);
    json_field_int_or_null(&j, "b", 0, -250);
    json_field_uint_or_null(&j, "c", 1, 7);
    json_field_uint_or_null(&j, "d", 0, 7);
    json_field_time_or_null(&j, "e", 1, 1772442000123456);
    json_field_seconds_or_null(&j, "f", 0, 1);
    if (json_key_or_null(&j, "g", 1)) {
        json_begin_array(&j);
        json_end_array(&j);
    }
    CU_ASSERT_EQUAL(json_key_or_null(&j, "h", 0), 0);
    json_end_object(&j);
    const char *want = "{\"a\":-250,\"b\":null,\"c\":7,\"d\":null,\"e\":1772442000.123456,"
                       "\"f\":null,\"g\":[],\"h\":null}";
    CU_ASSERT(j.len == strlen(want) && memcmp(j.buf, want, j.len) == 0);
}

static int setup(void)
{
    json_init(&j);
    return 0;
}

static int teardown(void)
{
    json_free(&j);
    return 0;
}

void add_json_suite(void)
{
    CU_pSuite s = CU_add_suite("json", setup, teardown);
    CU_add_test(s, "quotes and backslashes", test_plain_and_quotes);
    CU_add_test(s, "numbers as printf writes them", test_numbers_against_printf);
    CU_add_test(s, "control bytes", test_control_bytes);
    CU_add_test(s, "plain runs between escapes", test_runs_between_escapes);
    CU_add_test(s, "base64 fields", test_base64_field);
    CU_add_test(s, "UTF-8 kept, invalid escaped", test_utf8_kept_invalid_escaped);
    CU_add_test(s, "structure", test_structure);
    CU_add_test(s, "fields or null", test_fields_or_null);
}
