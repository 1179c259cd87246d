/* report_unseen: connections seen without their handshake, as a JSON line at once or listed
 * (the first REPORT_UNSEEN_LISTED) before the text summary, and counted in both summaries. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "tests/suites.h"

static const int64_t T0 = 1772442000000000; /* 2026-03-02 09:00:00 UTC */

static unseen_conn conn(unsigned i)
{
    unseen_conn u;
    memset(&u, 0, sizeof u);
    snprintf(u.client, sizeof u.client, "198.51.100.%u:%u", i % 250, 40000 + i);
    snprintf(u.server, sizeof u.server, "192.0.2.25:25");
    u.first = T0 + 123456 + (int64_t)i * 1000000;
    u.last = u.first + 2500000;
    u.first_frame = 10 + i;
    u.last_frame = 20 + i;
    u.packets = 7;
    u.bytes = 512;
    u.syn_seen = i % 2;
    return u;
}

typedef struct out {
    FILE *f;
    char *buf;
    size_t len;
} out;

/* n connections through a report of fmt, then the summary; the caller frees o->buf. */
static void render(out *o, report_format fmt, unsigned n, int quiet)
{
    o->buf = NULL;
    o->f = open_memstream(&o->buf, &o->len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o->f);
    report *r = report_new(o->f, fmt, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    if (quiet)
        report_quiet_sessions(r);
    for (unsigned i = 0; i < n; i++) {
        unseen_conn u = conn(i);
        report_unseen(r, &u);
    }
    capture_summary cap = {.source = "unseen.pcap", .frames = 3, .matched = 3};
    report_summary(r, &cap);
    CU_ASSERT_EQUAL(report_error(r), 0);
    report_free(r);
    fclose(o->f);
}

static unsigned count(const char *hay, const char *needle)
{
    unsigned n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

static void test_json_line(void)
{
    out o;
    render(&o, REPORT_JSON, 2, 0);
    const char *want =
        "{\"type\":\"not_analysed\",\"reason\":\"no_handshake\",\"client\":\"198.51.100.0:40000\","
        "\"server\":\"192.0.2.25:25\",\"start\":1772442000.123456,\"end\":1772442002.623456,"
        "\"first_frame\":10,\"last_frame\":20,\"packets\":7,\"bytes\":512}\n"
        "{\"type\":\"not_analysed\",\"reason\":\"handshake_incomplete\",\"client\":"
        "\"198.51.100.1:40001\",\"server\":\"192.0.2.25:25\",\"start\":1772442001.123456,"
        "\"end\":1772442003.623456,\"first_frame\":11,\"last_frame\":21,\"packets\":7,"
        "\"bytes\":512}\n"
        "{\"type\":\"summary\",";
    CU_ASSERT_EQUAL(strncmp(o.buf, want, strlen(want)), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(o.buf, "\"non_smtp_sessions\":0,\"not_analysed\":2,"));
    free(o.buf);
}

static void test_json_lists_all(void)
{
    out o;
    render(&o, REPORT_JSON, 150, 1); /* quiet sessions: connections are still written */
    CU_ASSERT_EQUAL(count(o.buf, "\"type\":\"not_analysed\""), 150);
    CU_ASSERT_PTR_NOT_NULL(strstr(o.buf, "\"not_analysed\":150,"));
    free(o.buf);
}

static void test_text_listing(void)
{
    out o;
    render(&o, REPORT_TEXT, 1, 0);
    const char *want = "Not analysed: 1 TCP connection whose handshake is not in the capture (it "
                       "started mid-session, or the SYN was lost)\n"
                       "  198.51.100.0:40000 -> 192.0.2.25:25  2026-03-02 09:00:00.123456 UTC  "
                       "frames 10-20, 7 packets, 512 bytes\n"
                       "\n"
                       "Summary of unseen.pcap\n";
    CU_ASSERT_EQUAL(strncmp(o.buf, want, strlen(want)), 0);
    CU_ASSERT_PTR_NOT_NULL(
        strstr(o.buf, "\n  not analysed  1 connection without a handshake (listed above)\n"));
    free(o.buf);
}

static void test_text_listing_bounded(void)
{
    out o;
    render(&o, REPORT_TEXT, REPORT_UNSEEN_LISTED + 23, 0);
    CU_ASSERT_EQUAL(strncmp(o.buf, "Not analysed: 123 TCP connections whose", 39), 0);
    CU_ASSERT_EQUAL(count(o.buf, " -> 192.0.2.25:25  "), REPORT_UNSEEN_LISTED);
    CU_ASSERT_EQUAL(count(o.buf, "(SYN seen, handshake never completed)"), 50);
    CU_ASSERT_PTR_NOT_NULL(strstr(o.buf, "  198.51.100.99:40099 -> "));
    CU_ASSERT_PTR_NULL(strstr(o.buf, ":40100 -> "));
    CU_ASSERT_PTR_NOT_NULL(strstr(o.buf, "\n  ... and 23 more (--json lists them all)\n\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(o.buf, "\n  not analysed  123 connections without a handshake"));
    free(o.buf);
}

static void test_text_none(void)
{
    out o;
    render(&o, REPORT_TEXT, 0, 0);
    CU_ASSERT_EQUAL(strncmp(o.buf, "Summary of unseen.pcap\n", 23), 0);
    CU_ASSERT_PTR_NULL(strstr(o.buf, "not analysed"));
    free(o.buf);
}

/* The addresses are the capture side's own formatting; a damaged record (a worker's bytes)
 * still cannot put a control sequence on the terminal. */
static void test_text_escaped(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    report *r = report_new(f, REPORT_TEXT, 0);
    unseen_conn u = conn(0);
    snprintf(u.client, sizeof u.client, "\x1b]0;owned\x07:1");
    report_unseen(r, &u);
    capture_summary cap = {.source = "x"};
    report_summary(r, &cap);
    report_free(r);
    fclose(f);
    CU_ASSERT_PTR_NULL(memchr(buf, 0x1b, len));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "  \\x1b]0;owned\\x07:1 -> 192.0.2.25:25  "));
    free(buf);
}

void add_unseen_suite(void)
{
    CU_pSuite s = CU_add_suite("unseen", NULL, NULL);
    CU_add_test(s, "JSON line", test_json_line);
    CU_add_test(s, "JSON lists all, quiet or not", test_json_lists_all);
    CU_add_test(s, "text listing", test_text_listing);
    CU_add_test(s, "text listing bounded", test_text_listing_bounded);
    CU_add_test(s, "text: none, nothing said", test_text_none);
    CU_add_test(s, "text escaped", test_text_escaped);
}
