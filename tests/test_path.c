/* path/: pairing the sessions of two capture points and what the box between them changed,
 * on sessions played through the real SMTP analyser (each line's time on both sides given). */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "path/path.h"
#include "report/report.h"
#include "smtp/smtp.h"
#include "tests/suites.h"

static const int64_t T0 = 1772442000000000; /* 2026-03-02 09:00:00 UTC */
static const int64_t MS = 1000, SEC = 1000000;

/* One line of a session: who sent it, as the outside saw it and as the inside did (NULL: the
 * same; "": not on that side). */
typedef struct line {
    char side; /* 'C' client, 'S' server */
    const char *out, *in;
} line;

/* How the box and the clocks shift the inside: a client line reaches the server to_server
 * later, a server line left it to_client before the outside saw it; the inside's clock runs
 * offset ahead. */
typedef struct box {
    int64_t to_server, to_client, offset;
} box;

static const box PLAIN = {1 * MS, 2 * MS, 0};

#define MSG(id) "From: a@x\r\nMessage-ID: <" id ">\r\nSubject: s\r\n\r\nbody of " id "\r\n"

/* The clean dialogue of a message; lines may be overridden by the caller's copy. */
#define CLEAN(id)                                                                                  \
    {'S', "220 mx.example ESMTP\r\n", NULL}, {'C', "EHLO c.example\r\n", NULL},                    \
        {'S', "250 mx.example\r\n", NULL}, {'C', "MAIL FROM:<a@x>\r\n", NULL},                     \
        {'S', "250 ok\r\n", NULL}, {'C', "RCPT TO:<b@y>\r\n", NULL}, {'S', "250 ok\r\n", NULL},    \
        {'C', "DATA\r\n", NULL}, {'S', "354 go\r\n", NULL}, {'C', MSG(id) ".\r\n", NULL},          \
        {'S', "250 queued\r\n", NULL}, {'C', "QUIT\r\n", NULL},                                    \
    {                                                                                              \
        'S', "221 bye\r\n", NULL                                                                   \
    }

typedef struct played {
    smtp_session *s[2];
} played;

/* Plays lines on both sides from t, 10 ms apart outside; ends each side as told. */
static played play(const line *l, size_t n, int64_t t, box b, smtp_end_reason why_out, int by_out,
                   smtp_end_reason why_in, int by_in)
{
    played p = {{smtp_session_new(t, 1), smtp_session_new(t + b.offset + b.to_server, 1)}};
    uint64_t frame[2] = {1, 1};
    for (size_t i = 0; i < n; i++) {
        int client = l[i].side == 'C';
        int64_t at = t + (int64_t)(i + 1) * 10 * MS;
        const char *text[2] = {l[i].out, l[i].in ? l[i].in : l[i].out};
        int64_t when[2] = {at, at + b.offset + (client ? b.to_server : -b.to_client)};
        for (int v = 0; v < 2; v++)
            if (text[v][0])
                smtp_feed(p.s[v], client ? SMTP_CLIENT : SMTP_SERVER, (const uint8_t *)text[v],
                          strlen(text[v]), when[v], ++frame[v]);
    }
    int64_t end = t + (int64_t)(n + 2) * 10 * MS;
    smtp_end(p.s[0], why_out, by_out, end, ++frame[0]);
    smtp_end(p.s[1], why_in, by_in, end + b.offset, ++frame[1]);
    return p;
}

/* Both sides of a session into the comparison, numbered id (outside) and id + 100 (inside). */
static void add(path *pt, played p, uint64_t id)
{
    path_add(pt, PATH_OUTSIDE, id, "192.0.2.10:40000", "198.51.100.25:25", smtp_get_report(p.s[0]));
    path_add(pt, PATH_INSIDE, id + 100, "10.9.0.1:61000", "10.9.0.25:25", smtp_get_report(p.s[1]));
    smtp_session_free(p.s[0]);
    smtp_session_free(p.s[1]);
}

static void add_clean(path *pt, const line *l, size_t n, uint64_t id, int64_t t, box b)
{
    add(pt, play(l, n, t, b, SMTP_END_FIN, SMTP_CLIENT, SMTP_END_FIN, SMTP_CLIENT), id);
}

static int has(const path_pair *p, path_finding f)
{
    return (p->findings >> f & 1) != 0;
}

static int evidence_has(const path_pair *p, const char *needle)
{
    for (unsigned e = 0; e < p->nevidence; e++)
        if (strstr(p->evidence[e], needle))
            return 1;
    return 0;
}

#define N(a) (sizeof a / sizeof a[0])

static void test_clean_pair_only_delay(void)
{
    static const line l[] = {CLEAN("m1@x")};
    path *pt = path_new(0, NULL, NULL);
    add_clean(pt, l, N(l), 1, T0, PLAIN);
    const path_result *r = path_compare(pt);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(r->paired, 1);
    CU_ASSERT_EQUAL(r->outside_only + r->inside_only, 0);
    const path_pair *p = &r->pairs[0];
    CU_ASSERT_STRING_EQUAL(p->matched_by, "Message-ID");
    CU_ASSERT_EQUAL(p->findings, 1u << PATH_DELAY);
    CU_ASSERT_EQUAL(p->nevidence, 0);
    CU_ASSERT_FALSE(r->clock_estimated);
    CU_ASSERT_DOUBLE_EQUAL(p->to_server.median, 0.001, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(p->to_client.median, 0.002, 1e-9);
    CU_ASSERT_EQUAL(p->to_server.n, 6); /* EHLO MAIL RCPT DATA, end of data, QUIT */
    CU_ASSERT_EQUAL(p->to_client.n, 7); /* the greeting and six replies */
    CU_ASSERT_PTR_NOT_NULL(strstr(r->verdict, "changed nothing in 1 paired session"));
    path_free(pt);
}

static void test_masked_banner_and_box_answer(void)
{
    line l[] = {CLEAN("m2@x")};
    l[0].out = "220 ************ *****\r\n";
    l[0].in = "220 mx.example ESMTP\r\n";
    /* EHLO answered by the box, never inside; HELO then crosses */
    line pix[N(l) + 2];
    memcpy(pix, l, 2 * sizeof *l);
    pix[1].in = "";
    pix[2] = (line){'S', "500 5.5.1 Command unrecognized: \"XXXX\"\r\n", ""};
    pix[3] = (line){'C', "HELO c.example\r\n", NULL};
    memcpy(pix + 4, l + 2, (N(l) - 2) * sizeof *l);
    path *pt = path_new(0, NULL, NULL);
    add_clean(pt, pix, N(pix), 1, T0, PLAIN);
    const path_result *r = path_compare(pt);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    const path_pair *p = &r->pairs[0];
    CU_ASSERT_TRUE(has(p, PATH_MASKED_BANNER));
    CU_ASSERT_TRUE(has(p, PATH_ANSWERED));
    CU_ASSERT_FALSE(has(p, PATH_REWROTE_COMMAND)); /* HELO is the client's own next line */
    CU_ASSERT_FALSE(has(p, PATH_DROPPED_EOD));
    CU_ASSERT_TRUE(evidence_has(p, "220 mx.example ESMTP"));
    CU_ASSERT_TRUE(evidence_has(p, "answered \"EHLO c.example\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(r->verdict, "answered the client itself"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r->verdict, "middlebox_masked_banner in 1"));
    path_free(pt);
}

static void test_rewritten_command(void)
{
    line l[] = {CLEAN("m3@x")};
    l[1].in = "XXXX c.example\r\n";
    l[2].out = l[2].in = "502 5.5.2 Error: command not recognized\r\n";
    path *pt = path_new(0, NULL, NULL);
    add_clean(pt, l, N(l), 1, T0, PLAIN);
    const path_result *r = path_compare(pt);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    const path_pair *p = &r->pairs[0];
    CU_ASSERT_EQUAL(p->findings, (1u << PATH_REWROTE_COMMAND) | (1u << PATH_DELAY));
    CU_ASSERT_TRUE(evidence_has(p, "\"EHLO c.example\" outside"));
    CU_ASSERT_TRUE(evidence_has(p, "as \"XXXX c.example\""));
    path_free(pt);
}

/* The terminator cut CRLF|.CRLF outside; the box never sends the second part. */
static played dropped(const char *id_line, int64_t t, box b)
{
    static char body[256];
    snprintf(body, sizeof body, "From: a@x\r\nMessage-ID: <%s>\r\n\r\nhello\r\n", id_line);
    line l[] = {CLEAN("unused")};
    l[9] = (line){'C', body, NULL};
    l[10] = (line){'C', ".\r\n", ""};
    l[11] = (line){'C', "", ""}; /* no reply, no QUIT */
    l[12] = (line){'S', "", ""};
    return play(l, N(l), t, b, SMTP_END_FIN, SMTP_CLIENT, SMTP_END_FIN, SMTP_CLIENT);
}

static void test_dropped_end_of_data(void)
{
    path *pt = path_new(0, NULL, NULL);
    add(pt, dropped("lost@x", T0, PLAIN), 1);
    const path_result *r = path_compare(pt);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    const path_pair *p = &r->pairs[0];
    CU_ASSERT_TRUE(has(p, PATH_DROPPED_EOD));
    CU_ASSERT_FALSE(has(p, PATH_ANSWERED));
    CU_ASSERT_TRUE(evidence_has(p, "end of data of <lost@x> entered the box outside"));
    CU_ASSERT_TRUE(evidence_has(p, "split"));
    CU_ASSERT_TRUE(evidence_has(p, "the server waited"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r->verdict, "dropped the end of data of message <lost@x> in 1 of "
                                              "1 attempts"));
    path_free(pt);
}

static void test_resets_neither_endpoint_sent(void)
{
    static const line l[] = {CLEAN("m4@x")};
    path *pt = path_new(0, NULL, NULL);
    /* outside a RST from the server's side, inside a FIN: the box reset the client */
    add(pt, play(l, N(l), T0, PLAIN, SMTP_END_RST, SMTP_SERVER, SMTP_END_FIN, SMTP_CLIENT), 1);
    /* inside a RST from the client's side, outside a FIN: the box reset the server */
    add(pt,
        play(l, N(l), T0 + 30 * SEC, PLAIN, SMTP_END_FIN, SMTP_CLIENT, SMTP_END_RST, SMTP_CLIENT),
        2);
    /* the client reset both ways: passed through, no finding */
    add(pt,
        play(l, N(l), T0 + 60 * SEC, PLAIN, SMTP_END_RST, SMTP_CLIENT, SMTP_END_RST, SMTP_CLIENT),
        3);
    const path_result *r = path_compare(pt);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL_FATAL(r->paired, 3);
    CU_ASSERT_TRUE(has(&r->pairs[0], PATH_RESET));
    CU_ASSERT_TRUE(evidence_has(&r->pairs[0], "outside, a RST from the server's side"));
    CU_ASSERT_TRUE(has(&r->pairs[1], PATH_RESET));
    CU_ASSERT_TRUE(evidence_has(&r->pairs[1], "inside, a RST from the client's side"));
    CU_ASSERT_FALSE(has(&r->pairs[2], PATH_RESET));
    CU_ASSERT_EQUAL(r->with[PATH_RESET], 2);
    path_free(pt);
}

/* Three attempts 20 s apart, the inside's clock 15 s ahead: each pairs with its own attempt
 * (not the one 20 s off), the offset is found, the round trip kept. */
static void test_retries_with_clock_offset(void)
{
    box b = {1 * MS, 2 * MS, 15 * SEC};
    path *pt = path_new(0, NULL, NULL);
    for (unsigned k = 0; k < 3; k++)
        add(pt, dropped("again@x", T0 + (int64_t)k * 20 * SEC, b), k + 1);
    const path_result *r = path_compare(pt);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL_FATAL(r->paired, 3);
    for (unsigned k = 0; k < 3; k++)
        CU_ASSERT_EQUAL(r->pairs[k].inside->id, r->pairs[k].outside->id + 100);
    CU_ASSERT_TRUE(r->offset_from_content);
    CU_ASSERT_DOUBLE_EQUAL(r->coarse_offset, 15.001, 1e-6);
    CU_ASSERT_TRUE(r->clock_estimated);
    CU_ASSERT_DOUBLE_EQUAL(r->clock_offset, 15.0 - 0.0005, 1e-6); /* (1 ms - 2 ms) / 2 */
    CU_ASSERT_DOUBLE_EQUAL(r->to_server.median + r->to_client.median, 0.003, 1e-9);
    CU_ASSERT_PTR_NOT_NULL(strstr(r->verdict, "in 3 of 3 attempts"));
    path_free(pt);
}

/* Another message at the same moment is not this one; sessions without a message pair by
 * time only when they began together. */
static void test_conflict_and_time_only(void)
{
    static const line a[] = {CLEAN("one@x")};
    line other[] = {CLEAN("unused")};
    other[9].in = MSG("two@x") ".\r\n";
    static const line refused[] = {
        {'S', "554 no\r\n", NULL}, {'C', "QUIT\r\n", NULL}, {'S', "221 bye\r\n", NULL}};
    path *pt = path_new(0, NULL, NULL);
    add_clean(pt, a, N(a), 1, T0, PLAIN);
    add_clean(pt, other, N(other), 2, T0 + 60 * SEC, PLAIN);
    add_clean(pt, refused, N(refused), 3, T0 + 120 * SEC, PLAIN);
    add_clean(pt, refused, N(refused), 4, T0 + 180 * SEC, (box){1 * MS, 2 * MS, 2 * SEC});
    const path_result *r = path_compare(pt);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(r->paired, 2); /* one@x, and the refusal at 120 s */
    CU_ASSERT_EQUAL(r->outside_only, 2);
    CU_ASSERT_EQUAL(r->inside_only, 2);
    CU_ASSERT_STRING_EQUAL(r->pairs[1].matched_by, "time");
    CU_ASSERT_EQUAL(r->pairs[1].outside->id, 3);
    CU_ASSERT_PTR_NOT_NULL(strstr(r->verdict, "2 sessions seen outside only"));
    path_free(pt);
}

static void test_sessions_past_the_bound_counted(void)
{
    static const line l[] = {CLEAN("m5@x")};
    path *pt = path_new(2, NULL, NULL);
    for (unsigned k = 0; k < 3; k++)
        add_clean(pt, l, N(l), k + 1, T0 + (int64_t)k * 60 * SEC, PLAIN);
    CU_ASSERT_EQUAL(path_not_kept(pt, PATH_OUTSIDE), 1);
    CU_ASSERT_EQUAL(path_not_kept(pt, PATH_INSIDE), 1);
    const path_result *r = path_compare(pt);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(r->paired, 2);
    path_free(pt);
}

/* Texts as long as a line may be: evidence is cut, never overrun (ASan), and the JSON of the
 * comparison carries the bytes escaped. */
static void test_long_texts_bounded(void)
{
    char greeting[1100], ehlo[1100];
    memset(greeting, '*', sizeof greeting);
    memcpy(greeting, "220 ", 4);
    memcpy(greeting + sizeof greeting - 3, "\r\n", 3);
    memset(ehlo, 'h', sizeof ehlo);
    memcpy(ehlo, "EHLO \"\x01", 7);
    memcpy(ehlo + sizeof ehlo - 3, "\r\n", 3);
    line l[] = {CLEAN("m6@x")};
    l[0].out = greeting;
    l[0].in = "220 mx.example ESMTP\r\n";
    l[1].out = ehlo;
    l[1].in = "XXXX c.example\r\n";
    path *pt = path_new(0, NULL, NULL);
    add_clean(pt, l, N(l), 1, T0, PLAIN);
    const path_result *r = path_compare(pt);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    for (unsigned e = 0; e < r->pairs[0].nevidence; e++)
        CU_ASSERT_TRUE(strlen(r->pairs[0].evidence[e]) < PATH_EVIDENCE_TEXT);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    report_path_sides sides = {{"o.pcap", "i.pcap"}, {0, 0}, 10, "lab"};
    CU_ASSERT_EQUAL(report_path(f, REPORT_JSON, 0, r, &sides), 0);
    fclose(f);
    CU_ASSERT_PTR_NULL(memchr(buf, '\x01', len));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\\u0001"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"type\":\"path_summary\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, ",\"sensor\":\"lab\"}\n")); /* --sensor tags them too */
    free(buf);
    path_free(pt);
}

/* report_tag closes every JSON object of the report with the tag. */
static void test_report_tag(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    report *rep = report_new(f, REPORT_JSON, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rep);
    report_tag(rep, "vantage", "inside");
    static const line l[] = {CLEAN("m7@x")};
    played p = play(l, N(l), T0, PLAIN, SMTP_END_FIN, SMTP_CLIENT, SMTP_END_FIN, SMTP_CLIENT);
    report_session(rep, 1, "10.9.0.1:61000", "10.9.0.25:25", smtp_get_report(p.s[1]));
    capture_summary cap;
    memset(&cap, 0, sizeof cap);
    cap.source = "i.pcap";
    report_summary(rep, &cap);
    report_free(rep);
    fclose(f);
    unsigned lines = 0, tagged = 0;
    for (char *s = buf; (s = strchr(s, '\n')); s++, lines++)
        tagged += s - buf >= 20 && !strncmp(s - 20, ",\"vantage\":\"inside\"}", 20);
    CU_ASSERT_TRUE(lines >= 2);
    CU_ASSERT_EQUAL(tagged, lines);
    free(buf);
    smtp_session_free(p.s[0]);
    smtp_session_free(p.s[1]);
}

void add_path_suite(void)
{
    CU_pSuite s = CU_add_suite("path", NULL, NULL);
    CU_add_test(s, "a clean pair: the box's delay only", test_clean_pair_only_delay);
    CU_add_test(s, "masked greeting, EHLO answered by the box", test_masked_banner_and_box_answer);
    CU_add_test(s, "EHLO rewritten as XXXX", test_rewritten_command);
    CU_add_test(s, "end of data dropped by the box", test_dropped_end_of_data);
    CU_add_test(s, "RSTs neither endpoint sent", test_resets_neither_endpoint_sent);
    CU_add_test(s, "retries paired across a 15 s clock offset", test_retries_with_clock_offset);
    CU_add_test(s, "another message is no pair; time-only pairs", test_conflict_and_time_only);
    CU_add_test(s, "sessions past the bound are counted", test_sessions_past_the_bound_counted);
    CU_add_test(s, "long and hostile texts stay bounded and escaped", test_long_texts_bounded);
    CU_add_test(s, "report_tag closes every JSON object", test_report_tag);
}
