/* html: the ladder's geometry (time compressed past a threshold), the timeline's axis, and a
 * page built from a hostile session: escaped, bounded, one drawing per session and group. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html/html.h"
#include "tests/suites.h"

static const int64_t T0 = 1772442000000000;
static const int64_t SEC = 1000000;

static void test_rows_linear(void)
{
    int64_t ts[4] = {T0, T0, T0 + SEC, T0 + 3 * SEC};
    double y[4];
    unsigned char broken[4];
    double bottom = html_ladder_rows(ts, 4, 10.0, y, broken);
    CU_ASSERT_DOUBLE_EQUAL(y[0], 10.0, 1e-9);
    /* the same time: one row apart */
    CU_ASSERT_DOUBLE_EQUAL(y[1] - y[0], HTML_ROW, 1e-9);
    /* short gaps in proportion: 2 s twice the extra room of 1 s */
    CU_ASSERT_DOUBLE_EQUAL(y[2] - y[1], HTML_ROW + HTML_PX_PER_S, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(y[3] - y[2], HTML_ROW + 2 * HTML_PX_PER_S, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(bottom, y[3] + HTML_ROW, 1e-9);
    for (int i = 0; i < 4; i++)
        CU_ASSERT_FALSE(broken[i]);
}

static void test_rows_compressed(void)
{
    /* 60 s and 600 s of silence take the same room, marked as breaks */
    int64_t ts[4] = {T0, T0 + 60 * SEC, T0 + 660 * SEC, T0 + 660 * SEC + SEC / 2};
    double y[4];
    unsigned char broken[4];
    html_ladder_rows(ts, 4, 0.0, y, broken);
    CU_ASSERT_TRUE(broken[1]);
    CU_ASSERT_TRUE(broken[2]);
    CU_ASSERT_FALSE(broken[3]);
    CU_ASSERT_DOUBLE_EQUAL(y[1] - y[0], HTML_ROW + HTML_BREAK_PX, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(y[2] - y[1], y[1] - y[0], 1e-9);
    int64_t edge[3] = {T0, T0 + (int64_t)(HTML_GAP_LINEAR * SEC),
                       T0 + 2 * (int64_t)(HTML_GAP_LINEAR * SEC) + 1};
    html_ladder_rows(edge, 3, 0.0, y, broken);
    CU_ASSERT_FALSE(broken[1]); /* exactly the threshold: still linear */
    CU_ASSERT_DOUBLE_EQUAL(y[1], HTML_ROW + HTML_GAP_LINEAR * HTML_PX_PER_S, 1e-9);
    CU_ASSERT_TRUE(broken[2]);
}

static void test_axis(void)
{
    CU_ASSERT_DOUBLE_EQUAL(html_axis_x(T0, T0, T0 + 600 * SEC, 70, 860), 70.0, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(html_axis_x(T0 + 600 * SEC, T0, T0 + 600 * SEC, 70, 860), 930.0, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(html_axis_x(T0 + 150 * SEC, T0, T0 + 600 * SEC, 70, 860), 285.0, 1e-9);
    /* a single time (or attempts at one instant): the middle */
    CU_ASSERT_DOUBLE_EQUAL(html_axis_x(T0, T0, T0, 70, 860), 500.0, 1e-9);
}

/* ---- a page ---- */

static smtp_session *sess;
static uint64_t frame;

static void at(double t, smtp_dir dir, const char *bytes)
{
    smtp_feed(sess, dir, (const uint8_t *)bytes, strlen(bytes), T0 + (int64_t)(t * SEC), ++frame);
}

/* A Mailguard-like session whose greeting and commands carry markup: the end of data split
 * in two and never answered. */
static const smtp_report *hostile_session(void)
{
    sess = smtp_session_new(T0, 1);
    frame = 1;
    at(0.0, SMTP_SERVER, "220 <script>alert(1)</script> ESMTP\r\n");
    at(0.1, SMTP_CLIENT, "EHLO \"><img src=x onerror=alert(1)>\r\n");
    at(0.1, SMTP_SERVER, "250 ok\r\n");
    at(0.2, SMTP_CLIENT, "MAIL FROM:<javascript:alert(1)>\r\n");
    at(0.2, SMTP_SERVER, "250 ok\r\n");
    at(0.3, SMTP_CLIENT, "RCPT TO:<b@y>\r\n");
    at(0.3, SMTP_SERVER, "250 ok\r\n");
    at(0.4, SMTP_CLIENT, "DATA\r\n");
    at(0.4, SMTP_SERVER, "354 go\r\n");
    at(0.5, SMTP_CLIENT, "Subject: <b>x</b>\r\n\r\nbody\r\n");
    at(0.6, SMTP_CLIENT, ".\r\n");
    smtp_end(sess, SMTP_END_FIN, SMTP_CLIENT, T0 + 60 * SEC, ++frame);
    return smtp_get_report(sess);
}

static unsigned count(const char *hay, const char *needle)
{
    unsigned n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

/* The page of n copies of the session (drawn: how many in full) and one group of them,
 * written times times from the one doc (live: each period); the last one is returned. */
static char *page_times(unsigned n, unsigned drawn, size_t *len, int times)
{
    const smtp_report *s = hostile_session();
    html_doc *d = html_new(drawn);
    html_cause c = {CAUSE_INSPECTION, 0.99};
    for (unsigned i = 0; i < n; i++) {
        html_session_in in = {i + 1, "198.51.100.1:40000", "<i>192.0.2.1:25</i>", NULL, s, &c, 1};
        html_add_session(d, &in);
    }
    html_attempt a[2] = {{1, T0, 0, HTML_NOT_ACKED, NULL},
                         {2, T0 + 600 * SEC, 250, HTML_ACKED, NULL}};
    const char *ev[1] = {"evidence <u>from</u> a packet"};
    html_group g = {.id = 1,
                    .key = "<mid@x>",
                    .mail_from = "<a@x>",
                    .rcpt = "<b@y>",
                    .acknowledged = 1,
                    .interval_median = 600,
                    .attempts = a,
                    .n = 2,
                    .cause = c,
                    .evidence = ev,
                    .nevidence = 1};
    uint64_t per_flag[SMTP_FLAG_COUNT] = {0};
    html_facts f = {.source = "cap<ture>.pcap",
                    .packets = 10,
                    .first = T0,
                    .last = T0 + SEC,
                    .sessions = n,
                    .flagged = n,
                    .per_flag = per_flag,
                    .groups = 1};
    char *buf = NULL;
    for (int k = 0; k < times; k++) {
        free(buf);
        buf = NULL;
        FILE *out = open_memstream(&buf, len);
        html_begin(d, out, &f, &g, 1);
        html_group_timeline(d, out, &g);
        html_end(d, out);
        fclose(out);
    }
    html_free(d);
    smtp_session_free(sess);
    return buf;
}

static char *page(unsigned n, unsigned drawn, size_t *len)
{
    return page_times(n, drawn, len, 1);
}

static void test_page_escaped(void)
{
    size_t len;
    char *p = page(2, 200, &len);
    CU_ASSERT_PTR_NULL(strstr(p, "<script"));
    CU_ASSERT_PTR_NULL(strstr(p, "<img"));
    CU_ASSERT_PTR_NULL(strstr(p, "<b>x"));
    CU_ASSERT_PTR_NULL(strstr(p, "<i>"));
    CU_ASSERT_PTR_NULL(strstr(p, "<u>"));
    CU_ASSERT_PTR_NULL(strstr(p, "<mid@x>"));
    CU_ASSERT_PTR_NULL(strstr(p, "<ture>"));
    CU_ASSERT_PTR_NULL(strstr(p, "\"><img"));
    /* shown as text, so the reader sees what was sent */
    CU_ASSERT_PTR_NOT_NULL(strstr(p, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    CU_ASSERT_PTR_NOT_NULL(strstr(p, "EHLO &quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
    /* one SVG per drawn session and per group; the policy allows nothing but inline style */
    CU_ASSERT_EQUAL(count(p, "<svg"), 3);
    CU_ASSERT_EQUAL(count(p, "<script"), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(p, "default-src 'none'; style-src 'unsafe-inline'"));
    /* the ladder: the split terminator drawn twice, the missing reply marked, the 60 s
     * silence compressed */
    CU_ASSERT_EQUAL(count(p, "end of data, part 1 of 2"), 2);
    CU_ASSERT_EQUAL(count(p, "end of data, part 2 of 2"), 2);
    CU_ASSERT_EQUAL(count(p, "no reply to end of data"), 2);
    CU_ASSERT(count(p, "s of silence (compressed)") >= 2);
    free(p);
}

static void test_page_bounded(void)
{
    size_t small, big;
    free(page(1, 1, &small));
    char *p = page(50, 1, &big);
    /* one drawn, the rest a table row each: far less than 50 drawings */
    CU_ASSERT_EQUAL(count(p, "<svg"), 2);
    CU_ASSERT_EQUAL(count(p, "<tr id=\"s"), 49);
    CU_ASSERT(big < small + 49 * 1000);
    free(p);
}

static void test_page_again(void)
{
    size_t once, again;
    char *a = page_times(2, 200, &once, 1);
    /* more times than HTML_GROUPS_DRAWN: a count kept across pages would stop drawing it */
    char *b = page_times(2, 200, &again, HTML_GROUPS_DRAWN + 20);
    /* the last page is the first: the group is drawn every time, nothing accumulates */
    CU_ASSERT_EQUAL(once, again);
    CU_ASSERT_STRING_EQUAL(a, b);
    CU_ASSERT_EQUAL(count(b, "<svg class=\"timeline\""), 1);
    free(a);
    free(b);
}

/* ---- POP3 ---- */

static pop3_session *psess;

static void pat(double t, flow_side dir, const char *bytes)
{
    pop3_feed(psess, dir, (const uint8_t *)bytes, strlen(bytes), T0 + (int64_t)(t * SEC), ++frame);
}

/* A collector whose greeting and user name carry markup and a script URL: it downloads and
 * DELEtes message 1, then resets the connection without QUIT (the server rolls it back). */
static const pop3_report *hostile_pop3(void)
{
    psess = pop3_session_new(T0, 1);
    frame = 1;
    pat(0.0, FLOW_SERVER, "+OK <script>alert(1)</script> ready\r\n");
    pat(0.1, FLOW_CLIENT, "USER javascript:alert(1)\r\n");
    pat(0.1, FLOW_SERVER, "+OK\r\n");
    pat(0.2, FLOW_CLIENT, "PASS secret-password\r\n");
    pat(0.2, FLOW_SERVER, "+OK Logged in.\r\n");
    pat(0.3, FLOW_CLIENT, "RETR 1\r\n");
    pat(0.3, FLOW_SERVER, "+OK 30 octets\r\nMessage-ID: <m@x>\r\n\r\nbody\r\n.\r\n");
    pat(0.4, FLOW_CLIENT, "DELE 1\r\n");
    pat(0.4, FLOW_SERVER, "+OK Marked to be deleted.\r\n");
    pop3_end(psess, FLOW_END_RST, FLOW_CLIENT, T0 + SEC, ++frame);
    return pop3_get_report(psess);
}

static char *pop3_page(size_t *len)
{
    const pop3_report *s = hostile_pop3();
    html_doc *d = html_new(10);
    html_pop3_in in = {7, "198.51.100.1:40000", "192.0.2.1:110", NULL, s};
    html_add_pop3_session(d, &in);
    html_attempt a[3] = {{7, T0, 0, HTML_NOT_ACKED, "rolled back"},
                         {8, T0 + 60 * SEC, 0, HTML_KEPT, "kept"},
                         {9, T0 + 120 * SEC, 0, HTML_ACKED, "deleted"}};
    const char *ev[1] = {"session 7 <b>ended</b>"};
    html_group g = {.id = 0,
                    .pop3 = 1,
                    .pop3_cause = "pop3_rollback",
                    .pop3_fix = "fix what cuts the session",
                    .key = "<m@x>",
                    .mail_from = "javascript:alert(1)@192.0.2.1",
                    .interval_median = 60,
                    .attempts = a,
                    .n = 3,
                    .cause = {CAUSE_NONE, 0.9},
                    .evidence = ev,
                    .nevidence = 1};
    uint64_t per_flag[POP3_FLAG_COUNT] = {0};
    html_facts f = {.source = "p.pcap",
                    .packets = 10,
                    .first = T0,
                    .last = T0 + SEC,
                    .pop3_sessions = 1,
                    .pop3_flagged = 1,
                    .pop3_per_flag = per_flag,
                    .redownloads = 1,
                    .pop3_cause = "pop3_rollback",
                    .pop3_fix = "fix what cuts the session",
                    .pop3_score = 0.9,
                    .triage_more =
                        "- Client <x> never sent QUIT in 3 sessions.\nnot a line\n- last"};
    char *buf = NULL;
    FILE *out = open_memstream(&buf, len);
    html_begin(d, out, &f, NULL, 0);
    html_redownloads(d, out, 1);
    html_group_timeline(d, out, &g);
    html_end(d, out);
    fclose(out);
    html_free(d);
    pop3_session_free(psess);
    return buf;
}

static void test_pop3_page(void)
{
    size_t len;
    char *p = pop3_page(&len);
    /* escaped: no markup, no script URL, no password */
    CU_ASSERT_PTR_NULL(strstr(p, "<script"));
    CU_ASSERT_PTR_NULL(strstr(p, "<b>ended"));
    CU_ASSERT_PTR_NULL(strstr(p, "<x>"));
    CU_ASSERT_PTR_NULL(strstr(p, "javascript:"));
    CU_ASSERT_PTR_NULL(strstr(p, "secret-password"));
    CU_ASSERT_PTR_NOT_NULL(strstr(p, "USER javascript&#58;alert(1)"));
    /* the verdict: the POP3 cause leads when no SMTP one does; the triage's lines as items */
    CU_ASSERT_PTR_NOT_NULL(strstr(p, "Likely cause: pop3_rollback, confidence 0.90"));
    CU_ASSERT_PTR_NOT_NULL(strstr(p, "<li>Client &lt;x&gt; never sent QUIT in 3 sessions.</li>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(p, "<li>last</li>"));
    CU_ASSERT_PTR_NULL(strstr(p, "not a line"));
    CU_ASSERT_PTR_NULL(strstr(p, "0 SMTP sessions"));
    /* the ladder: a POP3 session, its rollback marked after the reset */
    CU_ASSERT_EQUAL(count(p, "<svg"), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(p, "POP3 session 7"));
    const char *rst = strstr(p, "RST from the client"),
               *mark = strstr(p, "no +OK to QUIT&#58; 1 deletion rolled back");
    CU_ASSERT(rst && mark && rst < mark);
    CU_ASSERT_PTR_NOT_NULL(strstr(p, "pop3_dele_uncommitted"));
    /* the timeline: one mark of each kind, labelled */
    CU_ASSERT_PTR_NOT_NULL(strstr(p, "id=\"r0\""));
    CU_ASSERT_EQUAL(count(p, "class=\"nack\""), 1);
    CU_ASSERT_EQUAL(count(p, "class=\"keep\""), 1);
    CU_ASSERT_EQUAL(count(p, "class=\"ack\""), 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(p, ">rolled back</text>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(p, "downloaded 3 times"));
    free(p);
}

void add_html_suite(void)
{
    CU_pSuite s = CU_add_suite("html", NULL, NULL);
    CU_add_test(s, "ladder rows: short gaps in proportion", test_rows_linear);
    CU_add_test(s, "ladder rows: long silences compressed", test_rows_compressed);
    CU_add_test(s, "timeline axis", test_axis);
    CU_add_test(s, "a hostile session's page is escaped", test_page_escaped);
    CU_add_test(s, "sessions past the drawn ones are rows", test_page_bounded);
    CU_add_test(s, "a page written again is the same", test_page_again);
    CU_add_test(s, "a POP3 session and re-download, escaped", test_pop3_page);
}
