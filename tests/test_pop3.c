/* The POP3 analyser, fed scripted segments: each flag and its negatives, the terminator cut
 * anywhere, dot-stuffing, bounds, pipelining, STLS, AUTH, credentials kept out of every
 * output, the digest SMTP gives the same message, and reports packed for --workers. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pop3/pop3.h"
#include "report/report.h"
#include "smtp/smtp.h"
#include "tests/suites.h"
#include "ui/model.h"

typedef struct step {
    flow_side dir;
    const char *bytes;
} step;

#define C FLOW_CLIENT
#define S FLOW_SERVER
#define N(a) (sizeof(a) / sizeof((a)[0]))

static const int64_t T0 = 1772442000000000; /* 2026-03-02 09:00:00 UTC */

static void feed_bytes(pop3_session *s, flow_side dir, const void *p, size_t n, unsigned i)
{
    pop3_feed(s, dir, p, n, T0 + (int64_t)i * 100000, 10 + i * 2);
}

static pop3_session *play(const step *steps, size_t n)
{
    pop3_session *s = pop3_session_new(T0, 1);
    for (size_t i = 0; i < n; i++)
        feed_bytes(s, steps[i].dir, steps[i].bytes, strlen(steps[i].bytes), (unsigned)i);
    return s;
}

static const pop3_report *end(pop3_session *s, flow_end why)
{
    pop3_end(s, why, why == FLOW_END_RST ? C : -1, T0 + 3600000000, 999);
    return pop3_get_report(s);
}

static const pop3_msg *msg(const pop3_report *r, uint32_t n)
{
    for (unsigned i = 0; i < r->nmsgs; i++)
        if (r->msgs[i].number == n)
            return &r->msgs[i];
    return NULL;
}

#define MESSAGE                                                                                    \
    "Received: from a by b\r\nMessage-ID: <m1@example.org>\r\nSubject: hi\r\n\r\nhello\r\n"        \
    "..dotted\r\nlast line\r\n"

#define LOGIN                                                                                      \
    {S, "+OK POP3 ready\r\n"}, {C, "USER alice\r\n"}, {S, "+OK\r\n"}, {C, "PASS s3cret!\r\n"},     \
    {                                                                                              \
        S, "+OK logged in\r\n"                                                                     \
    }

static const step clean[] = {LOGIN,
                             {C, "STAT\r\n"},
                             {S, "+OK 2 320\r\n"},
                             {C, "UIDL\r\n"},
                             {S, "+OK\r\n1 uid-one\r\n2 uid-two\r\n.\r\n"},
                             {C, "RETR 2\r\n"},
                             {S, "+OK 100 octets\r\n" MESSAGE ".\r\n"},
                             {C, "DELE 2\r\n"},
                             {S, "+OK deleted\r\n"},
                             {C, "QUIT\r\n"},
                             {S, "+OK bye\r\n"}};

static void test_clean(void)
{
    pop3_session *s = play(clean, N(clean));
    const pop3_report *r = end(s, FLOW_END_FIN);
    CU_ASSERT_EQUAL(r->flags, 0);
    CU_ASSERT_STRING_EQUAL(r->mailbox, "alice");
    CU_ASSERT_EQUAL(r->login, 1);
    const pop3_msg *m = msg(r, 2);
    CU_ASSERT_FATAL(m != NULL);
    CU_ASSERT_STRING_EQUAL(m->message_id, "<m1@example.org>");
    CU_ASSERT_STRING_EQUAL(m->uidl, "uid-two");
    CU_ASSERT(m->retrieved && m->complete && m->deleted && m->committed && m->has_digest);
    CU_ASSERT_EQUAL(m->octets, strlen(MESSAGE));
    CU_ASSERT_EQUAL(r->count.retrieved_complete, 1);
    pop3_session_free(s);
}

/* Without a transcript (JSON output) the same session draws the same conclusions and keeps no
 * line; with one, every command and reply is there. */
static void test_no_transcript(void)
{
    pop3_session *kept = play(clean, N(clean));
    pop3_session *none = pop3_session_new(T0, 1);
    pop3_keep_no_transcript(none);
    for (size_t i = 0; i < N(clean); i++)
        feed_bytes(none, clean[i].dir, clean[i].bytes, strlen(clean[i].bytes), (unsigned)i);
    const pop3_report *k = end(kept, FLOW_END_FIN), *n = end(none, FLOW_END_FIN);
    CU_ASSERT(k->nlines >= N(clean));
    CU_ASSERT_EQUAL(n->nlines, 0);
    CU_ASSERT_EQUAL(n->flags, k->flags);
    CU_ASSERT_STRING_EQUAL(n->mailbox, k->mailbox);
    CU_ASSERT_EQUAL(n->count.retrieved_complete, k->count.retrieved_complete);
    pop3_session_free(kept);
    pop3_session_free(none);
}

static void test_dele_uncommitted(void)
{
    pop3_session *s = play(clean, N(clean) - 2); /* DELE +OK, then the connection drops */
    const pop3_report *r = end(s, FLOW_END_RST);
    CU_ASSERT(r->flags & POP3_FLAG_DELE_UNCOMMITTED);
    CU_ASSERT(r->flags & POP3_FLAG_MISSING_QUIT);
    CU_ASSERT(msg(r, 2)->deleted && !msg(r, 2)->committed);
    pop3_session_free(s);
    s = play(clean, N(clean) - 2); /* the capture ends: nothing said */
    CU_ASSERT_EQUAL(end(s, FLOW_END_CAPTURE_END)->flags, 0);
    pop3_session_free(s);
    s = play(clean, N(clean) - 1); /* QUIT sent, never answered: not committed */
    r = end(s, FLOW_END_FIN);
    CU_ASSERT(r->flags & POP3_FLAG_DELE_UNCOMMITTED);
    CU_ASSERT(!(r->flags & POP3_FLAG_MISSING_QUIT));
    pop3_session_free(s);
    step rset[] = {LOGIN, {C, "DELE 1\r\n"}, {S, "+OK\r\n"}, {C, "RSET\r\n"}, {S, "+OK\r\n"}};
    s = play(rset, N(rset));
    CU_ASSERT(!(end(s, FLOW_END_RST)->flags & POP3_FLAG_DELE_UNCOMMITTED));
    pop3_session_free(s);
}

static void test_retr_cut(void)
{
    step st[] = {LOGIN, {C, "RETR 1\r\n"}, {S, "+OK\r\nMessage-ID: <cut@x>\r\n\r\npart"}};
    pop3_session *s = play(st, N(st));
    const pop3_report *r = end(s, FLOW_END_RST);
    CU_ASSERT(r->flags & POP3_FLAG_RETR_CUT);
    CU_ASSERT_EQUAL(r->cut_number, 1);
    CU_ASSERT_EQUAL(r->cut_octets, strlen("Message-ID: <cut@x>\r\n\r\npart"));
    CU_ASSERT(!msg(r, 1)->complete && !msg(r, 1)->has_digest);
    CU_ASSERT_STRING_EQUAL(msg(r, 1)->message_id, "<cut@x>");
    pop3_session_free(s);
    s = play(st, N(st));
    CU_ASSERT(!(end(s, FLOW_END_CAPTURE_END)->flags & POP3_FLAG_RETR_CUT));
    pop3_session_free(s);
    step top[] = {LOGIN, {C, "TOP 3 0\r\n"}, {S, "+OK\r\nSubject: x\r\n"}};
    s = play(top, N(top));
    r = end(s, FLOW_END_FIN);
    CU_ASSERT(r->flags & POP3_FLAG_RETR_CUT);
    CU_ASSERT(r->cut_top);
    pop3_session_free(s);
}

static void test_quit_failed(void)
{
    step st[] = {LOGIN,
                 {C, "DELE 1\r\n"},
                 {S, "+OK\r\n"},
                 {C, "QUIT\r\n"},
                 {S, "-ERR some deleted messages not removed\r\n"}};
    pop3_session *s = play(st, N(st));
    const pop3_report *r = end(s, FLOW_END_FIN);
    CU_ASSERT(r->flags & POP3_FLAG_QUIT_FAILED);
    CU_ASSERT(r->flags & POP3_FLAG_DELE_UNCOMMITTED);
    pop3_session_free(s);
}

static unsigned login_flags(const char *reply)
{
    step st[] = {{S, "+OK ready\r\n"}, {C, "USER bob\r\n"}, {S, "+OK\r\n"}, {C, "PASS x\r\n"},
                 {S, reply},           {C, "QUIT\r\n"},     {S, "+OK\r\n"}};
    pop3_session *s = play(st, N(st));
    unsigned f = end(s, FLOW_END_FIN)->flags;
    pop3_session_free(s);
    return f;
}

static void test_mailbox_locked(void)
{
    CU_ASSERT(login_flags("-ERR [IN-USE] mailbox busy\r\n") & POP3_FLAG_MAILBOX_LOCKED);
    CU_ASSERT(login_flags("-ERR Unable to lock maildrop\r\n") & POP3_FLAG_MAILBOX_LOCKED);
    CU_ASSERT(login_flags("-ERR mailbox in use\r\n") & POP3_FLAG_MAILBOX_LOCKED);
    CU_ASSERT_EQUAL(login_flags("-ERR [AUTH] invalid password\r\n"), 0);
    CU_ASSERT_EQUAL(login_flags("+OK maildrop locked and ready\r\n"), 0);
}

static void test_missing_quit(void)
{
    step st[] = {LOGIN, {C, "STAT\r\n"}, {S, "+OK 0 0\r\n"}};
    pop3_session *s = play(st, N(st));
    CU_ASSERT_EQUAL(end(s, FLOW_END_FIN)->flags, POP3_FLAG_MISSING_QUIT);
    pop3_session_free(s);
    s = play(st, N(st));
    CU_ASSERT_EQUAL(end(s, FLOW_END_CAPTURE_END)->flags, 0);
    pop3_session_free(s);
    s = play(clean, N(clean));
    CU_ASSERT_EQUAL(end(s, FLOW_END_FIN)->flags, 0);
    pop3_session_free(s);
    /* refused before a login, the server closes: nothing to commit, no QUIT due */
    step refused[] = {{S, "+OK ready\r\n"},
                      {C, "USER u\r\n"},
                      {S, "+OK\r\n"},
                      {C, "PASS p\r\n"},
                      {S, "-ERR [IN-USE] locked\r\n"}};
    s = play(refused, N(refused));
    CU_ASSERT_EQUAL(end(s, FLOW_END_FIN)->flags, POP3_FLAG_MAILBOX_LOCKED);
    pop3_session_free(s);
}

/* The response in two segments at every offset, then the terminator byte by byte: the same
 * message, the same digest. */
static void test_terminator_cut_everywhere(void)
{
    const char *resp = "+OK\r\n" MESSAGE ".\r\n";
    size_t n = strlen(resp);
    pop3_session *whole = play(clean, N(clean));
    const pop3_msg *ref = msg(end(whole, FLOW_END_FIN), 2);
    for (size_t cut = 1; cut < n; cut++) {
        pop3_session *s = play(clean, 5);
        feed_bytes(s, C, "RETR 2\r\n", 8, 6);
        feed_bytes(s, S, resp, cut, 7);
        feed_bytes(s, S, resp + cut, n - cut, 8);
        feed_bytes(s, C, "QUIT\r\n", 6, 9);
        feed_bytes(s, S, "+OK\r\n", 5, 10);
        const pop3_report *r = end(s, FLOW_END_FIN);
        const pop3_msg *m = msg(r, 2);
        CU_ASSERT_EQUAL(r->flags, 0);
        CU_ASSERT(m && m->complete && m->has_digest && m->octets == ref->octets &&
                  memcmp(m->digest, ref->digest, 16) == 0);
        pop3_session_free(s);
    }
    pop3_session *s = play(clean, 5);
    feed_bytes(s, C, "RETR 2\r\n", 8, 6);
    feed_bytes(s, S, resp, n - 5, 7);
    for (size_t i = n - 5; i < n; i++)
        feed_bytes(s, S, resp + i, 1, (unsigned)(8 + i));
    const pop3_msg *m = msg(end(s, FLOW_END_FIN), 2);
    CU_ASSERT(m && m->complete && memcmp(m->digest, ref->digest, 16) == 0);
    pop3_session_free(s);
    pop3_session_free(whole);
}

static void test_dot_stuffing_lookalikes(void)
{
    step st[] = {LOGIN,
                 {C, "RETR 1\r\n"},
                 {S, "+OK\r\nSubject: x\r\n\r\nline\r\n."},
                 {S, ".\r\n..hidden\r\na . b\r\n.x\r\n"},
                 {S, "end\r\n.\r"},
                 {S, "\n"},
                 {C, "QUIT\r\n"},
                 {S, "+OK\r\n"}};
    pop3_session *s = play(st, N(st));
    const pop3_report *r = end(s, FLOW_END_FIN);
    const pop3_msg *m = msg(r, 1);
    CU_ASSERT(m && m->complete);
    CU_ASSERT_EQUAL(m->octets,
                    strlen("Subject: x\r\n\r\nline\r\n..\r\n..hidden\r\na . b\r\n.x\r\nend\r\n"));
    CU_ASSERT_EQUAL(r->quit_reply, 1);
    CU_ASSERT_EQUAL(r->flags, 0);
    pop3_session_free(s);
}

static void test_long_line(void)
{
    enum { BIG = 1 << 20 };
    char *big = malloc(BIG);
    CU_ASSERT_FATAL(big != NULL);
    memset(big, 'a', BIG);
    step st[] = {LOGIN, {C, "RETR 1\r\n"}, {S, "+OK\r\nSubject: y\r\n\r\n"}};
    pop3_session *s = play(st, N(st));
    for (unsigned i = 0; i < 16; i++)
        feed_bytes(s, S, big, BIG, 8 + i);
    feed_bytes(s, S, "\r\n.\r\n", 5, 30);
    const pop3_report *r = end(s, FLOW_END_FIN);
    CU_ASSERT(msg(r, 1)->complete);
    CU_ASSERT_EQUAL(msg(r, 1)->octets, strlen("Subject: y\r\n\r\n") + 16ull * BIG + 2);
    pop3_session_free(s);
    /* a 1 MB command line and a 1 MB header line: kept bounded, counted */
    s = play(st, 2);
    feed_bytes(s, C, big, BIG, 3);
    feed_bytes(s, C, "\r\n", 2, 4);
    CU_ASSERT_EQUAL(end(s, FLOW_END_FIN)->count.long_lines, 1);
    pop3_session_free(s);
    free(big);
}

static void test_pipelining(void)
{
    step st[] = {
        {S, "+OK ready\r\n"},
        {C, "CAPA\r\n"},
        {S, "+OK\r\nPIPELINING\r\nUIDL\r\n.\r\n"},
        {C, "USER a\r\nPASS b\r\nLIST\r\nLIST 2\r\nUIDL 2\r\nRETR 2\r\nDELE 2\r\nQUIT\r\n"},
        {S, "+OK\r\n+OK\r\n+OK\r\n1 10\r\n2 "
            "57"
            "\r\n.\r\n+OK 2 57\r\n+OK 2 u2\r\n"
            "+OK\r\nMessage-ID: <p@x>\r\n\r\nbody\r\n.\r\n+OK\r\n+OK bye\r\n"}};
    pop3_session *s = play(st, N(st));
    const pop3_report *r = end(s, FLOW_END_FIN);
    const pop3_msg *m = msg(r, 2);
    CU_ASSERT_EQUAL(r->flags, 0);
    CU_ASSERT_FATAL(m != NULL);
    CU_ASSERT(m->has_list && m->list_size == 57);
    CU_ASSERT_STRING_EQUAL(m->uidl, "u2");
    CU_ASSERT_STRING_EQUAL(m->message_id, "<p@x>");
    CU_ASSERT(m->deleted && m->committed && m->complete);
    CU_ASSERT_EQUAL(r->count.unpaired_responses, 0);
    pop3_session_free(s);
}

static void test_single_line_forms(void)
{
    step st[] = {LOGIN,
                 {C, "LIST 1\r\n"},
                 {S, "+OK 1 120\r\n"},
                 {C, "UIDL 1\r\n"},
                 {S, "+OK 1 abc\r\n"},
                 {C, "STAT\r\n"},
                 {S, "+OK 1 120\r\n"},
                 {C, "RETR 1\r\n"},
                 {S, "+OK\r\n\r\nx\r\n.\r\n"},
                 {C, "QUIT\r\n"},
                 {S, "+OK\r\n"}};
    pop3_session *s = play(st, N(st));
    const pop3_report *r = end(s, FLOW_END_FIN);
    const pop3_msg *m = msg(r, 1);
    CU_ASSERT_FATAL(m != NULL);
    CU_ASSERT(m->complete && m->list_size == 120);
    CU_ASSERT_STRING_EQUAL(m->uidl, "abc");
    CU_ASSERT_EQUAL(r->count.unpaired_responses, 0);
    pop3_session_free(s);
}

static void test_stls_and_tls(void)
{
    step st[] = {{S, "+OK ready\r\n"},
                 {C, "STLS\r\n"},
                 {S, "+OK begin TLS\r\n"},
                 {C, "\x16\x03\x01\x00\x10 USER secretuser\r\n"},
                 {S, "\x16\x03\x03 junk"}};
    pop3_session *s = play(st, N(st));
    const pop3_report *r = end(s, FLOW_END_FIN);
    CU_ASSERT(r->tls && r->stls);
    CU_ASSERT_EQUAL(r->flags, 0);
    CU_ASSERT(r->count.encrypted_bytes > 0);
    CU_ASSERT_STRING_EQUAL(r->mailbox, "");
    pop3_session_free(s);
    step pop3s[] = {{C, "\x16\x03\x01\x02\x00 client hello"}, {S, "\x16\x03\x03 server hello"}};
    s = play(pop3s, N(pop3s));
    r = end(s, FLOW_END_FIN);
    CU_ASSERT(r->tls && !r->stls && r->flags == 0);
    pop3_session_free(s);
}

/* ---- credentials ---- */

static const char *const secrets[] = {"s3cret!",
                                      "passw0rd",
                                      "c2VjcmV0",
                                      "AGFsaWNlAHBhc3N3MHJk",
                                      "d41d8cd98f00b204e9800998ecf8427e",
                                      "bG9naW5wdw=="};

static const step auth_sessions[][8] = {
    {LOGIN, {C, "QUIT\r\n"}, {S, "+OK\r\n"}},
    {{S, "+OK <1.2@h>\r\n"},
     {C, "APOP carol d41d8cd98f00b204e9800998ecf8427e\r\n"},
     {S, "+OK\r\n"},
     {C, "QUIT\r\n"},
     {S, "+OK\r\n"}},
    {{S, "+OK\r\n"},
     {C, "AUTH PLAIN AGFsaWNlAHBhc3N3MHJk\r\n"},
     {S, "+OK\r\n"},
     {C, "QUIT\r\n"},
     {S, "+OK\r\n"}},
    {{S, "+OK\r\n"},
     {C, "AUTH LOGIN\r\n"},
     {S, "+ VXNlcm5hbWU6\r\n"},
     {C, "c2VjcmV0\r\n"},
     {S, "+ UGFzc3dvcmQ6\r\n"},
     {C, "bG9naW5wdw==\r\n"},
     {S, "+OK\r\n"},
     {C, "QUIT\r\n"}},
    {{S, "+OK\r\n"},
     {C, "AUTH PLAIN\r\n"},
     {S, "+ \r\n"},
     {C, "AGFsaWNlAHBhc3N3MHJk\r\n"},
     {S, "-ERR [IN-USE] locked\r\n"},
     {C, "pass\ts3cret!\r\n"},
     {S, "-ERR\r\n"}},
};

static int contains(const char *text, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(text + i, needle, n) == 0)
            return 1;
    return 0;
}

static void assert_no_secret(const char *text, size_t len)
{
    for (unsigned k = 0; k < N(secrets); k++)
        CU_ASSERT(!contains(text, len, secrets[k]));
}

static void render(const pop3_report *r, report_format fmt)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    report *rep = report_new(f, fmt, 1);
    flow_report fr = {1, "192.0.2.1:1025", "192.0.2.2:110", PROTO_POP3, r, 0, 0};
    report_flow(rep, &fr);
    report_flow_text(f, &fr);
    report_free(rep);
    fclose(f);
    assert_no_secret(buf, len);
    CU_ASSERT(strstr(buf, "authentication data") != NULL || fmt == REPORT_JSON);
    free(buf);
}

static void test_credentials_hidden(void)
{
    for (unsigned i = 0; i < N(auth_sessions); i++) {
        size_t n = 0;
        while (n < 8 && auth_sessions[i][n].bytes)
            n++;
        pop3_session *s = play(auth_sessions[i], n);
        const pop3_report *r = end(s, FLOW_END_FIN);
        for (unsigned k = 0; k < r->nlines; k++)
            assert_no_secret(r->lines[k].text, strlen(r->lines[k].text));
        assert_no_secret(r->mailbox, strlen(r->mailbox));
        assert_no_secret(r->login_error, strlen(r->login_error));
        assert_no_secret((const char *)r, sizeof *r);
        render(r, REPORT_TEXT);
        render(r, REPORT_JSON);
        pop3_session_free(s);
    }
}

/* Malformed PLAIN responses name nobody: the password is never taken for a name. */
static void test_plain_malformed(void)
{
    static const char *const lines[] = {"AUTH PLAIN czNjcmV0IQ==\r\n", /* "s3cret!" */
                                        "AUTH PLAIN AHMzY3JldCE=\r\n", /* NUL "s3cret!" */
                                        "AUTH PLAIN YQBiAGMAZA==\r\n", /* three NULs */
                                        "AUTH PLAIN ????\r\n"};
    for (unsigned i = 0; i < N(lines); i++) {
        step st[] = {{S, "+OK\r\n"}, {C, lines[i]}, {S, "-ERR\r\n"}};
        pop3_session *s = play(st, N(st));
        CU_ASSERT_STRING_EQUAL(end(s, FLOW_END_FIN)->mailbox, "");
        pop3_session_free(s);
    }
}

static void test_apop_mailbox(void)
{
    pop3_session *s = play(auth_sessions[1], 5);
    const pop3_report *r = end(s, FLOW_END_FIN);
    CU_ASSERT_STRING_EQUAL(r->mailbox, "carol");
    CU_ASSERT(r->apop && r->login == 1);
    pop3_session_free(s);
    s = play(auth_sessions[2], 5); /* AUTH PLAIN with its initial response */
    CU_ASSERT_STRING_EQUAL(end(s, FLOW_END_FIN)->mailbox, "alice");
    pop3_session_free(s);
    s = play(auth_sessions[4], 7); /* AUTH PLAIN, the response after "+ " */
    r = end(s, FLOW_END_FIN);
    CU_ASSERT_STRING_EQUAL(r->mailbox, "alice");
    CU_ASSERT(r->flags & POP3_FLAG_MAILBOX_LOCKED);
    CU_ASSERT_EQUAL(r->count.auth_lines, 1);
    pop3_session_free(s);
}

/* ---- the same message through SMTP and POP3 ---- */

static void test_digest_matches_smtp(void)
{
    static const char *const smtp_steps[] = {
        "220 mx ESMTP\r\n", "EHLO c\r\n",        "250 mx\r\n",    "MAIL FROM:<a@x>\r\n",
        "250 ok\r\n",       "RCPT TO:<b@y>\r\n", "250 ok\r\n",    "DATA\r\n",
        "354 go\r\n",       MESSAGE ".\r\n",     "250 queued\r\n"};
    smtp_session *sm = smtp_session_new(T0, 1);
    for (unsigned i = 0; i < N(smtp_steps); i++)
        smtp_feed(sm, i % 2 == 0 ? SMTP_SERVER : SMTP_CLIENT, (const uint8_t *)smtp_steps[i],
                  strlen(smtp_steps[i]), T0 + i, i + 1);
    smtp_end(sm, SMTP_END_FIN, -1, T0 + 100, 100);
    const smtp_report *sr = smtp_get_report(sm);
    CU_ASSERT_FATAL(sr->ntxn == 1);
    pop3_session *s = play(clean, N(clean));
    const pop3_msg *m = msg(end(s, FLOW_END_FIN), 2);
    CU_ASSERT(sr->txns[0].has_digest && m->has_digest);
    CU_ASSERT(memcmp(sr->txns[0].digest, m->digest, 16) == 0);
    CU_ASSERT_EQUAL(sr->txns[0].body_bytes, m->body_bytes);
    CU_ASSERT_STRING_EQUAL(sr->txns[0].message_id, m->message_id);
    smtp_session_free(sm);
    pop3_session_free(s);
}

/* ---- hostile bytes ---- */

static void test_random_bytes(void)
{
    srand(14);
    uint8_t buf[512];
    for (unsigned round = 0; round < 300; round++) {
        pop3_session *s = pop3_session_new(T0, 1);
        if (round % 2)
            feed_bytes(s, S, "+OK\r\n", 5, 0);
        for (unsigned k = 0; k < 20; k++) {
            size_t n = (size_t)(rand() % (int)sizeof buf) + 1;
            for (size_t i = 0; i < n; i++)
                buf[i] = (uint8_t)(rand() % 4 ? "\r\n.+OKRETR 1-ERR"[rand() % 16] : rand());
            feed_bytes(s, rand() % 2 ? S : C, buf, n, k + 1);
        }
        const pop3_report *r = end(s, (flow_end)(round % 5));
        CU_ASSERT(r->nmsgs <= POP3_MAX_MSGS && r->nlines <= POP3_TRANSCRIPT);
        pop3_session_free(s);
    }
}

/* ---- packed for --workers ---- */

static void test_pack_round_trip(void)
{
    pop3_session *s = play(clean, N(clean) - 2);
    const pop3_report *r = end(s, FLOW_END_RST);
    size_t n = pop3_report_pack(r, NULL, 0);
    uint64_t *mem = calloc(1, n + 8);
    uint8_t *b = (uint8_t *)mem;
    CU_ASSERT_EQUAL(pop3_report_pack(r, b, n), n);
    const pop3_report *u = NULL;
    CU_ASSERT_FATAL(pop3_report_unpack(b, n, &u) == 0);
    CU_ASSERT_EQUAL(u->flags, r->flags);
    CU_ASSERT_EQUAL(u->nmsgs, r->nmsgs);
    CU_ASSERT_EQUAL(u->nlines, r->nlines);
    CU_ASSERT_STRING_EQUAL(u->mailbox, "alice");
    CU_ASSERT(memcmp(u->msgs, r->msgs, r->nmsgs * sizeof *r->msgs) == 0);
    CU_ASSERT(memcmp(u->lines, r->lines, r->nlines * sizeof *r->lines) == 0);
    /* every single corrupted byte: refused or a report whose readers stay in bounds */
    CU_ASSERT_EQUAL(pop3_report_pack(r, b, n), n);
    for (size_t i = 0; i < n; i += 7) {
        uint8_t *copy = (uint8_t *)calloc(1, n + 8);
        memcpy(copy, b, n);
        copy[i] ^= 0xff;
        const pop3_report *c = NULL;
        if (pop3_report_unpack(copy, n, &c) == 0)
            render(c, REPORT_JSON);
        free(copy);
    }
    CU_ASSERT_EQUAL(pop3_report_unpack(b, n - 8, &u), -1);
    free(mem);
    pop3_session_free(s);
}

/* UIDL lists in any order, and longer than what is kept. */
static void test_listing(void)
{
    step st[] = {LOGIN,
                 {C, "UIDL\r\n"},
                 {S, "+OK\r\n3 c\r\n1 a\r\n2 b\r\n.\r\n"},
                 {C, "DELE 2\r\n"},
                 {S, "+OK\r\n"}};
    pop3_session *s = play(st, N(st));
    CU_ASSERT_STRING_EQUAL(msg(end(s, FLOW_END_FIN), 2)->uidl, "b");
    pop3_session_free(s);
    s = play(st, 6);
    feed_bytes(s, S, "+OK\r\n", 5, 7);
    char line[32];
    for (unsigned i = 1; i <= POP3_MAX_LISTED + 88; i++) {
        snprintf(line, sizeof line, "%u u%u\r\n", i, i);
        feed_bytes(s, S, line, strlen(line), 7);
    }
    feed_bytes(s, S, ".\r\n", 3, 8);
    feed_bytes(s, C, "DELE 500\r\nDELE 600\r\n", 20, 9);
    feed_bytes(s, S, "+OK\r\n+OK\r\n", 10, 10);
    const pop3_report *r = end(s, FLOW_END_FIN);
    CU_ASSERT_FATAL(msg(r, 500) && msg(r, 600));
    CU_ASSERT_STRING_EQUAL(msg(r, 500)->uidl, "u500");
    CU_ASSERT(!msg(r, 600)->uidl_known);
    CU_ASSERT_EQUAL(r->count.listed_not_kept, 88);
    pop3_session_free(s);
}

/* ---- recognised by content (--detect) and without a handshake ---- */

static detect_verdict detect(const char *server, const char *client, int final)
{
    return pop3_analyser.detect((const uint8_t *)server, strlen(server), (const uint8_t *)client,
                                strlen(client), final);
}

static void test_detect(void)
{
    CU_ASSERT_EQUAL(detect("+OK ready\r\n", "USER bob\r\n", 0), DETECT_YES);
    CU_ASSERT_EQUAL(detect("+OK ready\r\n", "capa\r\n", 0), DETECT_YES);
    CU_ASSERT_EQUAL(detect("+OK ready\r\n", "EHLO x\r\n", 0), DETECT_NO);
    CU_ASSERT_EQUAL(detect("+OK ready\r\n", "US", 0), DETECT_UNDECIDED);
    CU_ASSERT_EQUAL(detect("220 mx ESMTP\r\n", "USER bob\r\n", 0), DETECT_NO);
    CU_ASSERT_EQUAL(detect("", "", 0), DETECT_UNDECIDED);
    CU_ASSERT_EQUAL(detect("+OK", "", 1), DETECT_NO);
    CU_ASSERT(pop3_analyser.looks_like_server((const uint8_t *)"-ERR no\r\n", 9));
    CU_ASSERT(pop3_analyser.looks_like_client((const uint8_t *)"RETR 1\r\n", 8));
    CU_ASSERT(!pop3_analyser.looks_like_client((const uint8_t *)"RETRY\r\n", 7));
}

/* ---- the live screen lists it, with its own flags ---- */

static void test_live_screen(void)
{
    pop3_session *s = play(clean, N(clean) - 2);
    const pop3_report *r = end(s, FLOW_END_RST);
    ui_model *m = ui_model_new(4);
    ui_session *u = ui_model_open(m, 1, "192.0.2.1:1025", "192.0.2.2:110", T0, 1, NULL);
    flow_report fr = {1, "192.0.2.1:1025", "192.0.2.2:110", PROTO_POP3, r, 0, 0};
    ui_model_end(m, u, &fr, "detail", 6);
    CU_ASSERT_EQUAL(ui_model_count(m), 1);
    const ui_session *k = ui_model_session(m, 0);
    CU_ASSERT_FATAL(k != NULL);
    CU_ASSERT_EQUAL(k->proto, PROTO_POP3);
    CU_ASSERT_EQUAL(k->flags, r->flags);
    CU_ASSERT_STRING_EQUAL(ui_session_flag(k, POP3_FLAG_BIT_DELE_UNCOMMITTED)->badge, "ROLLBK");
    CU_ASSERT_STRING_EQUAL(k->mail_from, "alice");
    ui_model_free(m);
    pop3_session_free(s);
}

void add_pop3_suite(void)
{
    CU_pSuite s = CU_add_suite("pop3", NULL, NULL);
    CU_add_test(s, "clean session", test_clean);
    CU_add_test(s, "no transcript kept", test_no_transcript);
    CU_add_test(s, "pop3_dele_uncommitted", test_dele_uncommitted);
    CU_add_test(s, "pop3_retr_cut", test_retr_cut);
    CU_add_test(s, "pop3_quit_failed", test_quit_failed);
    CU_add_test(s, "pop3_mailbox_locked", test_mailbox_locked);
    CU_add_test(s, "missing_quit", test_missing_quit);
    CU_add_test(s, "terminator cut everywhere", test_terminator_cut_everywhere);
    CU_add_test(s, "dot-stuffing look-alikes", test_dot_stuffing_lookalikes);
    CU_add_test(s, "1 MB lines stay bounded", test_long_line);
    CU_add_test(s, "pipelining", test_pipelining);
    CU_add_test(s, "LIST/UIDL single-line forms", test_single_line_forms);
    CU_add_test(s, "STLS and POP3S", test_stls_and_tls);
    CU_add_test(s, "credentials never leave the analyser", test_credentials_hidden);
    CU_add_test(s, "APOP and AUTH logins", test_apop_mailbox);
    CU_add_test(s, "malformed AUTH PLAIN names nobody", test_plain_malformed);
    CU_add_test(s, "the digest SMTP gives", test_digest_matches_smtp);
    CU_add_test(s, "random bytes", test_random_bytes);
    CU_add_test(s, "pack round trip", test_pack_round_trip);
    CU_add_test(s, "the live screen lists it", test_live_screen);
    CU_add_test(s, "--detect and looks_like", test_detect);
    CU_add_test(s, "UIDL lists in any order, bounded", test_listing);
}
