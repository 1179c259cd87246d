/* A finished report packed for another process (--workers) and unpacked there: every reader
 * must see the same report, and no bytes, however corrupted, may lead unpacking or a reader
 * out of bounds. */
#include <CUnit/CUnit.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "smtp/smtp.h"
#include "tests/rng.h"
#include "tests/suites.h"

#define C SMTP_CLIENT
#define S SMTP_SERVER

static const int64_t T0 = 1772442000000000;
static const int64_t SEC = 1000000;

/* ---- sessions, driven step by step with times in seconds after T0 ---- */

static smtp_session *sess;
static uint64_t frame;

static void start(int no_transcript)
{
    sess = smtp_session_new(T0, 1);
    frame = 1;
    if (no_transcript) {
        smtp_options o = {SMTP_DEFAULT_SLOW_REPLY, SMTP_DEFAULT_SLOW_BANNER, 1};
        smtp_session_configure(sess, &o);
    }
}

static void at(double t, smtp_dir dir, const char *bytes)
{
    smtp_feed(sess, dir, (const uint8_t *)bytes, strlen(bytes), T0 + (int64_t)(t * SEC), ++frame);
}

static smtp_session *finish(double t, smtp_end_reason why, int closed_by)
{
    smtp_end(sess, why, closed_by, T0 + (int64_t)(t * SEC), ++frame);
    smtp_session *s = sess;
    sess = NULL;
    return s;
}

static void delivery(double t, const char *body, const char *reply)
{
    at(t, S, "220 mx.example.net ESMTP\r\n");
    at(t + 0.1, C, "EHLO c.example\r\n");
    at(t + 0.2, S, "250-mx.example.net\r\n250-PIPELINING\r\n250 CHUNKING\r\n");
    at(t + 0.3, C, "MAIL FROM:<a@example.org>\r\n");
    at(t + 0.4, S, "250 ok\r\n");
    at(t + 0.5, C, "RCPT TO:<b@example.net>\r\n");
    at(t + 0.6, S, "250 ok\r\n");
    at(t + 0.7, C, "DATA\r\n");
    at(t + 0.8, S, "354 go ahead\r\n");
    at(t + 0.9, C, body);
    if (reply)
        at(t + 1.0, S, reply);
}

#define BODY_M1 "Message-ID: <m1@example.org>\r\nSubject: hi\r\n\r\nhello\r\n"

static smtp_session *clean_delivery(void)
{
    start(0);
    delivery(0, BODY_M1 ".\r\n", "250 2.0.0 queued\r\n");
    at(1.1, C, "QUIT\r\n");
    at(1.2, S, "221 bye\r\n");
    return finish(1.3, SMTP_END_FIN, C);
}

/* Three pipelined transactions: 40 recipients (32 kept), a refused one, a refused DATA. */
static smtp_session *many_transactions(void)
{
    char cmds[4096];
    size_t n = 0;
    start(0);
    at(0, S, "220 mx.example.net ESMTP\r\n");
    at(0.1, C, "EHLO c.example\r\n");
    at(0.2, S, "250-mx.example.net\r\n250 PIPELINING\r\n");
    n += (size_t)snprintf(cmds + n, sizeof cmds - n, "MAIL FROM:<list@example.org>\r\n");
    for (int i = 0; i < 40; i++)
        n += (size_t)snprintf(cmds + n, sizeof cmds - n, "RCPT TO:<user%d@example.net>\r\n", i);
    snprintf(cmds + n, sizeof cmds - n, "DATA\r\n");
    at(0.3, C, cmds);
    at(0.4, S, "250 ok\r\n");
    for (int i = 0; i < 40; i++)
        at(0.4, S, i == 7 ? "550 5.1.1 no such user\r\n" : "250 ok\r\n");
    at(0.5, S, "354 go ahead\r\n");
    at(0.6, C,
       "Received: from a by b\r\nReceived: from c by d\r\nMessage-ID:\r\n <m2@example.org>\r\n"
       "Subject: list\r\n\r\nnews\r\n.\r\n");
    at(0.7, S, "250 2.0.0 queued as A1\r\n");
    at(0.8, C,
       "MAIL FROM:<b@example.org>\r\nRCPT TO:<x@example.net>\r\nRCPT TO:<y@example.net>\r\n");
    at(0.9, S, "250 ok\r\n550 no\r\n250 ok\r\n");
    at(1.0, C, "DATA\r\n");
    at(1.1, S, "354 go\r\n");
    at(1.2, C, "Message-ID: <m3@example.org>\r\n\r\nbody 3\r\n.\r\n");
    at(1.3, S, "250 ok\r\n");
    at(1.4, C, "MAIL FROM:<>\r\nRCPT TO:<postmaster@example.net>\r\nDATA\r\n");
    at(1.5, S, "250 ok\r\n250 ok\r\n554 5.7.1 no thanks\r\n");
    smtp_tcp_retransmission(sess, S, 0, 10, T0 + 2 * SEC, 77);
    return finish(2.0, SMTP_END_RST, S);
}

/* The message of clean_delivery again, its terminator cut and never answered. */
static smtp_session *split_unanswered(void)
{
    start(0);
    delivery(100, BODY_M1 ".", NULL);
    at(100.95, C, "\r\n");
    smtp_tcp_fin(sess, C, T0 + 161 * SEC, 90);
    return finish(161, SMTP_END_FIN, C);
}

static smtp_session *masked_banner(void)
{
    start(0);
    at(0, S, "220 *********0****************2*****\r\n");
    at(0.1, C, "EHLO c\r\n");
    at(0.2, S, "500 5.5.1 Command unrecognized: \"XXXX\"\r\n");
    at(0.3, C, "HELO c\r\n");
    at(0.4, S, "250 mx Hello\r\n");
    at(0.5, C, "MAIL FROM:<a@x>\r\n");
    at(0.6, S, "250 ok\r\n");
    at(0.7, C, "RCPT TO:<b@y>\r\n");
    at(0.8, S, "250 ok\r\n");
    at(0.9, C, "DATA\r\n");
    at(1.0, S, "354 go\r\n");
    at(1.1, C, "Subject: s\r\n\r\nx\r\n.\r\n");
    return finish(40, SMTP_END_TIMEOUT, -1);
}

static smtp_session *bdat(void)
{
    start(0);
    at(0, S, "220 mx\r\n");
    at(0.1, C, "EHLO c\r\n");
    at(0.2, S, "250 CHUNKING\r\n");
    at(0.3, C, "MAIL FROM:<a@x>\r\n");
    at(0.4, S, "250 ok\r\n");
    at(0.5, C, "RCPT TO:<b@y>\r\n");
    at(0.6, S, "250 ok\r\n");
    at(0.7, C, "BDAT 34\r\nMessage-ID: <b@x>\r\n\r\nline\r\n.");
    at(0.8, C, "\r\nmore");
    at(0.9, S, "250 34 octets\r\n");
    at(1.0, C, "BDAT 5 LAST\r\n.\r\n\r\n");
    at(1.1, S, "250 queued\r\n");
    at(1.2, C, "QUIT\r\n");
    at(1.3, S, "221 bye\r\n");
    return finish(1.4, SMTP_END_FIN, S);
}

/* More lines than the transcript keeps: the tail ring wraps. Some carry terminal controls
 * and bytes that are not UTF-8, one is longer than a transcript line. */
static smtp_session *long_session(void)
{
    char line[300];
    start(0);
    at(0, S, "220 mx ESMTP\r\n");
    at(0.1, C, "EHLO c\r\n");
    at(0.2, S, "250 mx\r\n");
    for (int i = 0; i < 37; i++) {
        if (i == 30) /* in the tail: the head keeps only the first lines */
            snprintf(line, sizeof line, "NOOP \x1b[2J\x07\xff\xfe%0200d\r\n", i);
        else
            snprintf(line, sizeof line, "NOOP %d\r\n", i);
        at(1 + i, C, line);
        at(1.5 + i, S, i == 33 ? "250 \x1b]0;owned\x07 ok\r\n" : "250 ok\r\n");
    }
    return finish(50, SMTP_END_FIN, C);
}

static smtp_session *no_transcript(void)
{
    start(1);
    delivery(0, "Message-ID: <m4@example.org>\r\n\r\nx\r\n\r", NULL);
    at(1.0, C, "\n.\r\n");
    at(1.5, S, "250 ok\r\n");
    return finish(3, SMTP_END_CAPTURE_END, -1);
}

/* More transactions than a report keeps. */
static smtp_session *txn_overflow(void)
{
    start(0);
    at(0, S, "220 mx\r\n");
    for (int i = 0; i < 34; i++) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "MAIL FROM:<s%d@x>\r\nRCPT TO:<r%d@y>\r\nRSET\r\n", i, i);
        at(1 + i, C, cmd);
        at(1.5 + i, S, "250 ok\r\n250 ok\r\n250 ok\r\n");
    }
    at(40, C, "QUIT\r\n");
    at(40.1, S, "221 bye\r\n");
    return finish(41, SMTP_END_FIN, C);
}

/* Nothing but a refusal. */
static smtp_session *refused(void)
{
    start(0);
    at(0, S, "554 go away\r\n");
    return finish(0.5, SMTP_END_FIN, S);
}

/* A late greeting, a message refused as too big for its SIZE=, then a 421 to RCPT. */
static smtp_session *server_limits(void)
{
    start(0);
    at(35, S, "220 mx ESMTP\r\n");
    at(35.1, C, "EHLO c\r\n");
    at(35.2, S, "250-mx\r\n250 SIZE 1000\r\n");
    at(35.3, C, "MAIL FROM:<a@x> SIZE=5000\r\n");
    at(35.4, S, "552 5.3.4 Message size exceeds fixed limit\r\n");
    at(35.5, C, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\n");
    at(35.6, S, "250 ok\r\n421 4.3.2 shutting down\r\n");
    return finish(35.7, SMTP_END_FIN, S);
}

typedef struct test_case {
    smtp_session *(*build)(void);
    const char *client;
} test_case;

/* Three sessions of one client end without QUIT: a finding across sessions. */
static const test_case cases[] = {{clean_delivery, "192.0.2.1:40001"},
                                  {many_transactions, "198.51.100.7:40002"},
                                  {split_unanswered, "198.51.100.7:40003"},
                                  {masked_banner, "198.51.100.7:40004"},
                                  {bdat, "192.0.2.1:40005"},
                                  {long_session, "[2001:db8::5]:40006"},
                                  {no_transcript, "192.0.2.1:40007"},
                                  {txn_overflow, "192.0.2.2:40008"},
                                  {refused, "192.0.2.3:40009"},
                                  {server_limits, "192.0.2.4:40010"}};
enum { NCASES = sizeof cases / sizeof cases[0] };
static const char *const SERVER = "192.0.2.25:25";

/* ---- helpers ---- */

static uint8_t *pack_report(const smtp_report *r, size_t *len)
{
    size_t n = smtp_report_pack(r, NULL, 0);
    uint8_t *b = malloc(n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_EQUAL(smtp_report_pack(r, b, n), n);
    *len = n;
    return b;
}

/* A copy of exactly len bytes, so that ASan sees any read past them. Called in loops: out of
 * memory ends the run rather than adding an assert per copy. */
static uint8_t *copy_of(const uint8_t *b, size_t len)
{
    uint8_t *c = malloc(len ? len : 1);
    if (!c) {
        fprintf(stderr, "test_pack: out of memory\n");
        exit(2);
    }
    memcpy(c, b, len);
    return c;
}

static int inside(const uint8_t *buf, size_t len, const void *p, size_t size)
{
    uintptr_t lo = (uintptr_t)buf, q = (uintptr_t)p;
    return q >= lo && q - lo <= len && size <= len - (q - lo);
}

static int string_inside(const uint8_t *buf, size_t len, const char *s)
{
    if (!s)
        return 1;
    return inside(buf, len, s, 1) &&
           memchr(s, '\0', len - (size_t)((const uint8_t *)s - buf)) != NULL;
}

static int txn_inside(const uint8_t *buf, size_t len, const smtp_txn *t)
{
    if (!string_inside(buf, len, t->mail_from) || !string_inside(buf, len, t->message_id))
        return 0;
    for (unsigned i = 0; i < t->nrcpt; i++)
        if (!t->rcpt[i] || !string_inside(buf, len, t->rcpt[i]))
            return 0;
    return 1;
}

/* The unpack contract: the report and everything it points to lie inside buf. */
static int report_inside(const uint8_t *buf, size_t len, const smtp_report *r)
{
    if (!inside(buf, len, r, sizeof *r))
        return 0;
    if (r->ntxn && !inside(buf, len, r->txns, r->ntxn * sizeof *r->txns))
        return 0;
    if (r->nhead && !inside(buf, len, r->head, r->nhead * sizeof *r->head))
        return 0;
    if (r->ntail && (r->tail_start || !inside(buf, len, r->tail, r->ntail * sizeof *r->tail)))
        return 0;
    for (unsigned i = 0; i < r->ntxn; i++)
        if (!txn_inside(buf, len, &r->txns[i]))
            return 0;
    return 1;
}

/* All sessions through one report, summary and findings across them included. */
static char *render_all(const smtp_report *const *reps, report_format fmt)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    report *r = report_new(f, fmt, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    for (unsigned i = 0; i < NCASES; i++)
        report_session(r, i + 1, cases[i].client, SERVER, reps[i]);
    capture_summary cap = {.source = "pack.pcap", .frames = 500, .matched = 500};
    report_summary(r, &cap);
    CU_ASSERT_EQUAL(report_error(r), 0);
    report_free(r);
    fclose(f);
    return buf;
}

static char *render_detail(unsigned i, const smtp_report *rep)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    report_session_text(f, i + 1, cases[i].client, SERVER, rep);
    fclose(f);
    return buf;
}

/* The sessions are built as the tests assume: else comparing their output proves little. */
static void check_cases_cover(const smtp_report *const *r)
{
    CU_ASSERT_EQUAL(r[0]->ntxn, 1);
    CU_ASSERT_EQUAL(r[1]->ntxn, 3);
    CU_ASSERT_EQUAL(r[1]->txns[0].nrcpt, SMTP_MAX_RCPTS);
    CU_ASSERT_EQUAL(r[1]->txns[0].rcpt_total, 40);
    CU_ASSERT_PTR_NOT_NULL(r[1]->txns[0].message_id);
    CU_ASSERT_EQUAL(r[1]->txns[0].received, 2);
    CU_ASSERT(r[2]->flags & SMTP_FLAG_SPLIT_EOD_UNACKED);
    CU_ASSERT(r[3]->flags & SMTP_FLAG_MASKED_BANNER);
    CU_ASSERT(r[3]->flags & SMTP_FLAG_SMTP_INSPECTION);
    CU_ASSERT(r[4]->ntxn == 1 && r[4]->txns[0].eod.bdat);
    CU_ASSERT_NOT_EQUAL(r[5]->tail_start, 0);
    CU_ASSERT(r[5]->dropped_lines > 0);
    CU_ASSERT(r[6]->nhead == 0 && r[6]->ntail == 0 && r[6]->ntxn == 1);
    CU_ASSERT_EQUAL(r[6]->txns[0].eod.nparts, 2);
    CU_ASSERT_EQUAL(r[7]->ntxn, SMTP_MAX_TXNS);
    CU_ASSERT_EQUAL(r[8]->ntxn, 0);
    unsigned limits = SMTP_FLAG_SLOW_BANNER | SMTP_FLAG_SERVER_BUSY_421 | SMTP_FLAG_MESSAGE_TOO_BIG;
    CU_ASSERT_EQUAL(r[9]->flags & limits, limits);
    CU_ASSERT(r[9]->ntxn == 2 && r[9]->txns[0].has_size && r[9]->txns[0].too_big.code == 552);
}

/* ---- round trip ---- */

static void test_round_trip_reads_the_same(void)
{
    smtp_session *sessions[NCASES];
    const smtp_report *orig[NCASES], *back[NCASES];
    uint8_t *packed[NCASES], *unpacked[NCASES];
    size_t len[NCASES];
    char *detail[NCASES];
    for (unsigned i = 0; i < NCASES; i++) {
        sessions[i] = cases[i].build();
        orig[i] = smtp_get_report(sessions[i]);
        detail[i] = render_detail(i, orig[i]);
        packed[i] = pack_report(orig[i], &len[i]);
        CU_ASSERT_EQUAL(len[i] % 8, 0);
    }
    check_cases_cover(orig);
    char *json = render_all(orig, REPORT_JSON), *text = render_all(orig, REPORT_TEXT);
    /* the comparison covers the findings across sessions */
    CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"type\":\"duplicate\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"finding\":\"never_quits\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "Duplicates: "));
    /* and the evidence of the server's limits */
    CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"size_declared\":5000"));
    CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"server_busy_421\":{\"line\":\"421 4.3.2"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "greeting after 35.000 s"));
    CU_ASSERT_PTR_NOT_NULL(strstr(detail[5], "\\x1b[2J\\x07\\xff\\xfe"));
    /* nothing unpacked may point back into a session */
    for (unsigned i = 0; i < NCASES; i++)
        smtp_session_free(sessions[i]);
    for (unsigned i = 0; i < NCASES; i++) {
        unpacked[i] = copy_of(packed[i], len[i]);
        CU_ASSERT_EQUAL((uintptr_t)unpacked[i] % 8, 0);
        CU_ASSERT_EQUAL_FATAL(smtp_report_unpack(unpacked[i], len[i], &back[i]), 0);
        CU_ASSERT(report_inside(unpacked[i], len[i], back[i]));
        if (i == 1) /* what the correlator reads of a worker's record */
            CU_ASSERT_EQUAL(back[i]->txns[0].received, 2);
        char *again = render_detail(i, back[i]);
        CU_ASSERT_STRING_EQUAL(again, detail[i]);
        free(again);
        /* packing what was unpacked gives the same bytes */
        size_t n;
        uint8_t *repacked = pack_report(back[i], &n);
        CU_ASSERT(n == len[i] && memcmp(repacked, packed[i], n) == 0);
        free(repacked);
    }
    char *json2 = render_all(back, REPORT_JSON), *text2 = render_all(back, REPORT_TEXT);
    CU_ASSERT_STRING_EQUAL(json2, json);
    CU_ASSERT_STRING_EQUAL(text2, text);
    free(json);
    free(text);
    free(json2);
    free(text2);
    for (unsigned i = 0; i < NCASES; i++) {
        free(detail[i]);
        free(packed[i]);
        free(unpacked[i]);
    }
}

/* ---- packing into a buffer too small ---- */

static void test_pack_small_buffer_untouched(void)
{
    smtp_session *s = clean_delivery();
    const smtp_report *r = smtp_get_report(s);
    size_t n = smtp_report_pack(r, NULL, 0);
    CU_ASSERT(n > sizeof(smtp_report) + sizeof(smtp_txn));
    enum { SLACK = 64 };
    uint8_t *b = malloc(n + SLACK), *untouched = malloc(n + SLACK);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_PTR_NOT_NULL_FATAL(untouched);
    memset(untouched, 0xa5, n + SLACK);
    size_t caps[] = {0, 1, 16, n / 2, n - 8, n - 1};
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        memset(b, 0xa5, n + SLACK);
        CU_ASSERT_EQUAL(smtp_report_pack(r, b, caps[i]), n);
        CU_ASSERT_EQUAL(memcmp(b, untouched, n + SLACK), 0);
    }
    /* room to spare: exactly n bytes written */
    memset(b, 0xa5, n + SLACK);
    CU_ASSERT_EQUAL(smtp_report_pack(r, b, n + SLACK), n);
    CU_ASSERT_NOT_EQUAL(memcmp(b, untouched, n), 0);
    CU_ASSERT_EQUAL(memcmp(b + n, untouched, SLACK), 0);
    free(b);
    free(untouched);
    smtp_session_free(s);
}

/* ---- truncated bytes ---- */

static const smtp_report unset;
#define UNSET (&unset) /* what *out holds before unpacking */

/* 0 or -1 from unpacking a copy of exactly len bytes; 1 when -1 came with *out changed. */
static int unpack_copy(const uint8_t *b, size_t len)
{
    uint8_t *c = copy_of(b, len);
    const smtp_report *out = UNSET;
    int rc = smtp_report_unpack(c, len, &out);
    free(c);
    return rc == -1 && out != UNSET ? 1 : rc;
}

enum { TOTAL_AT = 8 }; /* the header's length word (smtp/pack.c) */

static void test_unpack_truncated(void)
{
    for (unsigned i = 0; i < NCASES; i++) {
        smtp_session *s = cases[i].build();
        size_t n, wrong = 0, wrong_total = 0;
        uint8_t *p = pack_report(smtp_get_report(s), &n);
        smtp_session_free(s);
        CU_ASSERT_EQUAL(unpack_copy(p, n), 0);
        for (size_t cut = 0; cut < n; cut++)
            wrong += unpack_copy(p, cut) != -1;
        /* with the length word telling the truncated length: the arrays and strings are
         * cut, not only the header's count */
        for (size_t cut = 16; cut < n; cut += 8) {
            uint64_t total = cut;
            uint8_t *c = copy_of(p, cut);
            memcpy(c + TOTAL_AT, &total, sizeof total);
            wrong_total += unpack_copy(c, cut) != -1;
            free(c);
        }
        CU_ASSERT_EQUAL(wrong, 0);
        CU_ASSERT_EQUAL(wrong_total, 0);
        free(p);
    }
}

/* ---- fields out of range ---- */

static uint8_t *base;
static size_t base_len, rep_at, txn_at, line_at, strings_at;

/* The packed clean delivery, and where its parts start. */
static void need_base(void)
{
    if (base)
        return;
    smtp_session *s = clean_delivery();
    const smtp_report *r = smtp_get_report(s);
    smtp_report empty = {0};
    base = pack_report(r, &base_len);
    /* the layout: header, report, transactions, head and tail lines, strings */
    rep_at = smtp_report_pack(&empty, NULL, 0) - sizeof empty;
    txn_at = rep_at + sizeof(smtp_report);
    line_at = txn_at + r->ntxn * sizeof(smtp_txn);
    strings_at = line_at + (r->nhead + r->ntail) * sizeof(smtp_tline);
    CU_ASSERT_FATAL(r->ntxn == 1 && r->nhead == 8 && r->nhead + r->ntail >= 10);
    CU_ASSERT_FATAL(r->txns[0].eod.seen && r->txns[0].nrcpt == 1);
    smtp_session_free(s);
}

/* Unpacks base with n bytes at `at` replaced by v (as unpack_copy). */
static int patched(size_t at, const void *v, size_t n)
{
    uint8_t *c = copy_of(base, base_len);
    memcpy(c + at, v, n);
    int rc = unpack_copy(c, base_len);
    free(c);
    return rc;
}

#define REP(f) (rep_at + offsetof(smtp_report, f))
#define TXN(f) (txn_at + offsetof(smtp_txn, f))
#define LINE(i, f) (line_at + (i) * sizeof(smtp_tline) + offsetof(smtp_tline, f))
#define PATCH(at, type, value) patched((at), &(type){value}, sizeof(type))

static void test_unpack_report_fields(void)
{
    need_base();
    CU_ASSERT_EQUAL(patched(0, base, 0), 0);
    CU_ASSERT_EQUAL(PATCH(REP(end_reason), uint32_t, SMTP_END_EVICTED + 1), -1);
    CU_ASSERT_EQUAL(PATCH(REP(end_reason), uint32_t, SMTP_END_EVICTED), 0);
    CU_ASSERT_EQUAL(PATCH(REP(closed_by), int, 2), -1);
    CU_ASSERT_EQUAL(PATCH(REP(closed_by), int, -2), -1);
    CU_ASSERT_EQUAL(PATCH(REP(closed_by), int, SMTP_SERVER), 0);
    CU_ASSERT_EQUAL(PATCH(REP(flags), unsigned, 1u << SMTP_FLAG_COUNT), -1);
    CU_ASSERT_EQUAL(PATCH(REP(inspection_confidence), double, NAN), -1);
    CU_ASSERT_EQUAL(PATCH(REP(inspection_confidence), double, 1.5), -1);
    CU_ASSERT_EQUAL(PATCH(REP(inspection_confidence), double, 1.0), 0);
    CU_ASSERT_EQUAL(PATCH(REP(start), int64_t, INT64_MAX), -1);
    CU_ASSERT_EQUAL(PATCH(REP(end), int64_t, INT64_MIN), -1);
    CU_ASSERT_EQUAL(PATCH(REP(banner.at.ts), int64_t, (int64_t)1 << 62), -1);
    CU_ASSERT_EQUAL(PATCH(REP(tcp.fin_ts[1]), int64_t, INT64_MAX), -1);
    CU_ASSERT_EQUAL(PATCH(REP(helo[SMTP_TEXT_MAX - 1]), char, 'x'), -1);
    CU_ASSERT_EQUAL(PATCH(REP(banner.text[SMTP_TEXT_MAX - 1]), char, 'x'), -1);
    CU_ASSERT_EQUAL(
        PATCH(REP(prints[SMTP_PRINT_COUNT - 1].line[SMTP_TRANSCRIPT_TEXT - 1]), char, 'x'), -1);
    CU_ASSERT_EQUAL(PATCH(REP(ntxn), unsigned, SMTP_MAX_TXNS + 1), -1);
    CU_ASSERT_EQUAL(PATCH(REP(nhead), unsigned, 9), -1);
    CU_ASSERT_EQUAL(PATCH(REP(ntail), unsigned, SMTP_TRANSCRIPT), -1);
    CU_ASSERT_EQUAL(PATCH(REP(tail_start), unsigned, 1), -1);
    /* one line more than packed: the strings would start where the last one lies */
    const smtp_report *r = (const smtp_report *)(base + rep_at);
    CU_ASSERT_EQUAL(PATCH(REP(ntail), unsigned, r->ntail + 1), -1);
}

static void test_unpack_txn_and_line_fields(void)
{
    need_base();
    CU_ASSERT_EQUAL(PATCH(TXN(nrcpt), unsigned, SMTP_MAX_RCPTS + 1), -1);
    CU_ASSERT_EQUAL(PATCH(TXN(eod.nparts), int, 6), -1);
    CU_ASSERT_EQUAL(PATCH(TXN(eod.nparts), int, 0), -1); /* seen: readers take the last part */
    CU_ASSERT_EQUAL(PATCH(TXN(eod.nparts), int, 5), 0);
    CU_ASSERT_EQUAL(PATCH(TXN(eod.term_len), uint8_t, 6), -1);
    CU_ASSERT_EQUAL(PATCH(TXN(eod.reply_text[SMTP_TRANSCRIPT_TEXT - 1]), char, 'x'), -1);
    CU_ASSERT_EQUAL(PATCH(TXN(eod.part[0].ts), int64_t, INT64_MIN), -1);
    CU_ASSERT_EQUAL(PATCH(TXN(eod.reply_at.ts), int64_t, INT64_MAX), -1);
    CU_ASSERT_EQUAL(PATCH(TXN(data_at.ts), int64_t, INT64_MAX), -1);
    CU_ASSERT_EQUAL(PATCH(LINE(0, dir), uint8_t, 3), -1);
    CU_ASSERT_EQUAL(PATCH(LINE(0, dir), uint8_t, 2), 0);
    CU_ASSERT_EQUAL(PATCH(LINE(0, ts), int64_t, INT64_MIN), -1);
    CU_ASSERT_EQUAL(PATCH(LINE(9, text[SMTP_TRANSCRIPT_TEXT - 1]), char, 'x'), -1);
}

static void test_unpack_string_offsets(void)
{
    need_base();
    /* NULL means no MAIL or no Message-ID; a recipient is never NULL */
    CU_ASSERT_EQUAL(PATCH(TXN(mail_from), uintptr_t, 0), 0);
    CU_ASSERT_EQUAL(PATCH(TXN(message_id), uintptr_t, 0), 0);
    CU_ASSERT_EQUAL(PATCH(TXN(rcpt[0]), uintptr_t, 0), -1);
    CU_ASSERT_EQUAL(PATCH(TXN(mail_from), uintptr_t, base_len), -1);
    CU_ASSERT_EQUAL(PATCH(TXN(mail_from), uintptr_t, UINTPTR_MAX), -1);
    CU_ASSERT_EQUAL(PATCH(TXN(rcpt[0]), uintptr_t, REP(helo)), -1); /* not in the strings */
    CU_ASSERT_EQUAL(PATCH(TXN(rcpt[0]), uintptr_t, strings_at), 0);
    /* strings with no NUL before the end */
    uint8_t *c = copy_of(base, base_len);
    memset(c + strings_at, 'A', base_len - strings_at);
    CU_ASSERT_EQUAL(unpack_copy(c, base_len), -1);
    free(c);
}

/* A report made up for pack, which takes it as it is: counts no session reaches. */
static int crafted(unsigned ntxn, unsigned nhead, unsigned ntail)
{
    static smtp_txn txns[SMTP_MAX_TXNS + 1];
    static smtp_tline lines[SMTP_TRANSCRIPT + 1];
    smtp_report r = {.closed_by = -1,
                     .txns = txns,
                     .ntxn = ntxn,
                     .head = lines,
                     .nhead = nhead,
                     .tail = lines,
                     .ntail = ntail};
    size_t n;
    uint8_t *b = pack_report(&r, &n);
    int rc = unpack_copy(b, n);
    free(b);
    return rc;
}

/* Bounds from the buffer alone would let these through: the counts are checked. */
static void test_unpack_counts(void)
{
    smtp_session *s = long_session();
    const smtp_report *r = smtp_get_report(s);
    unsigned head = r->nhead, ring = r->ntail; /* a wrapped transcript: both full */
    smtp_session_free(s);
    CU_ASSERT_EQUAL(head + ring, SMTP_TRANSCRIPT);
    CU_ASSERT_EQUAL(crafted(SMTP_MAX_TXNS, head, ring), 0);
    CU_ASSERT_EQUAL(crafted(SMTP_MAX_TXNS + 1, 0, 0), -1);
    CU_ASSERT_EQUAL(crafted(0, head + 1, 0), -1);
    CU_ASSERT_EQUAL(crafted(0, head, ring + 1), -1);
    /* a 33rd recipient whose slot (the first reply code's place) holds a valid offset */
    need_base();
    CU_ASSERT_EQUAL_FATAL(offsetof(smtp_txn, rcpt[SMTP_MAX_RCPTS]), offsetof(smtp_txn, rcpt_reply));
    uint8_t *c = copy_of(base, base_len);
    unsigned nrcpt = SMTP_MAX_RCPTS + 1;
    uintptr_t off = strings_at;
    for (unsigned i = 0; i < SMTP_MAX_RCPTS + 1; i++)
        memcpy(c + TXN(rcpt[0]) + i * sizeof off, &off, sizeof off);
    memcpy(c + TXN(nrcpt), &nrcpt, sizeof nrcpt);
    CU_ASSERT_EQUAL(unpack_copy(c, base_len), -1);
    nrcpt = SMTP_MAX_RCPTS;
    memcpy(c + TXN(nrcpt), &nrcpt, sizeof nrcpt);
    CU_ASSERT_EQUAL(unpack_copy(c, base_len), 0);
    free(c);
}

/* A string appended to base, as long as given, pointed to by mail_from. */
static int with_mail_from(size_t slen)
{
    size_t len = (base_len + slen + 1 + 7) / 8 * 8;
    uint64_t total = len;
    uintptr_t off = base_len;
    uint8_t *c = calloc(1, len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    memcpy(c, base, base_len);
    memset(c + base_len, 'a', slen);
    memcpy(c + TOTAL_AT, &total, sizeof total);
    memcpy(c + TXN(mail_from), &off, sizeof off);
    int rc = unpack_copy(c, len);
    free(c);
    return rc;
}

static void test_unpack_string_lengths(void)
{
    need_base();
    /* no longer than the analyser keeps them */
    CU_ASSERT_EQUAL(with_mail_from(SMTP_TEXT_MAX - 1), 0);
    CU_ASSERT_EQUAL(with_mail_from(SMTP_TEXT_MAX), -1);
    CU_ASSERT_EQUAL(with_mail_from(5000), -1);
}

static void test_unpack_header(void)
{
    need_base();
    CU_ASSERT_EQUAL(PATCH(0, uint32_t, 0x50524d54), -1);                        /* magic */
    CU_ASSERT_EQUAL(PATCH(4, uint32_t, *(const uint32_t *)(base + 4) ^ 1), -1); /* layout */
    CU_ASSERT_EQUAL(PATCH(TOTAL_AT, uint64_t, base_len + 8), -1);
    CU_ASSERT_EQUAL(PATCH(TOTAL_AT, uint64_t, base_len - 1), -1);
    /* a length that is not a multiple of 8, the length word agreeing */
    uint8_t *odd = calloc(1, base_len + 4);
    CU_ASSERT_PTR_NOT_NULL_FATAL(odd);
    memcpy(odd, base, base_len);
    memcpy(odd + TOTAL_AT, &(uint64_t){base_len + 4}, sizeof(uint64_t));
    CU_ASSERT_EQUAL(unpack_copy(odd, base_len + 4), -1);
    free(odd);
    /* bytes past the packed ones */
    uint8_t *c = calloc(1, base_len + 8);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    memcpy(c, base, base_len);
    CU_ASSERT_EQUAL(unpack_copy(c, base_len + 8), -1);
    free(c);
    /* not 8-byte aligned */
    c = malloc(base_len + 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    memcpy(c + 1, base, base_len);
    const smtp_report *out = UNSET;
    CU_ASSERT_EQUAL(smtp_report_unpack(c + 1, base_len, &out), -1);
    CU_ASSERT_PTR_EQUAL(out, UNSET);
    free(c);
    CU_ASSERT_EQUAL(smtp_report_unpack(NULL, 0, &out), -1);
    CU_ASSERT_PTR_EQUAL(out, UNSET);
}

/* ---- garbled bytes ---- */

static uint64_t rng = 0x243f6a8885a308d3u;

static uint64_t rnd(void)
{
    return rng_next(&rng);
}

/* Bit flips, random bytes, and words set to counts, bounds and offsets that matter. */
static void garble(uint8_t *b, size_t len)
{
    static const uint32_t words[] = {0,  1,   2,   3,          4,          5,         6,
                                     7,  8,   9,   31,         32,         33,        40,
                                     96, 255, 256, 0x7fffffff, 0x80000000, 0xffffffff};
    for (unsigned k = 1 + rnd() % 4; k > 0; k--) {
        uint32_t w = words[rnd() % (sizeof words / sizeof words[0])];
        uint64_t d[] = {0, len - 1, len, len + 8, rnd() % len, (uint64_t)1 << 61, UINT64_MAX};
        switch (rnd() % 4) {
        case 0:
            b[rnd() % len] ^= (uint8_t)(1u << rnd() % 8);
            break;
        case 1:
            b[rnd() % len] = (uint8_t)rnd();
            break;
        case 2:
            memcpy(b + rnd() % (len / 4) * 4, &w, sizeof w);
            break;
        default:
            memcpy(b + rnd() % (len / 8) * 8, &d[rnd() % (sizeof d / sizeof d[0])], 8);
            break;
        }
    }
}

enum { GARBLED = 20000 };

static void test_unpack_garbled(void)
{
    uint8_t *packed[NCASES];
    size_t len[NCASES];
    for (unsigned i = 0; i < NCASES; i++) {
        smtp_session *s = cases[i].build();
        packed[i] = pack_report(smtp_get_report(s), &len[i]);
        smtp_session_free(s);
    }
    FILE *null = fopen("/dev/null", "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(null);
    report *json = report_new(null, REPORT_JSON, 1), *text = report_new(null, REPORT_TEXT, 1);
    CU_ASSERT_FATAL(json && text);
    unsigned accepted = 0, rejected = 0, wrong = 0;
    for (unsigned n = 0; n < GARBLED; n++) {
        unsigned i = n % NCASES;
        uint8_t *c = copy_of(packed[i], len[i]);
        garble(c, len[i]);
        const smtp_report *out = UNSET;
        int rc = smtp_report_unpack(c, len[i], &out);
        if (rc == 0) {
            accepted++;
            wrong += !report_inside(c, len[i], out);
            report_session_text(null, n, cases[i].client, SERVER, out);
            report_session(json, n, cases[i].client, SERVER, out);
            report_session(text, n, cases[i].client, SERVER, out);
        } else {
            rejected++;
            wrong += rc != -1 || out != UNSET;
        }
        free(c);
    }
    capture_summary cap = {.source = "garbled.pcap"};
    report_summary(json, &cap);
    report_summary(text, &cap);
    report_free(json);
    report_free(text);
    fclose(null);
    CU_ASSERT_EQUAL(wrong, 0);
    /* both ways taken often: the readers ran on damaged reports that passed */
    CU_ASSERT(accepted > GARBLED / 10);
    CU_ASSERT(rejected > GARBLED / 20);
    for (unsigned i = 0; i < NCASES; i++)
        free(packed[i]);
}

static int teardown(void)
{
    free(base);
    base = NULL;
    return 0;
}

void add_pack_suite(void)
{
    CU_pSuite s = CU_add_suite("pack", NULL, teardown);
    CU_add_test(s, "round trip reads the same", test_round_trip_reads_the_same);
    CU_add_test(s, "small buffer untouched", test_pack_small_buffer_untouched);
    CU_add_test(s, "truncated", test_unpack_truncated);
    CU_add_test(s, "report fields", test_unpack_report_fields);
    CU_add_test(s, "transaction and line fields", test_unpack_txn_and_line_fields);
    CU_add_test(s, "counts", test_unpack_counts);
    CU_add_test(s, "string offsets", test_unpack_string_offsets);
    CU_add_test(s, "string lengths", test_unpack_string_lengths);
    CU_add_test(s, "header", test_unpack_header);
    CU_add_test(s, "garbled", test_unpack_garbled);
}
