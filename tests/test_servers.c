/* report/servers: the per-server figures (sessions open at once, 421s, delays, unanswered
 * ends of data), the failed connects and the hook that counts them in a time span, the bound
 * on servers. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <string.h>

#include "report/servers.h"
#include "tests/suites.h"

static const int64_t T0 = 1772442000000000;
static const int64_t SEC = 1000000;

/* A session that started at t0 s, greeted after banner s (none when < 0), and one
 * transaction whose end of data got reply after eod s (none when < 0). */
static void make(smtp_report *r, smtp_txn *t, double t0, double banner, double eod, int reply)
{
    memset(r, 0, sizeof *r);
    memset(t, 0, sizeof *t);
    r->start = T0 + (int64_t)(t0 * SEC);
    if (banner >= 0) {
        r->banner.seen = r->banner.done = 1;
        r->banner.code = 220;
        r->banner.at.ts = r->start + (int64_t)(banner * SEC);
    }
    t->mail_reply = 250;
    t->data_reply = 354;
    t->eod.seen = 1;
    t->eod.nparts = 1;
    t->eod.part[0].ts = r->start + 2 * SEC;
    if (eod >= 0) {
        t->eod.replied = 1;
        t->eod.reply = reply;
        t->eod.reply_at.ts = t->eod.part[0].ts + (int64_t)(eod * SEC);
    }
    r->txns = t;
    r->ntxn = 1;
}

static void test_figures(void)
{
    servers *s = servers_new();
    smtp_report r;
    smtp_txn t;
    CU_ASSERT_FATAL(s != NULL);
    servers_opened(s, "192.0.2.1:25");
    servers_opened(s, "192.0.2.1:25");
    servers_opened(s, "[2001:db8::1]:25");
    make(&r, &t, 0, 0.5, 1.0, 250);
    servers_session(s, "192.0.2.1:25", &r);
    servers_opened(s, "192.0.2.1:25");
    servers_opened(s, "192.0.2.1:25"); /* 3 open now */
    make(&r, &t, 1, 35.0, -1, 0);      /* no reply to its end of data */
    servers_session(s, "192.0.2.1:25", &r);
    make(&r, &t, 2, -1, 3.0, 421); /* no greeting seen; 421 to end of data */
    t.rcpt_reply[0] = 421;
    t.nrcpt = 1;
    r.busy_replies = 3; /* those two and one to a RSET, whose reply no field keeps */
    servers_session(s, "192.0.2.1:25", &r);
    CU_ASSERT_EQUAL_FATAL(servers_count(s), 2);
    const server_stats *v = servers_get(s, 0);
    CU_ASSERT_STRING_EQUAL(v->address, "192.0.2.1:25");
    CU_ASSERT_EQUAL(v->sessions, 3);
    CU_ASSERT_EQUAL(v->peak_concurrent, 3);
    CU_ASSERT_EQUAL(v->open, 1);
    CU_ASSERT_EQUAL(v->replies_421, 3);
    CU_ASSERT_EQUAL(v->unanswered_eod, 1);
    CU_ASSERT_EQUAL(v->banner_delay->n, 2);
    CU_ASSERT_EQUAL(v->banner_delay->max, 35 * SEC);
    CU_ASSERT_EQUAL(v->eod_reply_delay->n, 2);
    CU_ASSERT_EQUAL(v->eod_reply_delay->min, 1 * SEC);
    const server_stats *w = servers_get(s, 1);
    CU_ASSERT_STRING_EQUAL(w->address, "[2001:db8::1]:25");
    CU_ASSERT_EQUAL(w->sessions, 0);
    CU_ASSERT_PTR_NULL(w->banner_delay); /* no sample, no histogram */
    CU_ASSERT_PTR_NULL(servers_get(s, 2));
    servers_free(s);
}

/* Every 421 the parser counted, not only those among the replies the report keeps: a 421
 * to RSET or NOOP turns the session away as much as one to the greeting. */
static void test_421_in_all(void)
{
    smtp_report r;
    smtp_txn t;
    make(&r, &t, 0, 0.1, -1, 0);
    r.banner.code = 421;
    r.ntxn = 0;
    r.busy_replies = 1;
    CU_ASSERT_EQUAL(servers_replies_421(&r), 1);
    r.busy_replies = 2; /* and a 421 to a NOOP */
    CU_ASSERT_EQUAL(servers_replies_421(&r), 2);
}

static connect_failed failure(const char *server, double first, int refused)
{
    connect_failed c;
    memset(&c, 0, sizeof c);
    snprintf(c.client, sizeof c.client, "198.51.100.7:40000");
    snprintf(c.server, sizeof c.server, "%s", server);
    c.refused = refused;
    c.attempts = 1;
    c.first = c.last = T0 + (int64_t)(first * SEC);
    return c;
}

static void test_connect_failures_between(void)
{
    servers *s = servers_new();
    connect_failed c = failure("192.0.2.1:25", 10, 0);
    servers_connect_failed(s, &c);
    c = failure("192.0.2.1:25", 20, 1);
    servers_connect_failed(s, &c);
    c = failure("192.0.2.9:25", 15, 0);
    servers_connect_failed(s, &c);
    const server_stats *v = servers_get(s, 0);
    CU_ASSERT_EQUAL(v->connect_failed, 2);
    CU_ASSERT_EQUAL(v->connect_refused, 1);
    CU_ASSERT_EQUAL(v->sessions, 0);
    CU_ASSERT_EQUAL(
        servers_signs_between(s, "192.0.2.1:25", SERVER_SIGN_CONNECT_FAILED, T0, T0 + 30 * SEC), 2);
    CU_ASSERT_EQUAL(servers_signs_between(s, "192.0.2.1:25", SERVER_SIGN_CONNECT_FAILED,
                                          T0 + 10 * SEC, T0 + 19 * SEC),
                    1); /* both ends included */
    CU_ASSERT_EQUAL(servers_signs_between(s, "192.0.2.1:25", SERVER_SIGN_CONNECT_FAILED,
                                          T0 + 21 * SEC, T0 + 99 * SEC),
                    0);
    CU_ASSERT_EQUAL(
        servers_signs_between(s, "192.0.2.77:25", SERVER_SIGN_CONNECT_FAILED, T0, T0 + 99 * SEC),
        0);
    servers_free(s);
}

/* Past SERVERS_MAX servers, events at new ones are counted, not kept. */
static void test_bounded(void)
{
    servers *s = servers_new();
    char addr[64];
    for (int i = 0; i < SERVERS_MAX + 10; i++) {
        snprintf(addr, sizeof addr, "10.0.%d.%d:25", i / 256, i % 256);
        servers_opened(s, addr);
    }
    CU_ASSERT_EQUAL(servers_count(s), SERVERS_MAX);
    CU_ASSERT_EQUAL(servers_over_limit(s), 10);
    servers_opened(s, "10.0.0.5:25"); /* a known one still counts */
    CU_ASSERT_EQUAL(servers_get(s, 5)->peak_concurrent, 2);
    servers_free(s);
}

void add_servers_suite(void)
{
    CU_pSuite s = CU_add_suite("servers", NULL, NULL);
    CU_add_test(s, "sessions, peak open, 421s, delays, unanswered", test_figures);
    CU_add_test(s, "421s in all, whatever they answered", test_421_in_all);
    CU_add_test(s, "failed connects and the span hook", test_connect_failures_between);
    CU_add_test(s, "at most SERVERS_MAX servers", test_bounded);
}
