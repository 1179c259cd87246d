/* base/escape: what the text report and the live screen write of packet bytes. */
#include <CUnit/CUnit.h>
#include <string.h>

#include "base/escape.h"
#include "tests/suites.h"

static void test_line(void)
{
    char out[64];
    CU_ASSERT_EQUAL(escape_line(out, sizeof out, "\x1b]0;x\x07", 6), 12);
    CU_ASSERT_STRING_EQUAL(out, "\\x1b]0;x\\x07");
    escape_line(out, sizeof out, "a\x7f\x80\xff\n\tz", 7);
    CU_ASSERT_STRING_EQUAL(out, "a\\x7f\\x80\\xff\\x0a\\x09z");
    escape_line(out, sizeof out, "nul\0x", 5);
    CU_ASSERT_STRING_EQUAL(out, "nul\\x00x");
    escape_line(out, sizeof out, "ok\x1b]0;pwned\x07\xff", 13);
    CU_ASSERT_STRING_EQUAL(out, "ok\\x1b]0;pwned\\x07\\xff");
}

static void test_bounded(void)
{
    char out[16];
    escape_line(out, 8, "abcdefghijkl", 12);
    CU_ASSERT_STRING_EQUAL(out, "abcdefg");
    /* Never half an escape: "ab" + 4 bytes needs 7 with the NUL. */
    CU_ASSERT_EQUAL(escape_line(out, 6, "ab\x01", 3), 2);
    CU_ASSERT_STRING_EQUAL(out, "ab");
    CU_ASSERT_EQUAL(escape_line(out, 7, "ab\x01", 3), 6);
    CU_ASSERT_STRING_EQUAL(out, "ab\\x01");
    CU_ASSERT_EQUAL(escape_line(out, 1, "abc", 3), 0);
    CU_ASSERT_STRING_EQUAL(out, "");
    out[0] = 'x'; /* a zero-size buffer is not written */
    CU_ASSERT_EQUAL(escape_line(out, 0, "abc", 3), 0);
    CU_ASSERT_EQUAL(out[0], 'x');
}

static void test_every_byte(void)
{
    char all[256], wide[1100];
    for (int i = 0; i < 256; i++)
        all[i] = (char)i;
    size_t n = escape_line(wide, sizeof wide, all, sizeof all);
    CU_ASSERT_EQUAL(n, 95 + 161 * 4);
    CU_ASSERT_EQUAL(escape_len(all, sizeof all, 0), n);
    for (size_t i = 0; i < n; i++)
        CU_ASSERT(wide[i] >= 0x20 && wide[i] < 0x7f);
    /* keeping newlines keeps LF alone */
    CU_ASSERT_EQUAL(escape_text(wide, sizeof wide, all, sizeof all, 1), n - 3);
    CU_ASSERT_EQUAL(escape_len(all, sizeof all, 1), n - 3);
}

static void test_text_and_str(void)
{
    char out[64];
    CU_ASSERT_EQUAL(escape_text(out, sizeof out, "a\nb\r\n", 5, 1), 8);
    CU_ASSERT_STRING_EQUAL(out, "a\nb\\x0d\n");
    CU_ASSERT_EQUAL(escape_str(out, sizeof out, "x\x1b[2Jy"), 9);
    CU_ASSERT_STRING_EQUAL(out, "x\\x1b[2Jy");
    CU_ASSERT_EQUAL(escape_str(out, sizeof out, NULL), 0);
    CU_ASSERT_STRING_EQUAL(out, "");
    CU_ASSERT_EQUAL(escape_len("ab\x01", 3, 0), 6);
    CU_ASSERT_EQUAL(escape_len("", 0, 1), 0);
}

static void test_html(void)
{
    char out[256];
    const char *hostile = "<script>alert(1)</script>\"><img src=x onerror=alert(1)>'&";
    escape_html(out, sizeof out, hostile, strlen(hostile));
    CU_ASSERT_STRING_EQUAL(out, "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x "
                                "onerror=alert(1)&gt;&#39;&amp;");
    CU_ASSERT_PTR_NULL(strchr(out, '<'));
    CU_ASSERT_PTR_NULL(strchr(out, '"'));
    /* control bytes and high bytes as the terminal report shows them */
    CU_ASSERT_EQUAL(escape_html(out, sizeof out, "a\x1b\xff\n", 4), 13);
    CU_ASSERT_STRING_EQUAL(out, "a\\x1b\\xff\\x0a");
    /* a URL scheme does not survive as a string */
    escape_html(out, sizeof out, "<a href=javascript:alert(1)>", 28);
    CU_ASSERT_STRING_EQUAL(out, "&lt;a href=javascript&#58;alert(1)&gt;");
    CU_ASSERT_PTR_NULL(strchr(out, ':'));
}

static void test_html_bounded(void)
{
    char out[16];
    /* "ab" + "&lt;" needs 7 with the NUL: with 6, the entity is left out whole */
    CU_ASSERT_EQUAL(escape_html(out, 6, "ab<", 3), 2);
    CU_ASSERT_STRING_EQUAL(out, "ab");
    CU_ASSERT_EQUAL(escape_html(out, 7, "ab<", 3), 6);
    CU_ASSERT_STRING_EQUAL(out, "ab&lt;");
    CU_ASSERT_EQUAL(escape_html(out, 9, "\"\"", 2), 6);
    CU_ASSERT_STRING_EQUAL(out, "&quot;");
    out[0] = 'x';
    CU_ASSERT_EQUAL(escape_html(out, 0, "<", 1), 0);
    CU_ASSERT_EQUAL(out[0], 'x');
    /* every byte value: nothing HTML reads as markup survives */
    char all[256], wide[256 * ESCAPE_HTML_MAX + 1];
    for (int i = 0; i < 256; i++)
        all[i] = (char)i;
    size_t n = escape_html(wide, sizeof wide, all, sizeof all);
    CU_ASSERT_EQUAL(n, 89 + 161 * 4 + 5 + 4 + 4 + 6 + 5 + 5);
    CU_ASSERT_PTR_NULL(strpbrk(wide, "<>\"':"));
}

void add_escape_suite(void)
{
    CU_pSuite s = CU_add_suite("escape", NULL, NULL);
    CU_add_test(s, "one line", test_line);
    CU_add_test(s, "bounded, never half an escape", test_bounded);
    CU_add_test(s, "every byte value", test_every_byte);
    CU_add_test(s, "newlines kept, strings", test_text_and_str);
    CU_add_test(s, "HTML entities", test_html);
    CU_add_test(s, "HTML bounded, every byte", test_html_bounded);
}
