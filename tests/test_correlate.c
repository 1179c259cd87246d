/* Grouping the same message across sessions, and ranking the causes. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/correlate.h"
#include "report/report.h"
#include "report/servers.h"
#include "smtp/smtp.h"
#include "tests/suites.h"

static const int64_t T0 = 1772442000000000;
static const int64_t SEC = 1000000;

typedef struct attempt_spec {
    double at;          /* seconds after T0 */
    const char *msg_id; /* NULL: no Message-ID header */
    const char *body;
    const char *reply; /* NULL: the server never answers */
    int split;         /* cut the terminator CRLF|.CRLF */
    int quit;
    const char *banner;
} attempt_spec;

static void feed(smtp_session *s, smtp_dir dir, double t, const char *text)
{
    static uint64_t frame;
    smtp_feed(s, dir, (const uint8_t *)text, strlen(text), T0 + (int64_t)(t * SEC), ++frame);
}

/* Plays one session to its end; the caller frees it. */
static smtp_session *session_of(const attempt_spec *a)
{
    double t = a->at;
    char head[256], body[512];
    smtp_session *s = smtp_session_new(T0 + (int64_t)(t * SEC), 1);
    feed(s, SMTP_SERVER, t, a->banner ? a->banner : "220 mx ESMTP\r\n");
    feed(s, SMTP_CLIENT, t, "HELO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n");
    feed(s, SMTP_SERVER, t, "250 mx\r\n250 ok\r\n250 ok\r\n354 go\r\n");
    snprintf(head, sizeof head, "%s%s%sSubject: s\r\n\r\n", a->msg_id ? "Message-ID: " : "",
             a->msg_id ? a->msg_id : "", a->msg_id ? "\r\n" : "");
    snprintf(body, sizeof body, "%s%s%s", head, a->body, a->split ? "" : ".\r\n");
    feed(s, SMTP_CLIENT, t + 0.1, body);
    if (a->split)
        feed(s, SMTP_CLIENT, t + 0.3, ".\r\n");
    if (a->reply)
        feed(s, SMTP_SERVER, t + 0.4, a->reply);
    if (a->quit) {
        feed(s, SMTP_CLIENT, t + 0.5, "QUIT\r\n");
        feed(s, SMTP_SERVER, t + 0.5, "221 bye\r\n");
    }
    smtp_end(s, SMTP_END_FIN, SMTP_CLIENT, T0 + (int64_t)((t + 60) * SEC), 0);
    return s;
}

/* Plays one session and hands it to the correlator. */
static void play(correlate *c, uint64_t id, const attempt_spec *a)
{
    smtp_session *s = session_of(a);
    correlate_session(c, id, "198.51.100.7:40000", "192.0.2.1:25", smtp_get_report(s));
    correlate_client(c, "198.51.100.7:40000", smtp_get_report(s));
    smtp_session_free(s);
}

static correlate *run(const attempt_spec *a, unsigned n)
{
    correlate *c = correlate_new();
    for (unsigned i = 0; i < n; i++)
        play(c, i + 1, &a[i]);
    correlate_finish(c, NULL);
    return c;
}

#define BODY "Hello Bob,\r\nthe figures.\r\n"
#define PIX "220 *********0****************2*****\r\n"

static void test_retry_series_through_inspection(void)
{
    attempt_spec a[] = {
        {0, "<m1@x>", BODY, NULL, 1, 0, PIX},
        {600, "<m1@x>", BODY, NULL, 1, 0, PIX},
        {1200, "<m1@x>", BODY, NULL, 1, 0, PIX},
        {50, "<other@x>", "unrelated\r\n", "250 ok\r\n", 0, 1, NULL},
    };
    correlate *c = run(a, 4);
    CU_ASSERT_EQUAL_FATAL(correlate_ngroups(c), 1);
    const corr_group *g = correlate_group(c, 0);
    CU_ASSERT_EQUAL(g->n, 3);
    CU_ASSERT_EQUAL(g->acknowledged, 0);
    CU_ASSERT_FALSE(g->by_digest);
    CU_ASSERT_STRING_EQUAL(g->message_id, "<m1@x>");
    CU_ASSERT_DOUBLE_EQUAL(g->interval_median, 600.0, 0.5);
    CU_ASSERT_EQUAL(correlate_attempt(c, g->members[0])->session, 1);
    CU_ASSERT_EQUAL(correlate_attempt(c, g->members[2])->session, 3);
    CU_ASSERT_FATAL(g->ncauses >= 1);
    CU_ASSERT_EQUAL(g->causes[0].id, CAUSE_INSPECTION);
    CU_ASSERT(g->causes[0].score > 0.9);
    CU_ASSERT_FALSE(g->resent_after_ack);
    correlate_free(c);
}

static void test_sender_resends_after_success(void)
{
    attempt_spec a[] = {
        {0, "<m2@x>", BODY, "250 queued\r\n", 0, 1, NULL},
        {300, "<m2@x>", BODY, "250 queued\r\n", 0, 1, NULL},
    };
    correlate *c = run(a, 2);
    CU_ASSERT_EQUAL_FATAL(correlate_ngroups(c), 1);
    const corr_group *g = correlate_group(c, 0);
    CU_ASSERT_EQUAL(g->acknowledged, 2);
    CU_ASSERT(g->resent_after_ack);
    CU_ASSERT_EQUAL(g->causes[0].id, CAUSE_SENDER_RESENT);
    correlate_free(c);
}

static void test_new_message_id_found_by_digest(void)
{
    attempt_spec a[] = {
        {0, "<first@x>", BODY, NULL, 0, 0, NULL},
        {600, "<second@x>", BODY, "250 queued\r\n", 0, 1, NULL},
        {900, NULL, BODY, "250 queued\r\n", 0, 1, NULL},
    };
    correlate *c = run(a, 3);
    CU_ASSERT_EQUAL_FATAL(correlate_ngroups(c), 1);
    const corr_group *g = correlate_group(c, 0);
    CU_ASSERT(g->by_digest);
    CU_ASSERT(g->has_digest);
    CU_ASSERT_EQUAL(g->n, 3);
    CU_ASSERT_EQUAL(g->acknowledged, 2);
    /* the failed attempt explains the re-send: a server that never answered */
    CU_ASSERT_EQUAL(g->causes[0].id, CAUSE_SENDER_RESENT);
    int slow = 0;
    for (unsigned i = 0; i < g->ncauses; i++)
        slow |= g->causes[i].id == CAUSE_SLOW_SERVER;
    CU_ASSERT(slow);
    correlate_free(c);
}

static void test_digest_group_hidden_when_ids_tell_it_all(void)
{
    attempt_spec a[] = {
        {0, "<same@x>", BODY, NULL, 0, 0, NULL},
        {600, "<same@x>", BODY, NULL, 0, 0, NULL},
    };
    correlate *c = run(a, 2);
    CU_ASSERT_EQUAL_FATAL(correlate_ngroups(c), 1); /* not twice: once by ID, digest adds nothing */
    CU_ASSERT_FALSE(correlate_group(c, 0)->by_digest);
    correlate_free(c);
}

static void test_distinct_messages_not_grouped(void)
{
    attempt_spec a[] = {
        {0, "<a@x>", "one\r\n", "250 ok\r\n", 0, 1, NULL},
        {10, "<b@x>", "two\r\n", "250 ok\r\n", 0, 1, NULL},
        {20, NULL, "three\r\n", "250 ok\r\n", 0, 1, NULL},
    };
    correlate *c = run(a, 3);
    CU_ASSERT_EQUAL(correlate_ngroups(c), 0);
    correlate_free(c);
}

static void test_worst_first(void)
{
    attempt_spec a[] = {
        {0, "<ok@x>", "fine\r\n", "250 ok\r\n", 0, 1, NULL},
        {5, "<ok@x>", "fine\r\n", "250 ok\r\n", 0, 1, NULL},
        {10, "<bad@x>", "lost\r\n", NULL, 1, 0, NULL},
        {20, "<bad@x>", "lost\r\n", NULL, 1, 0, NULL},
    };
    correlate *c = run(a, 4);
    CU_ASSERT_EQUAL_FATAL(correlate_ngroups(c), 2);
    CU_ASSERT_STRING_EQUAL(correlate_group(c, 0)->message_id, "<bad@x>");
    CU_ASSERT_STRING_EQUAL(correlate_group(c, 1)->message_id, "<ok@x>");
    correlate_free(c);
}

static void test_session_cause_ranking(void)
{
    smtp_report r;
    cause out[CAUSE_COUNT];
    memset(&r, 0, sizeof r);
    CU_ASSERT_EQUAL(correlate_rank_session(&r, out), 0);
    r.flags = SMTP_FLAG_SPLIT_EOD_UNACKED | SMTP_FLAG_SMTP_INSPECTION | SMTP_FLAG_EOD_NO_REPLY;
    r.inspection_confidence = 0.9;
    unsigned n = correlate_rank_session(&r, out);
    CU_ASSERT_FATAL(n >= 1);
    CU_ASSERT_EQUAL(out[0].id, CAUSE_INSPECTION);
    CU_ASSERT(out[0].score > 0.9);
    r.flags = SMTP_FLAG_SLOW_EOD_REPLY | SMTP_FLAG_REPLY_AFTER_CLOSE | SMTP_FLAG_RST_AFTER_EOD;
    r.inspection_confidence = 0;
    n = correlate_rank_session(&r, out);
    CU_ASSERT_EQUAL_FATAL(n, 2);
    CU_ASSERT_EQUAL(out[0].id, CAUSE_SLOW_SERVER);
    CU_ASSERT_EQUAL(out[1].id, CAUSE_NETWORK);
    CU_ASSERT(out[0].score > out[1].score);
}

static void test_client_never_quits(void)
{
    attempt_spec a[] = {
        {0, "<1@x>", "a\r\n", "250 ok\r\n", 0, 0, NULL},
        {10, "<2@x>", "b\r\n", "250 ok\r\n", 0, 0, NULL},
        {20, "<3@x>", "c\r\n", "250 ok\r\n", 0, 0, NULL},
    };
    correlate *c = run(a, 3);
    CU_ASSERT_EQUAL_FATAL(correlate_nclients_never_quit(c, 3), 1);
    unsigned pos = 0;
    const corr_client *cl = correlate_next_never_quit(c, 3, &pos);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cl);
    CU_ASSERT_STRING_EQUAL(cl->address, "198.51.100.7");
    CU_ASSERT_EQUAL(cl->sessions, 3);
    CU_ASSERT_PTR_NULL(correlate_next_never_quit(c, 3, &pos)); /* the only one */
    CU_ASSERT_EQUAL(correlate_nclients_never_quit(c, 4), 0);
    correlate_free(c);
}

/* Thousands of keys: the tables grow and every message and client is still found. */
static void test_many_messages_and_clients(void)
{
    correlate *c = correlate_new();
    char id[32], body[32], endpoint[48];
    for (unsigned i = 0; i < 3000; i++) {
        unsigned m = i < 2500 ? i : (i - 2500) * 5; /* the last 500 send 0, 5, 10... again */
        snprintf(id, sizeof id, "<m%u@x>", m);
        snprintf(body, sizeof body, "body %u\r\n", m);
        attempt_spec a = {i, id, body, "250 ok\r\n", 0, 1, NULL};
        play(c, i + 1, &a);
    }
    smtp_report r;
    memset(&r, 0, sizeof r);
    r.flags = SMTP_FLAG_MISSING_QUIT;
    for (unsigned i = 0; i < 3000; i++) {
        snprintf(endpoint, sizeof endpoint, "[2001:db8::%x]:%u", i % 1000, 40000 + i);
        correlate_client(c, endpoint, &r);
    }
    correlate_finish(c, NULL);
    /* the digest groups say nothing the Message-ID groups do not */
    CU_ASSERT_EQUAL_FATAL(correlate_ngroups(c), 500);
    for (unsigned i = 0; i < 500; i++) {
        const corr_group *g = correlate_group(c, i);
        CU_ASSERT_EQUAL(g->n, 2);
        CU_ASSERT_FALSE(g->by_digest);
    }
    /* 1000 addresses, 3 sessions each without QUIT; the one of play() sent QUIT */
    CU_ASSERT_EQUAL_FATAL(correlate_nclients_never_quit(c, 3), 1000);
    unsigned pos = 0, walked = 0;
    const corr_client *cl = correlate_next_never_quit(c, 3, &pos);
    CU_ASSERT_STRING_EQUAL_FATAL(cl->address, "2001:db8::0");
    for (; cl; cl = correlate_next_never_quit(c, 3, &pos), walked++)
        CU_ASSERT_EQUAL(cl->sessions, 3);
    CU_ASSERT_EQUAL(walked, 1000); /* the cursor walks each once */
    CU_ASSERT_EQUAL(correlate_nclients_never_quit(c, 4), 0);
    correlate_free(c);
}

/* The text report of the sessions a (to 192.0.2.25:25), after the failed connect cf when
 * not NULL; the caller frees it. */
static char *text_report(const attempt_spec *a, unsigned n, const connect_failed *cf)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    report *r = report_new(f, REPORT_TEXT, 0);
    if (cf)
        report_connect_failed(r, cf);
    for (unsigned i = 0; i < n; i++) {
        smtp_session *s = session_of(&a[i]);
        report_session(r, i + 1, "198.51.100.7:40000", "192.0.2.25:25", smtp_get_report(s));
        smtp_session_free(s);
    }
    capture_summary cap = {.source = "test"};
    report_summary(r, &cap);
    report_free(r);
    fclose(f);
    return buf;
}

/* The evidence under a duplicate in the text report: its lines in their fixed order. */
static void test_evidence_lines(void)
{
    attempt_spec a[] = {
        {0, "<ev@x>", BODY, NULL, 1, 0, PIX},
        {600, "<ev@x>", BODY, NULL, 1, 0, PIX},
        {1200, "<ev@x>", BODY, "250 ok\r\n", 0, 0, NULL},
        {1800, "<ev@x>", BODY, "250 ok\r\n", 0, 1, NULL},
    };
    char *buf = text_report(a, 4, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
    const char *want = "    - 4 attempts every 600 s: a steady interval is the sending MTA's retry "
                       "timer\n"
                       "    - end of data split across segments and never accepted in 2 of 4 "
                       "attempts\n"
                       "    - 220 greeting masked with '*' in 2 of 4 attempts\n"
                       "    - client gave up before any reply in 2 of 4 attempts\n"
                       "    - accepted with 250 in session 3, sent again 600 s later in session 4\n"
                       "    - session ended without QUIT in 3 of 4 attempts\n"
                       "    likely cause:";
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, want));
    free(buf);
}

/* ---- failed connects at a group's servers ---- */

/* A connect to server that failed at t s after T0 (no SYN/ACK). */
static connect_failed failed_connect(const char *server, double t)
{
    connect_failed f;
    memset(&f, 0, sizeof f);
    snprintf(f.client, sizeof f.client, "198.51.100.7:39000");
    snprintf(f.server, sizeof f.server, "%s", server);
    f.attempts = 3;
    f.first = f.last = T0 + (int64_t)(t * SEC);
    return f;
}

/* A message sent at 0 s (never answered) and again at 300 s (accepted) to 192.0.2.1:25, with
 * the failed connects at (seconds) in the servers' figures. */
static correlate *run_with_failures(const char *server, const double *at, unsigned n)
{
    attempt_spec a[] = {
        {0, "<busy@x>", BODY, NULL, 0, 0, NULL},
        {300, "<busy@x>", BODY, "250 ok\r\n", 0, 1, NULL},
    };
    servers *srv = servers_new();
    correlate *c = correlate_new();
    for (unsigned i = 0; i < n; i++) {
        connect_failed f = failed_connect(server, at[i]);
        servers_connect_failed(srv, &f);
    }
    for (unsigned i = 0; i < 2; i++)
        play(c, i + 1, &a[i]);
    correlate_finish(c, srv);
    servers_free(srv);
    return c;
}

static double cause_score(const corr_group *g, cause_id id)
{
    for (unsigned i = 0; i < g->ncauses; i++)
        if (g->causes[i].id == id)
            return g->causes[i].score;
    return 0.0;
}

/* Three failed connects in the window (10 minutes before the first attempt to a minute after
 * the last), one before it, one after it: the server was turning senders away. The window's
 * edges are as sharp as the server's timeline (a bucket: 8 s for these 21 minutes), so the
 * ones outside are a minute out. */
static void test_failed_connects_rank_overloaded(void)
{
    const double at[] = {-900, -500, -10, 200, 421};
    correlate *c = run_with_failures("192.0.2.1:25", at, 5);
    CU_ASSERT_EQUAL_FATAL(correlate_ngroups(c), 1);
    const corr_group *g = correlate_group(c, 0);
    CU_ASSERT_EQUAL_FATAL(g->nsigns, 1);
    CU_ASSERT_EQUAL(g->signs[0].n[SERVER_SIGN_CONNECT_FAILED], 3);
    CU_ASSERT_STRING_EQUAL(correlate_host(c, g->signs[0].server), "192.0.2.1:25");
    CU_ASSERT_DOUBLE_EQUAL(cause_score(g, CAUSE_SERVER_OVERLOADED), 0.7, 1e-9);
    correlate_free(c);
}

/* Failed connects at another server, or outside the window, say nothing of this one. */
static void test_no_failed_connects_no_overload(void)
{
    const double other[] = {-10, 200};
    const double outside[] = {-660, 421};
    correlate *c = run_with_failures("192.0.2.99:25", other, 2);
    CU_ASSERT_EQUAL_FATAL(correlate_ngroups(c), 1);
    CU_ASSERT_EQUAL(correlate_group(c, 0)->nsigns, 0);
    CU_ASSERT_EQUAL(cause_score(correlate_group(c, 0), CAUSE_SERVER_OVERLOADED), 0.0);
    correlate_free(c);
    c = run_with_failures("192.0.2.1:25", outside, 2);
    CU_ASSERT_EQUAL_FATAL(correlate_ngroups(c), 1);
    CU_ASSERT_EQUAL(correlate_group(c, 0)->nsigns, 0);
    CU_ASSERT_EQUAL(cause_score(correlate_group(c, 0), CAUSE_SERVER_OVERLOADED), 0.0);
    correlate_free(c);
}

/* One body, sender and recipient under two Message-IDs: the second sent while the first
 * still waited for its 250 is another message (a template, a test tool's default body);
 * sent after the first was accepted it is the sender re-sending under a new Message-ID. */
static void test_concurrent_copies_are_two_messages(void)
{
    attempt_spec together[] = {
        {0, "<one@x>", BODY, "250 ok\r\n", 0, 1, NULL},
        {0.2, "<two@x>", BODY, "250 ok\r\n", 0, 1, NULL},
    };
    correlate *c = run(together, 2);
    CU_ASSERT_EQUAL(correlate_ngroups(c), 0);
    correlate_free(c);
    attempt_spec after[] = {
        {0, "<one@x>", BODY, "250 ok\r\n", 0, 1, NULL},
        {0.5, "<two@x>", BODY, "250 ok\r\n", 0, 1, NULL},
    };
    c = run(after, 2);
    CU_ASSERT_EQUAL_FATAL(correlate_ngroups(c), 1);
    const corr_group *g = correlate_group(c, 0);
    CU_ASSERT(g->by_digest);
    CU_ASSERT(g->resent_after_ack);
    correlate_free(c);
    attempt_spec unanswered[] = {
        {0, "<one@x>", BODY, NULL, 0, 0, NULL},
        {0.2, "<two@x>", BODY, "250 ok\r\n", 0, 1, NULL},
    };
    c = run(unanswered, 2); /* the first never accepted: a re-send */
    CU_ASSERT_EQUAL(correlate_ngroups(c), 1);
    correlate_free(c);
}

/* Other sessions at the server around the attempts that were answered 421, greeted late or
 * answered end of data late rank server_overloaded too, each sign its own weight (421 0.4,
 * lateness 0.3, plus 0.1 a session up to five); sessions outside the window or at another
 * server do not. */
static void test_other_sessions_rank_overloaded(void)
{
    attempt_spec a[] = {
        {0, "<busy@x>", BODY, NULL, 0, 0, NULL},
        {300, "<busy@x>", BODY, "250 ok\r\n", 0, 1, NULL},
    };
    servers *srv = servers_new();
    smtp_report busy = {
        .start = T0 + 100 * SEC, .busy_replies = 2, .flags = SMTP_FLAG_SERVER_BUSY_421};
    smtp_report late = {.start = T0 + 150 * SEC, .flags = SMTP_FLAG_SLOW_BANNER};
    smtp_report slow = {.start = T0 + 2000 * SEC, .flags = SMTP_FLAG_SLOW_EOD_REPLY};
    smtp_report elsewhere = {
        .start = T0 + 100 * SEC, .busy_replies = 1, .flags = SMTP_FLAG_SERVER_BUSY_421};
    servers_session(srv, "192.0.2.1:25", &busy);
    servers_session(srv, "192.0.2.1:25", &late);
    servers_session(srv, "192.0.2.1:25", &slow);
    servers_session(srv, "192.0.2.99:25", &elsewhere);
    correlate *c = correlate_new();
    for (unsigned i = 0; i < 2; i++)
        play(c, i + 1, &a[i]);
    correlate_finish(c, srv);
    CU_ASSERT_EQUAL_FATAL(correlate_ngroups(c), 1);
    const corr_group *g = correlate_group(c, 0);
    CU_ASSERT_EQUAL_FATAL(g->nsigns, 1);
    CU_ASSERT_EQUAL(g->signs[0].n[SERVER_SIGN_BUSY_421], 1);
    CU_ASSERT_EQUAL(g->signs[0].n[SERVER_SIGN_LATE_GREETING], 1);
    CU_ASSERT_EQUAL(g->signs[0].n[SERVER_SIGN_LATE_REPLY], 0);
    CU_ASSERT_EQUAL(g->signs[0].n[SERVER_SIGN_CONNECT_FAILED], 0);
    CU_ASSERT_DOUBLE_EQUAL(cause_score(g, CAUSE_SERVER_OVERLOADED), 1 - 0.5 * 0.6, 1e-9);
    correlate_free(c);
    servers_free(srv);
}

/* The report passes its servers to the correlator: the failed connects are an evidence line
 * (one connect, in the singular) and rank server_overloaded. */
static void test_failed_connects_evidence_line(void)
{
    attempt_spec a[] = {
        {0, "<ov@x>", BODY, NULL, 0, 0, NULL},
        {300, "<ov@x>", BODY, "250 ok\r\n", 0, 1, NULL},
    };
    connect_failed cf = failed_connect("192.0.2.25:25", -30);
    char *buf = text_report(a, 2, &cf);
    CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
    CU_ASSERT_PTR_NOT_NULL(
        strstr(buf, "    - around the attempts at 192.0.2.25:25: 1 connection attempt failed\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "server_overloaded (0.50)"));
    free(buf);
}

/* ---- hops, loops, relay paths, fan-out ---- */

/* One transfer of a message: who carried it, with how many Received: lines, to whom. */
typedef struct hop_spec {
    double at;
    const char *client, *server; /* "ADDR:PORT" */
    unsigned received;
    const char *rcpts; /* space-separated addresses */
    const char *reply; /* NULL: the server never answers */
    const char *msg_id;
} hop_spec;

static void envelope_of(smtp_session *s, double t, const char *rcpts)
{
    char line[128];
    feed(s, SMTP_SERVER, t, "220 mx ESMTP\r\n");
    feed(s, SMTP_CLIENT, t, "HELO c\r\n");
    feed(s, SMTP_SERVER, t, "250 mx\r\n");
    feed(s, SMTP_CLIENT, t, "MAIL FROM:<a@x>\r\n");
    feed(s, SMTP_SERVER, t, "250 ok\r\n");
    for (const char *p = rcpts; *p;) {
        size_t n = strcspn(p, " ");
        snprintf(line, sizeof line, "RCPT TO:<%.*s>\r\n", (int)n, p);
        feed(s, SMTP_CLIENT, t, line);
        feed(s, SMTP_SERVER, t, "250 ok\r\n");
        p += n + (p[n] == ' ');
    }
    feed(s, SMTP_CLIENT, t, "DATA\r\n");
    feed(s, SMTP_SERVER, t, "354 go\r\n");
}

static smtp_session *hop_session(const hop_spec *h)
{
    smtp_session *s = smtp_session_new(T0 + (int64_t)(h->at * SEC), 1);
    envelope_of(s, h->at, h->rcpts);
    for (unsigned i = 0; i < h->received; i++)
        feed(s, SMTP_CLIENT, h->at + 0.1, "Received: from relay by relay; Mon, 2 Mar 2026\r\n");
    char head[160];
    snprintf(head, sizeof head, "Message-ID: %s\r\nSubject: s\r\n\r\n" BODY ".\r\n", h->msg_id);
    feed(s, SMTP_CLIENT, h->at + 0.1, head);
    if (h->reply) { /* else the client gives up, as a silent server makes it */
        feed(s, SMTP_SERVER, h->at + 0.4, h->reply);
        feed(s, SMTP_CLIENT, h->at + 0.5, "QUIT\r\n");
        feed(s, SMTP_SERVER, h->at + 0.5, "221 bye\r\n");
    }
    smtp_end(s, SMTP_END_FIN, SMTP_CLIENT, T0 + (int64_t)((h->at + 1) * SEC), 0);
    return s;
}

static correlate *run_hops(const hop_spec *h, unsigned n)
{
    correlate *c = correlate_new();
    for (unsigned i = 0; i < n; i++) {
        smtp_session *s = hop_session(&h[i]);
        correlate_session(c, i + 1, h[i].client, h[i].server, smtp_get_report(s));
        smtp_session_free(s);
    }
    correlate_finish(c, NULL);
    return c;
}

#define A_C "192.0.2.10:41000"
#define A_S "192.0.2.10:25"
#define B_C "192.0.2.20:42000"
#define B_S "192.0.2.20:25"
#define OK "250 ok\r\n"

static unsigned paths(const correlate *c, corr_path_kind k)
{
    return correlate_npaths(c, k);
}

/* A -> B -> A -> B, one more Received: each time: one loop, no duplicate. */
static void test_loop_between_two_servers(void)
{
    hop_spec h[] = {
        {0, A_C, B_S, 4, "b@y", OK, "<loop@x>"},
        {30, B_C, A_S, 5, "b@y", OK, "<loop@x>"},
        {60, A_C, B_S, 6, "b@y", OK, "<loop@x>"},
    };
    correlate *c = run_hops(h, 3);
    CU_ASSERT_EQUAL(correlate_ngroups(c), 0);
    CU_ASSERT_EQUAL(paths(c, CORR_RELAY), 0);
    CU_ASSERT_EQUAL_FATAL(paths(c, CORR_LOOP), 1);
    const corr_path *p = correlate_path(c, CORR_LOOP, 0);
    CU_ASSERT_EQUAL_FATAL(p->n, 3);
    CU_ASSERT_STRING_EQUAL(p->message_id, "<loop@x>");
    for (unsigned i = 0; i < 3; i++) {
        const corr_attempt *a = correlate_attempt(c, p->members[i]);
        CU_ASSERT_EQUAL(a->received, 4 + i);
        CU_ASSERT_EQUAL(a->session, i + 1);
        CU_ASSERT_STRING_EQUAL(correlate_host(c, a->server), i % 2 ? A_S : B_S);
    }
    correlate_free(c);
}

/* Seen on one link only: A -> B twice, two Received: more the second time: the message came
 * round. The same pair with the same count is a re-send (below). */
static void test_loop_seen_one_way(void)
{
    hop_spec h[] = {
        {0, A_C, B_S, 4, "b@y", OK, "<round@x>"},
        {60, A_C, B_S, 6, "b@y", OK, "<round@x>"},
    };
    correlate *c = run_hops(h, 2);
    CU_ASSERT_EQUAL(paths(c, CORR_LOOP), 1);
    CU_ASSERT_EQUAL(correlate_ngroups(c), 0);
    correlate_free(c);
}

/* client -> relay -> server: a relay path; the relay held it from its 250 to its DATA. */
static void test_relay_path_not_duplicate(void)
{
    hop_spec h[] = {
        {0, "198.51.100.7:40000", A_S, 2, "b@y", OK, "<relay@x>"},
        {5, A_C, "203.0.113.5:25", 3, "b@y", OK, "<relay@x>"},
    };
    correlate *c = run_hops(h, 2);
    CU_ASSERT_EQUAL(correlate_ngroups(c), 0);
    CU_ASSERT_EQUAL(paths(c, CORR_LOOP), 0);
    CU_ASSERT_EQUAL_FATAL(paths(c, CORR_RELAY), 1);
    const corr_path *p = correlate_path(c, CORR_RELAY, 0);
    CU_ASSERT_EQUAL_FATAL(p->n, 2);
    const corr_attempt *in = correlate_attempt(c, p->members[0]);
    const corr_attempt *out = correlate_attempt(c, p->members[1]);
    CU_ASSERT_STRING_EQUAL(correlate_host(c, in->client), "198.51.100.7");
    CU_ASSERT_STRING_EQUAL(correlate_host(c, in->server), A_S);
    CU_ASSERT_STRING_EQUAL(correlate_host(c, out->client), "192.0.2.10");
    /* accepted at 0.4 s, DATA of the next hop at 5 s */
    CU_ASSERT_EQUAL(correlate_held(in, out), 4600000);
    correlate_free(c);
}

/* The sender tried the backup MX, which relayed to the primary, and then the primary too:
 * the primary got it twice, not in a loop. A relay path, and a duplicate on the first hop. */
static void test_backup_mx_is_not_a_loop(void)
{
    hop_spec h[] = {
        {0, "198.51.100.7:40000", A_S, 1, "b@y", OK, "<mx@x>"},
        {5, A_C, B_S, 2, "b@y", OK, "<mx@x>"},
        {300, "198.51.100.7:40001", B_S, 1, "b@y", OK, "<mx@x>"},
    };
    correlate *c = run_hops(h, 3);
    CU_ASSERT_EQUAL(paths(c, CORR_LOOP), 0);
    CU_ASSERT_EQUAL(paths(c, CORR_RELAY), 1);
    CU_ASSERT_EQUAL_FATAL(correlate_ngroups(c), 1);
    const corr_group *g = correlate_group(c, 0);
    CU_ASSERT_EQUAL(correlate_attempt(c, g->members[0])->session, 1);
    CU_ASSERT_EQUAL(correlate_attempt(c, g->members[1])->session, 3);
    correlate_free(c);
}

/* A relay handing mail to a filter on its own host and back (Postfix, amavis) goes to other
 * ports: a path, not a loop. */
static void test_filter_on_localhost_is_a_path(void)
{
    hop_spec h[] = {
        {0, "127.0.0.1:50000", "127.0.0.1:10024", 1, "b@y", OK, "<filter@x>"},
        {1, "127.0.0.1:50001", "127.0.0.1:10025", 2, "b@y", OK, "<filter@x>"},
    };
    correlate *c = run_hops(h, 2);
    CU_ASSERT_EQUAL(paths(c, CORR_LOOP), 0);
    CU_ASSERT_EQUAL(paths(c, CORR_RELAY), 1);
    correlate_free(c);
}

/* The first hop of a relay path retried: that hop is a duplicate group, the path stands. */
static void test_retry_inside_relay_path(void)
{
    hop_spec h[] = {
        {0, "198.51.100.7:40000", A_S, 2, "b@y", NULL, "<rr@x>"},
        {300, "198.51.100.7:40001", A_S, 2, "b@y", OK, "<rr@x>"},
        {302, A_C, "203.0.113.5:25", 3, "b@y", OK, "<rr@x>"},
    };
    correlate *c = run_hops(h, 3);
    CU_ASSERT_EQUAL_FATAL(paths(c, CORR_RELAY), 1);
    const corr_path *p = correlate_path(c, CORR_RELAY, 0);
    CU_ASSERT_EQUAL_FATAL(p->n, 2);
    CU_ASSERT_EQUAL(correlate_attempt(c, p->members[0])->session, 2); /* the accepted one */
    CU_ASSERT_EQUAL_FATAL(correlate_ngroups(c), 1);
    const corr_group *g = correlate_group(c, 0);
    CU_ASSERT_EQUAL(g->n, 2);
    CU_ASSERT_EQUAL(g->acknowledged, 1);
    CU_ASSERT_EQUAL(correlate_attempt(c, g->members[0])->session, 1);
    CU_ASSERT_EQUAL(correlate_attempt(c, g->members[1])->session, 2);
    CU_ASSERT_STRING_EQUAL(g->message_id, "<rr@x>");
    CU_ASSERT_STRING_EQUAL(g->rcpt, "<b@y>");
    correlate_free(c);
}

/* One message as three single-RCPT transactions, all accepted: fan-out. */
static void test_fanout_not_duplicate(void)
{
    hop_spec h[] = {
        {0, A_C, B_S, 1, "b@y", OK, "<fan@x>"},
        {1, A_C, B_S, 1, "c@y", OK, "<fan@x>"},
        {2, A_C, B_S, 1, "d@y", OK, "<fan@x>"},
    };
    correlate *c = run_hops(h, 3);
    CU_ASSERT_EQUAL(correlate_ngroups(c), 0);
    CU_ASSERT_EQUAL_FATAL(paths(c, CORR_FANOUT), 1);
    const corr_path *p = correlate_path(c, CORR_FANOUT, 0);
    CU_ASSERT_EQUAL_FATAL(p->n, 3);
    CU_ASSERT_STRING_EQUAL(correlate_rcpt(c, correlate_attempt(c, p->members[0])->rcpt_name),
                           "<b@y>");
    CU_ASSERT_STRING_EQUAL(correlate_rcpt(c, correlate_attempt(c, p->members[2])->rcpt_name),
                           "<d@y>");
    correlate_free(c);
}

/* A true re-send: same hop, same recipients (in another order), both accepted. */
static void test_same_hop_same_rcpts_is_duplicate(void)
{
    hop_spec h[] = {
        {0, A_C, B_S, 1, "b@y c@y", OK, "<again@x>"},
        {300, A_C, B_S, 1, "c@y b@y", OK, "<again@x>"},
    };
    correlate *c = run_hops(h, 2);
    for (unsigned k = 0; k < CORR_PATH_KINDS; k++)
        CU_ASSERT_EQUAL(paths(c, k), 0);
    CU_ASSERT_EQUAL_FATAL(correlate_ngroups(c), 1);
    const corr_group *g = correlate_group(c, 0);
    CU_ASSERT(g->resent_after_ack);
    CU_ASSERT_EQUAL(g->causes[0].id, CAUSE_SENDER_RESENT);
    correlate_free(c);
}

/* Overlapping recipient sets are not fan-out: b@y got it twice. */
static void test_overlapping_rcpts_not_fanout(void)
{
    hop_spec h[] = {
        {0, A_C, B_S, 1, "b@y c@y", OK, "<ovl@x>"},
        {60, A_C, B_S, 1, "c@y d@y", OK, "<ovl@x>"},
    };
    correlate *c = run_hops(h, 2);
    CU_ASSERT_EQUAL(paths(c, CORR_FANOUT), 0);
    CU_ASSERT_EQUAL_FATAL(correlate_ngroups(c), 1);
    CU_ASSERT_EQUAL(correlate_group(c, 0)->causes[0].id, CAUSE_SENDER_RESENT);
    correlate_free(c);
}

/* More recipients than the fingerprint holds: the same set is still the same, and sets
 * whose lowest hashes differ are told apart. */
static void test_many_rcpts_fingerprint(void)
{
    hop_spec h[] = {
        {0, A_C, B_S, 1, "a@y b@y c@y d@y e@y f@y", OK, "<big@x>"},
        {60, A_C, B_S, 1, "f@y e@y d@y c@y b@y a@y", OK, "<big@x>"},
        {120, A_C, B_S, 1, "k@z l@z m@z n@z o@z p@z", OK, "<big@x>"},
    };
    correlate *c = run_hops(h, 3);
    CU_ASSERT_EQUAL_FATAL(correlate_ngroups(c), 1);
    CU_ASSERT_EQUAL(correlate_group(c, 0)->n, 2);
    CU_ASSERT_EQUAL_FATAL(paths(c, CORR_FANOUT), 1);
    CU_ASSERT_EQUAL(correlate_path(c, CORR_FANOUT, 0)->n, 2);
    CU_ASSERT_EQUAL(correlate_attempt(c, correlate_path(c, CORR_FANOUT, 0)->members[1])->nrcpt, 6);
    correlate_free(c);
}

/* Per-recipient copies where one copy was retried: a duplicate for that copy, fan-out for
 * the two recipients. */
static void test_fanout_with_a_retried_copy(void)
{
    hop_spec h[] = {
        {0, A_C, B_S, 1, "b@y", NULL, "<fr@x>"},
        {1, A_C, B_S, 1, "c@y", OK, "<fr@x>"},
        {300, A_C, B_S, 1, "b@y", OK, "<fr@x>"},
    };
    correlate *c = run_hops(h, 3);
    CU_ASSERT_EQUAL_FATAL(correlate_ngroups(c), 1);
    CU_ASSERT_EQUAL(correlate_group(c, 0)->n, 2);
    CU_ASSERT_STRING_EQUAL(correlate_group(c, 0)->rcpt, "<b@y>");
    CU_ASSERT_EQUAL_FATAL(paths(c, CORR_FANOUT), 1);
    const corr_path *p = correlate_path(c, CORR_FANOUT, 0);
    CU_ASSERT_EQUAL_FATAL(p->n, 2);
    CU_ASSERT_EQUAL(correlate_attempt(c, p->members[0])->session, 2);
    CU_ASSERT_EQUAL(correlate_attempt(c, p->members[1])->session, 3);
    correlate_free(c);
}

/* A newsletter sent as thousands of single-recipient copies: one fan-out, found without
 * comparing every copy with every other. */
static void test_large_fanout(void)
{
    enum { COPIES = 5000 };
    correlate *c = correlate_new();
    char to[32];
    for (unsigned i = 0; i < COPIES; i++) {
        snprintf(to, sizeof to, "u%u@y", i);
        hop_spec h = {i * 0.01, A_C, B_S, 1, to, OK, "<news@x>"};
        smtp_session *s = hop_session(&h);
        correlate_session(c, i + 1, h.client, h.server, smtp_get_report(s));
        smtp_session_free(s);
    }
    correlate_finish(c, NULL);
    CU_ASSERT_EQUAL(correlate_ngroups(c), 0);
    CU_ASSERT_EQUAL_FATAL(paths(c, CORR_FANOUT), 1);
    CU_ASSERT_EQUAL(correlate_path(c, CORR_FANOUT, 0)->n, COPIES);
    correlate_free(c);
}

/* A copy whose recipients were not seen could be any of them: no fan-out is claimed. */
static void test_unknown_rcpts_stay_duplicates(void)
{
    hop_spec h[] = {
        {0, A_C, B_S, 1, "", OK, "<unk@x>"},
        {60, A_C, B_S, 1, "b@y", OK, "<unk@x>"},
    };
    correlate *c = run_hops(h, 2);
    CU_ASSERT_EQUAL(paths(c, CORR_FANOUT), 0);
    CU_ASSERT_EQUAL(correlate_ngroups(c), 1);
    correlate_free(c);
}

/* A message with a long trail of relays points at a loop even when one hop is all there is. */
static void test_many_received_ranks_mail_loop(void)
{
    hop_spec h = {0, A_C, B_S, 30, "b@y", OK, "<far@x>"};
    smtp_session *s = hop_session(&h);
    cause out[CAUSE_COUNT];
    unsigned n = correlate_rank_session(smtp_get_report(s), out);
    CU_ASSERT_EQUAL_FATAL(n, 1);
    CU_ASSERT_EQUAL(out[0].id, CAUSE_MAIL_LOOP);
    CU_ASSERT_STRING_EQUAL(smtp_cause_name(CAUSE_MAIL_LOOP), "mail_loop");
    CU_ASSERT_PTR_NOT_NULL(strstr(smtp_cause_fix(CAUSE_MAIL_LOOP), "mail queues"));
    smtp_session_free(s);
    hop_spec few = {0, A_C, B_S, 6, "b@y", OK, "<near@x>"};
    s = hop_session(&few);
    CU_ASSERT_EQUAL(correlate_rank_session(smtp_get_report(s), out), 0);
    smtp_session_free(s);
}

/* ---- groups as they change, and the window ---- */

typedef struct seen_groups {
    unsigned updates, finals, paths;
    uint64_t id[16];
    unsigned n[16];
    int final[16];
} seen_groups;

static void on_group(void *ctx, const correlate *c, const corr_group *g, int final)
{
    seen_groups *s = ctx;
    if (s->updates + s->finals < 16) {
        unsigned k = s->updates + s->finals;
        s->id[k] = correlate_group_id(c, g);
        s->n[k] = g->n;
        s->final[k] = final;
    }
    final ? s->finals++ : s->updates++;
}

static void on_path(void *ctx, const correlate *c, const corr_path *p)
{
    (void)c;
    (void)p;
    ((seen_groups *)ctx)->paths++;
}

/* Plays a through a correlator bounded by window seconds and budget bytes, its updates into
 * seen; finished, then freed by the caller. */
static correlate *run_streaming(const attempt_spec *a, unsigned n, double window, uint64_t budget,
                                seen_groups *seen, corr_sink *sink)
{
    correlate *c = correlate_new();
    *sink = (corr_sink){.group = on_group, .path = on_path, .ctx = seen};
    correlate_set_window(c, (int64_t)(window * SEC), budget);
    correlate_set_sink(c, NULL, sink);
    for (unsigned i = 0; i < n; i++) {
        play(c, i + 1, &a[i]);
        correlate_updates(c);
        correlate_expire(c);
    }
    correlate_finish(c, NULL);
    return c;
}

static void test_updates_as_attempts_join(void)
{
    attempt_spec a[] = {
        {0, "<m1@x>", BODY, NULL, 1, 0, PIX},
        {50, "<other@x>", "unrelated\r\n", "250 ok\r\n", 0, 1, NULL},
        {600, "<m1@x>", BODY, NULL, 1, 0, PIX},
        {1200, "<m1@x>", BODY, NULL, 1, 0, PIX},
    };
    seen_groups seen = {0};
    corr_sink sink;
    correlate *c = run_streaming(a, 4, 0, 0, &seen, &sink);
    /* one update per joining attempt (the digest group adds nothing to the Message-ID one) */
    CU_ASSERT_EQUAL_FATAL(seen.updates, 2);
    CU_ASSERT_EQUAL(seen.finals, 0);
    CU_ASSERT_EQUAL(seen.n[0], 2);
    CU_ASSERT_EQUAL(seen.n[1], 3);
    CU_ASSERT_EQUAL(seen.id[0], seen.id[1]);
    CU_ASSERT_EQUAL(seen.id[0], 2); /* the first attempt recorded, by Message-ID */
    CU_ASSERT_EQUAL_FATAL(correlate_ngroups(c), 1);
    CU_ASSERT_EQUAL(correlate_group_id(c, correlate_group(c, 0)), seen.id[0]);
    CU_ASSERT_EQUAL(correlate_group(c, 0)->n, 3);
    correlate_free(c);
}

static void test_window_keeps_far_copies_apart(void)
{
    attempt_spec a[] = {
        {0, "<m1@x>", BODY, NULL, 1, 0, PIX},
        {600, "<m1@x>", BODY, NULL, 1, 0, PIX},
    };
    seen_groups seen = {0};
    corr_sink sink;
    correlate *c = run_streaming(a, 2, 300, 0, &seen, &sink);
    corr_counts cc;
    correlate_counts(c, &cc);
    CU_ASSERT_EQUAL(correlate_ngroups(c), 0);
    CU_ASSERT_EQUAL(seen.updates + seen.finals, 0);
    CU_ASSERT_EQUAL(cc.expired, 1);
    CU_ASSERT_EQUAL(cc.attempts, 1);
    correlate_free(c);
    memset(&seen, 0, sizeof seen);
    c = run_streaming(a, 2, 700, 0, &seen, &sink);
    CU_ASSERT_EQUAL(correlate_ngroups(c), 1);
    CU_ASSERT_EQUAL(seen.updates, 1);
    correlate_free(c);
}

static void test_group_leaves_window_final(void)
{
    attempt_spec a[] = {
        {0, "<m1@x>", BODY, NULL, 1, 0, PIX},
        {600, "<m1@x>", BODY, NULL, 1, 0, PIX},
        {2000, "<m2@x>", "another\r\n", "250 ok\r\n", 0, 1, NULL},
    };
    seen_groups seen = {0};
    corr_sink sink;
    correlate *c = run_streaming(a, 3, 1000, 0, &seen, &sink);
    corr_counts cc;
    correlate_counts(c, &cc);
    CU_ASSERT_EQUAL_FATAL(seen.updates, 1);
    CU_ASSERT_EQUAL_FATAL(seen.finals, 1);
    CU_ASSERT_TRUE(seen.final[1]);
    CU_ASSERT_EQUAL(seen.n[1], 2);
    CU_ASSERT_EQUAL(seen.id[1], seen.id[0]);
    CU_ASSERT_EQUAL(correlate_ngroups(c), 0); /* written as it left: not again at the end */
    CU_ASSERT_EQUAL(cc.groups_expired, 1);
    CU_ASSERT_EQUAL(cc.expired, 2);
    correlate_free(c);
}

/* Each message twice, 10 s apart, 5 s between messages, a 60 s window: every pair is found
 * and leaves final, however many pass through the ring. */
static void test_window_over_many_messages(void)
{
    enum { N = 20000 };
    seen_groups seen = {0};
    corr_sink sink = {.group = on_group, .path = on_path, .ctx = &seen};
    correlate *c = correlate_new();
    correlate_set_window(c, 60 * SEC, 0);
    correlate_set_sink(c, NULL, &sink);
    char id[32], body[32];
    uint64_t session = 0;
    for (unsigned i = 0; i < N; i++)
        for (unsigned k = 0; k < 2; k++) {
            unsigned m = k && i >= 2 ? i - 2 : i; /* the copy of the message two back */
            snprintf(id, sizeof id, "<w%u@x>", m);
            snprintf(body, sizeof body, "body %u\r\n", m);
            attempt_spec a = {i * 5.0 + k, id, body, NULL, 1, 0, NULL};
            play(c, ++session, &a);
            correlate_updates(c);
            correlate_expire(c);
        }
    corr_counts cc;
    correlate_counts(c, &cc);
    CU_ASSERT(cc.attempts <= 2 * (60 / 5 + 1));
    correlate_finish(c, NULL);
    /* messages 0 and 1 were sent three times (two updates each), N-2 and N-1 once */
    CU_ASSERT_EQUAL(seen.updates, N);
    CU_ASSERT_EQUAL(seen.finals + correlate_ngroups(c), N - 2);
    correlate_free(c);
}

/* One message sent 20,000 times: updated at each attempt up to 64, then as its count
 * doubles (each update sorts the group: at every attempt the run would cost its square). */
static void test_growing_group_updates_doubling(void)
{
    seen_groups seen = {0};
    corr_sink sink = {.group = on_group, .path = on_path, .ctx = &seen};
    correlate *c = correlate_new();
    correlate_set_sink(c, NULL, &sink);
    for (unsigned i = 0; i < 20000; i++) {
        attempt_spec a = {i * 60.0, "<storm@x>", BODY, NULL, 1, 0, NULL};
        play(c, i + 1, &a);
        correlate_updates(c);
    }
    /* n = 2..64, then 128, 256, ..., 16384 */
    CU_ASSERT_EQUAL(seen.updates, 63 + 8);
    correlate_finish(c, NULL);
    CU_ASSERT_EQUAL_FATAL(correlate_ngroups(c), 1);
    CU_ASSERT_EQUAL(correlate_group(c, 0)->n, 20000);
    correlate_free(c);
}

/* 100,000 distinct messages from as many clients within a 1 MiB budget: the oldest go, the
 * correlator's bytes stay within it after every session. */
static void test_memory_budget(void)
{
    const uint64_t budget = 1u << 20;
    correlate *c = correlate_new();
    correlate_set_window(c, 0, budget);
    char id[32], body[32], client[48];
    uint64_t worst = 0;
    for (unsigned i = 0; i < 100000; i++) {
        snprintf(id, sizeof id, "<b%u@x>", i);
        snprintf(body, sizeof body, "body %u\r\n", i);
        snprintf(client, sizeof client, "10.%u.%u.%u:40000", i >> 16, (i >> 8) & 255, i & 255);
        attempt_spec a = {i * 0.01, id, body, "250 ok\r\n", 0, 1, NULL};
        smtp_session *s = session_of(&a);
        correlate_session(c, i + 1, client, "192.0.2.1:25", smtp_get_report(s));
        correlate_client(c, client, smtp_get_report(s));
        smtp_session_free(s);
        correlate_expire(c);
        corr_counts cc;
        correlate_counts(c, &cc);
        worst = cc.bytes > worst ? cc.bytes : worst;
    }
    corr_counts cc;
    correlate_counts(c, &cc);
    CU_ASSERT(worst <= budget);
    CU_ASSERT(cc.peak == worst); /* the high-water mark the summary reports */
    CU_ASSERT(cc.expired > 50000);
    CU_ASSERT(cc.attempts > 1000);         /* it still correlates the latest */
    CU_ASSERT(cc.clients_expired > 50000); /* and lets go of clients */
    correlate_free(c);
}

static void test_digest_hex(void)
{
    uint8_t d[16];
    char hex[33];
    for (int i = 0; i < 16; i++)
        d[i] = (uint8_t)(i * 17);
    correlate_digest_hex(d, hex);
    CU_ASSERT_STRING_EQUAL(hex, "00112233445566778899aabbccddeeff");
}

void add_correlate_suite(void)
{
    CU_pSuite s = CU_add_suite("correlate", NULL, NULL);
    CU_add_test(s, "retry series through inspection", test_retry_series_through_inspection);
    CU_add_test(s, "sender re-sends after success", test_sender_resends_after_success);
    CU_add_test(s, "new Message-ID found by digest", test_new_message_id_found_by_digest);
    CU_add_test(s, "digest group hidden", test_digest_group_hidden_when_ids_tell_it_all);
    CU_add_test(s, "distinct messages", test_distinct_messages_not_grouped);
    CU_add_test(s, "worst first", test_worst_first);
    CU_add_test(s, "session cause ranking", test_session_cause_ranking);
    CU_add_test(s, "client never quits", test_client_never_quits);
    CU_add_test(s, "many messages and clients", test_many_messages_and_clients);
    CU_add_test(s, "evidence lines in order", test_evidence_lines);
    CU_add_test(s, "digest hex", test_digest_hex);
    CU_add_test(s, "failed connects rank server_overloaded", test_failed_connects_rank_overloaded);
    CU_add_test(s, "no failed connects, no overload", test_no_failed_connects_no_overload);
    CU_add_test(s, "other sessions rank overloaded", test_other_sessions_rank_overloaded);
    CU_add_test(s, "concurrent copies are two messages", test_concurrent_copies_are_two_messages);
    CU_add_test(s, "failed connects evidence line", test_failed_connects_evidence_line);
    CU_add_test(s, "loop between two servers", test_loop_between_two_servers);
    CU_add_test(s, "loop seen one way", test_loop_seen_one_way);
    CU_add_test(s, "relay path is not a duplicate", test_relay_path_not_duplicate);
    CU_add_test(s, "filter on localhost is a path", test_filter_on_localhost_is_a_path);
    CU_add_test(s, "backup MX is not a loop", test_backup_mx_is_not_a_loop);
    CU_add_test(s, "retry inside a relay path", test_retry_inside_relay_path);
    CU_add_test(s, "fan-out is not a duplicate", test_fanout_not_duplicate);
    CU_add_test(s, "same hop, same recipients", test_same_hop_same_rcpts_is_duplicate);
    CU_add_test(s, "overlapping recipients", test_overlapping_rcpts_not_fanout);
    CU_add_test(s, "many recipients fingerprint", test_many_rcpts_fingerprint);
    CU_add_test(s, "fan-out with a retried copy", test_fanout_with_a_retried_copy);
    CU_add_test(s, "many Received ranks mail_loop", test_many_received_ranks_mail_loop);
    CU_add_test(s, "large fan-out", test_large_fanout);
    CU_add_test(s, "unknown recipients stay duplicates", test_unknown_rcpts_stay_duplicates);
    CU_add_test(s, "updates as attempts join", test_updates_as_attempts_join);
    CU_add_test(s, "window keeps far copies apart", test_window_keeps_far_copies_apart);
    CU_add_test(s, "group leaves the window final", test_group_leaves_window_final);
    CU_add_test(s, "window over many messages", test_window_over_many_messages);
    CU_add_test(s, "memory budget", test_memory_budget);
    CU_add_test(s, "a growing group is updated as it doubles", test_growing_group_updates_doubling);
}
