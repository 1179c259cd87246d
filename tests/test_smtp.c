/* The SMTP state machine, fed scripted segments. */
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/smtp.h"
#include "tests/suites.h"

/* A scripted conversation: each step is one TCP segment. */
typedef struct step {
    smtp_dir dir;
    const char *bytes;
} step;

#define C SMTP_CLIENT
#define S SMTP_SERVER

static const int64_t T0 = 1772442000000000; /* 2026-03-02 09:00:00 UTC */

static uint64_t frame_of(unsigned i)
{
    return 10 + i * 2; /* arbitrary, distinct, not the step index */
}

static smtp_session *play(const step *steps, size_t n)
{
    smtp_session *s = smtp_session_new(T0, 1);
    for (size_t i = 0; i < n; i++)
        smtp_feed(s, steps[i].dir, (const uint8_t *)steps[i].bytes, strlen(steps[i].bytes),
                  T0 + (int64_t)i * 100000, frame_of((unsigned)i));
    return s;
}

static const smtp_report *end(smtp_session *s, smtp_end_reason why)
{
    smtp_end(s, why, -1, T0 + 3600000000, 999);
    return smtp_get_report(s);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

#define PRELUDE                                                                                    \
    {S, "220 mx.example.net ESMTP\r\n"}, {C, "EHLO c.example\r\n"},                                \
        {S, "250-mx.example.net\r\n250-PIPELINING\r\n250 CHUNKING\r\n"},                           \
        {C, "MAIL FROM:<a@example.org> SIZE=100\r\n"}, {S, "250 ok\r\n"},                          \
        {C, "RCPT TO:<b@example.net>\r\n"}, {S, "250 ok\r\n"}, {C, "DATA\r\n"},                    \
    {                                                                                              \
        S, "354 go ahead\r\n"                                                                      \
    }

#define BODY "Message-ID: <m1@example.org>\r\nSubject: hi\r\n\r\nhello\r\n"

static void test_clean_delivery(void)
{
    step st[] = {PRELUDE,
                 {C, BODY ".\r\n"},
                 {S, "250 2.0.0 queued\r\n"},
                 {C, "QUIT\r\n"},
                 {S, "221 bye\r\n"}};
    smtp_session *s = play(st, N(st));
    const smtp_report *r = end(s, SMTP_END_FIN);
    CU_ASSERT_EQUAL(r->flags, 0);
    CU_ASSERT_EQUAL(r->ntxn, 1);
    const smtp_txn *t = &r->txns[0];
    CU_ASSERT_STRING_EQUAL(t->mail_from, "<a@example.org>");
    CU_ASSERT_EQUAL(t->nrcpt, 1);
    CU_ASSERT_STRING_EQUAL(t->rcpt[0], "<b@example.net>");
    CU_ASSERT_EQUAL(t->rcpt_reply[0], 250);
    CU_ASSERT_STRING_EQUAL(t->message_id, "<m1@example.org>");
    CU_ASSERT_EQUAL(t->bytes, strlen(BODY));
    CU_ASSERT_EQUAL(t->data_reply, 354);
    CU_ASSERT(t->eod.seen);
    CU_ASSERT_EQUAL(t->eod.nparts, 1);
    CU_ASSERT_EQUAL(t->eod.part[0].frame, frame_of(9));
    CU_ASSERT(t->eod.replied);
    CU_ASSERT_EQUAL(t->eod.reply, 250);
    CU_ASSERT_EQUAL(t->eod.reply_at.frame, frame_of(10));
    CU_ASSERT_STRING_EQUAL(r->helo, "c.example");
    CU_ASSERT_EQUAL(r->ehlo_reply, 250);
    CU_ASSERT(r->quit);
    CU_ASSERT_EQUAL(r->quit_reply, 221);
    CU_ASSERT_EQUAL(r->banner.code, 220);
    CU_ASSERT_EQUAL(r->count.bad_lines, 0);
    smtp_session_free(s);
}

/* The five terminator bytes cut after byte k, no reply, client closes. */
static void check_cut(int k, const char *cut_mask_name)
{
    static const char term[] = "\r\n.\r\n";
    char first[128], second[8];
    snprintf(first, sizeof first, "%s%.*s", "Subject: x\r\n\r\nbody", k, term);
    snprintf(second, sizeof second, "%s", term + k);
    step st[] = {PRELUDE, {C, first}, {C, second}};
    smtp_session *s = play(st, N(st));
    const smtp_report *r = end(s, SMTP_END_FIN);
    const smtp_txn *t = &r->txns[0];
    CU_ASSERT_EQUAL_FATAL(r->ntxn, 1);
    CU_ASSERT(t->eod.seen);
    CU_ASSERT_EQUAL(t->eod.nparts, 2);
    CU_ASSERT_EQUAL(t->eod.cuts, 1u << k);
    CU_ASSERT_EQUAL(t->eod.part_len[0], k);
    CU_ASSERT_EQUAL(t->eod.part_len[1], 5 - k);
    CU_ASSERT_EQUAL(t->eod.part[0].frame, frame_of(9));
    CU_ASSERT_EQUAL(t->eod.part[1].frame, frame_of(10));
    CU_ASSERT_FALSE(t->eod.replied);
    CU_ASSERT_EQUAL(t->bytes, strlen("Subject: x\r\n\r\nbody\r\n"));
    CU_ASSERT(r->flags & SMTP_FLAG_SPLIT_EOD_UNACKED);
    CU_ASSERT(r->flags & SMTP_FLAG_MISSING_QUIT);
    char cut[32];
    smtp_format_cut(&t->eod, cut, sizeof cut);
    CU_ASSERT_STRING_EQUAL(cut, cut_mask_name);
    smtp_session_free(s);
}

static void test_split_cut1(void)
{
    check_cut(1, "CR|LF.CRLF");
}
static void test_split_cut2(void)
{
    check_cut(2, "CRLF|.CRLF");
}
static void test_split_cut3(void)
{
    check_cut(3, "CRLF.|CRLF");
}
static void test_split_cut4(void)
{
    check_cut(4, "CRLF.CR|LF");
}

static void test_split_three_segments(void)
{
    step st[] = {PRELUDE, {C, "x\r"}, {C, "\n."}, {C, "\r\n"}};
    smtp_session *s = play(st, N(st));
    const smtp_report *r = end(s, SMTP_END_RST);
    CU_ASSERT_EQUAL(r->txns[0].eod.nparts, 3);
    CU_ASSERT_EQUAL(r->txns[0].eod.cuts, (1u << 1) | (1u << 3));
    CU_ASSERT(r->flags & SMTP_FLAG_SPLIT_EOD_UNACKED);
    smtp_session_free(s);
}

static void test_split_acked_not_flagged(void)
{
    step st[] = {PRELUDE,           {C, "x\r\n"},    {C, ".\r\n"},
                 {S, "250 ok\r\n"}, {C, "QUIT\r\n"}, {S, "221 bye\r\n"}};
    smtp_session *s = play(st, N(st));
    const smtp_report *r = end(s, SMTP_END_FIN);
    CU_ASSERT_EQUAL(r->txns[0].eod.nparts, 2);
    CU_ASSERT_EQUAL(r->txns[0].eod.reply, 250);
    CU_ASSERT_EQUAL(r->flags, 0);
    smtp_session_free(s);
}

static void test_split_rejected_is_unacked(void)
{
    step st[] = {PRELUDE, {C, "x\r\n"}, {C, ".\r\n"}, {S, "451 try later\r\n"}};
    smtp_session *s = play(st, N(st));
    const smtp_report *r = end(s, SMTP_END_FIN);
    CU_ASSERT_EQUAL(r->txns[0].eod.reply, 451);
    CU_ASSERT(r->flags & SMTP_FLAG_SPLIT_EOD_UNACKED);
    smtp_session_free(s);
}

static void test_unsplit_unacked_not_flagged_split(void)
{
    step st[] = {PRELUDE, {C, "x\r\n.\r\n"}};
    smtp_session *s = play(st, N(st));
    const smtp_report *r = end(s, SMTP_END_FIN);
    CU_ASSERT(r->txns[0].eod.seen);
    CU_ASSERT_FALSE(r->txns[0].eod.replied);
    CU_ASSERT_EQUAL(r->flags, SMTP_FLAG_MISSING_QUIT | SMTP_FLAG_EOD_NO_REPLY);
    smtp_session_free(s);
}

static void test_empty_body_uses_data_line_end(void)
{
    /* DATA's own CR LF is the terminator's first two bytes: on the wire, split. */
    step st[] = {PRELUDE, {C, ".\r\n"}, {S, "250 ok\r\n"}};
    smtp_session *s = play(st, N(st));
    const smtp_report *r = end(s, SMTP_END_CAPTURE_END);
    CU_ASSERT_EQUAL(r->txns[0].bytes, 0);
    CU_ASSERT_EQUAL(r->txns[0].eod.nparts, 2);
    CU_ASSERT_EQUAL(r->txns[0].eod.part[0].frame, frame_of(7));
    CU_ASSERT_EQUAL(r->flags, 0);
    smtp_session_free(s);
}

static void test_dot_stuffed_lookalikes(void)
{
    /* "..\r\n" cut after CR LF '.', and "..hidden" cut after CR LF '.': not the end. */
    step st[] = {PRELUDE,         {C, "a\r\n."}, {C, ".\r\nb\r\n."}, {C, ".hidden\r\n"},
                 {C, "last\r\n"}, {C, ".\r\n"},  {S, "250 ok\r\n"}};
    smtp_session *s = play(st, N(st));
    const smtp_report *r = end(s, SMTP_END_CAPTURE_END);
    const smtp_txn *t = &r->txns[0];
    CU_ASSERT(t->eod.seen);
    CU_ASSERT_EQUAL(t->eod.part[0].frame, frame_of(12));
    CU_ASSERT_EQUAL(t->eod.part[1].frame, frame_of(13));
    CU_ASSERT_EQUAL(t->bytes, strlen("a\r\n..\r\nb\r\n..hidden\r\nlast\r\n"));
    CU_ASSERT_EQUAL(t->eod.reply, 250);
    smtp_session_free(s);
}

static void test_terminator_before_354_is_not_eod(void)
{
    step st[] = {{S, "220 mx\r\n"},
                 {C, "HELO c\r\n"},
                 {S, "250 mx\r\n"},
                 {C, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"},
                 {C, "stray\r\n"},
                 {C, ".\r\n"},
                 {S, "250 ok\r\n550 5.1.1 unknown\r\n554 5.5.1 no valid recipients\r\n"},
                 {S, "502 5.5.2 not recognized\r\n502 5.5.2 not recognized\r\n"},
                 {C, "QUIT\r\n"},
                 {S, "221 bye\r\n"}};
    smtp_session *s = play(st, N(st));
    const smtp_report *r = end(s, SMTP_END_FIN);
    const smtp_txn *t = &r->txns[0];
    CU_ASSERT_EQUAL(t->data_reply, 554);
    CU_ASSERT_EQUAL(t->rcpt_reply[0], 550);
    CU_ASSERT_FALSE(t->eod.seen);
    CU_ASSERT_EQUAL(r->quit_reply, 221);
    CU_ASSERT_EQUAL(r->count.unpaired_replies, 0);
    CU_ASSERT_EQUAL(r->flags, 0);
    smtp_session_free(s);
}

static void test_pipelined_data_and_body_in_one_segment(void)
{
    /* RSET, DATA and an empty body in one segment; the server accepted DATA. */
    step st[] = {{S, "220 mx ESMTP\r\n"},      {C, "EHLO c\r\n"}, {S, "250 PIPELINING\r\n"},
                 {C, "RSET\r\nDATA\r\n.\r\n"}, {S, "250 ok\r\n"}, {S, "354 go\r\n"},
                 {S, "250 queued\r\n"}};
    smtp_session *s = play(st, N(st));
    const smtp_report *r = end(s, SMTP_END_CAPTURE_END);
    CU_ASSERT_EQUAL_FATAL(r->ntxn, 1);
    CU_ASSERT_PTR_NULL(r->txns[0].mail_from);
    CU_ASSERT(r->txns[0].eod.seen);
    CU_ASSERT_EQUAL(r->txns[0].eod.nparts, 1);
    CU_ASSERT_EQUAL(r->txns[0].eod.reply, 250);
    smtp_session_free(s);
}

static void test_pipelining_pairs_replies_in_order(void)
{
    step st[] = {{S, "220 mx\r\n"},
                 {C, "EHLO c\r\n"},
                 {S, "250-mx\r\n250 PIPELINING\r\n"},
                 {C, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nRCPT TO:<c@y>\r\nDATA\r\n"},
                 {S, "250 ok\r\n250 ok\r\n450 busy\r\n354 go\r\n"},
                 {C, "Message-ID: <p@x>\r\n\r\nbody\r\n.\r\nRSET\r\nMAIL FROM:<d@x>\r\n"},
                 {S, "250 queued\r\n250 reset\r\n250 ok\r\n"},
                 {C, "QUIT\r\n"},
                 {S, "221 bye\r\n"}};
    smtp_session *s = play(st, N(st));
    const smtp_report *r = end(s, SMTP_END_FIN);
    CU_ASSERT_EQUAL_FATAL(r->ntxn, 2);
    CU_ASSERT_EQUAL(r->txns[0].nrcpt, 2);
    CU_ASSERT_EQUAL(r->txns[0].rcpt_reply[1], 450);
    CU_ASSERT_EQUAL(r->txns[0].eod.reply, 250);
    CU_ASSERT_STRING_EQUAL(r->txns[0].message_id, "<p@x>");
    CU_ASSERT_STRING_EQUAL(r->txns[1].mail_from, "<d@x>");
    CU_ASSERT_EQUAL(r->txns[1].mail_reply, 250);
    CU_ASSERT_EQUAL(r->count.unpaired_replies, 0);
    CU_ASSERT_EQUAL(r->quit_reply, 221);
    smtp_session_free(s);
}

static void test_multiline_reply_split_across_segments(void)
{
    step st[] = {{S, "220-mx ESMTP\r\n220-"},
                 {S, "second\r\n220 third\r\n"},
                 {C, "EHLO c\r\n"},
                 {S, "250-mx\r\n250-SIZE 1000"},
                 {S, "\r\n250 8BITMIME\r\n"}};
    smtp_session *s = play(st, N(st));
    const smtp_report *r = end(s, SMTP_END_CAPTURE_END);
    CU_ASSERT(r->banner.done);
    CU_ASSERT_EQUAL(r->banner.lines, 3);
    CU_ASSERT_STRING_EQUAL(r->banner.text, "220-mx ESMTP");
    CU_ASSERT_EQUAL(r->ehlo_reply, 250);
    CU_ASSERT_EQUAL(r->count.replies, 2);
    smtp_session_free(s);
}

static void test_bdat_lookalike_and_chunks(void)
{
    const char *chunk1 = "Message-ID: <b@x>\r\n\r\nline\r\n.\r\nmore";
    step st[] = {{S, "220 mx\r\n"},
                 {C, "EHLO c\r\n"},
                 {S, "250 CHUNKING\r\n"},
                 {C, "MAIL FROM:<a@x>\r\n"},
                 {S, "250 ok\r\n"},
                 {C, "RCPT TO:<b@y>\r\n"},
                 {S, "250 ok\r\n"},
                 {C, "BDAT 34\r\nMessage-ID: <b@x>\r\n\r\nline\r\n."},
                 {C, "\r\nmore"},
                 {S, "250 34 octets\r\n"},
                 {C, "BDAT 5 LAST\r\n.\r\n\r\n"},
                 {S, "250 queued\r\n"},
                 {C, "QUIT\r\n"},
                 {S, "221 bye\r\n"}};
    CU_ASSERT_EQUAL(strlen(chunk1), 34);
    smtp_session *s = play(st, N(st));
    const smtp_report *r = end(s, SMTP_END_FIN);
    const smtp_txn *t = &r->txns[0];
    CU_ASSERT(t->eod.bdat);
    CU_ASSERT_EQUAL(t->eod.nparts, 1);
    CU_ASSERT_EQUAL(t->bdat_chunks, 2);
    CU_ASSERT_EQUAL(t->bytes, 39);
    CU_ASSERT_EQUAL(t->eod.reply, 250);
    CU_ASSERT_STRING_EQUAL(t->message_id, "<b@x>");
    CU_ASSERT_EQUAL(r->count.bad_lines, 0);
    CU_ASSERT_EQUAL(r->flags, 0);
    smtp_session_free(s);
}

static void test_bdat_pipelined_with_next_mail(void)
{
    step st[] = {{S, "220 mx\r\n"},
                 {C, "EHLO c\r\n"},
                 {S, "250 CHUNKING\r\n"},
                 {C, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\n"},
                 {S, "250 ok\r\n250 ok\r\n"},
                 {C, "BDAT 3\r\nabcBDAT 2 LAST\r\nde"
                     "MAIL FROM:<c@x>\r\n"},
                 {S, "250 ok\r\n250 queued\r\n250 ok\r\n"}};
    smtp_session *s = play(st, N(st));
    const smtp_report *r = end(s, SMTP_END_CAPTURE_END);
    CU_ASSERT_EQUAL_FATAL(r->ntxn, 2);
    CU_ASSERT_EQUAL(r->txns[0].bytes, 5);
    CU_ASSERT_EQUAL(r->txns[0].eod.reply, 250);
    CU_ASSERT_STRING_EQUAL(r->txns[1].mail_from, "<c@x>");
    CU_ASSERT_EQUAL(r->txns[1].mail_reply, 250);
    smtp_session_free(s);
}

static void test_starttls_stops_parsing(void)
{
    step st[] = {{S, "220 mx\r\n"},
                 {C, "EHLO c\r\n"},
                 {S, "250 STARTTLS\r\n"},
                 {C, "STARTTLS\r\n"},
                 {S, "220 ready\r\n"},
                 {C, "\x16\x03\x01\x02\x00QUIT\r\n"},
                 {S, "\x16\x03\x03\x00\x10garbage\r\n"}};
    smtp_session *s = play(st, N(st));
    const smtp_report *r = end(s, SMTP_END_FIN);
    CU_ASSERT(r->starttls);
    CU_ASSERT(r->tls);
    CU_ASSERT_FALSE(r->quit);
    CU_ASSERT_EQUAL(r->flags, 0); /* no missing_quit: commands cannot be seen */
    smtp_session_free(s);
}

static void test_decrypted_starttls_keeps_parsing(void)
{
    step st[] = {{S, "220 mx\r\n"},
                 {C, "STARTTLS\r\n"},
                 {S, "220 ready\r\n"},
                 {C, "EHLO c\r\n"},
                 {S, "250 mx\r\n"}};
    smtp_session *s = play(st, N(st));
    const smtp_report *r = end(s, SMTP_END_FIN);
    CU_ASSERT(r->starttls);
    CU_ASSERT_FALSE(r->tls);
    CU_ASSERT_EQUAL(r->ehlo_reply, 250);
    CU_ASSERT(r->flags & SMTP_FLAG_MISSING_QUIT);
    smtp_session_free(s);
}

static void test_auth_continuations(void)
{
    step st[] = {{S, "220 mx\r\n"},
                 {C, "EHLO c\r\n"},
                 {S, "250 AUTH LOGIN\r\n"},
                 {C, "AUTH LOGIN\r\n"},
                 {S, "334 VXNlcm5hbWU6\r\n"},
                 {C, "dXNlcg==\r\n"},
                 {S, "334 UGFzc3dvcmQ6\r\n"},
                 {C, "cGFzcw==\r\n"},
                 {S, "235 ok\r\n"},
                 {C, "MAIL FROM:<a@x>\r\n"},
                 {S, "250 ok\r\n"}};
    smtp_session *s = play(st, N(st));
    const smtp_report *r = end(s, SMTP_END_CAPTURE_END);
    CU_ASSERT_EQUAL(r->count.commands, 3); /* EHLO, AUTH, MAIL: credentials are not commands */
    CU_ASSERT_EQUAL(r->count.unpaired_replies, 0);
    CU_ASSERT_EQUAL_FATAL(r->ntxn, 1);
    CU_ASSERT_EQUAL(r->txns[0].mail_reply, 250);
    smtp_session_free(s);
}

/* Whether any transcript line of the session holds needle. */
static int transcript_has(const smtp_report *r, const char *needle)
{
    for (unsigned i = 0; i < r->nhead; i++)
        if (strstr(r->head[i].text, needle))
            return 1;
    for (unsigned i = 0; i < r->ntail; i++)
        if (strstr(smtp_tail_line(r, i)->text, needle))
            return 1;
    return 0;
}

/* RFC 4954's initial response on the AUTH line carries the credentials as the 334 answers do:
 * the transcript keeps the mechanism and a placeholder, never the response. */
static void test_auth_initial_response_redacted(void)
{
    step st[] = {{S, "220 mx\r\n"},
                 {C, "EHLO c\r\n"},
                 {S, "250 AUTH PLAIN LOGIN\r\n"},
                 {C, "AUTH PLAIN AHVzZXIAczNjcjN0\r\n"},
                 {S, "535 5.7.8 bad\r\n"},
                 {C, "auth   login   dXNlcg==\r\n"},
                 {S, "334 UGFzc3dvcmQ6\r\n"},
                 {C, "czNjcjN0\r\n"},
                 {S, "235 ok\r\n"},
                 {C, "AUTH CRAM-MD5\r\n"},
                 {S, "503 already\r\n"}};
    smtp_session *s = play(st, N(st));
    const smtp_report *r = end(s, SMTP_END_CAPTURE_END);
    CU_ASSERT_FALSE(transcript_has(r, "AHVzZXIAczNjcjN0"));
    CU_ASSERT_FALSE(transcript_has(r, "dXNlcg=="));
    CU_ASSERT_FALSE(transcript_has(r, "czNjcjN0"));
    CU_ASSERT(transcript_has(r, "AUTH PLAIN [authentication data]"));
    CU_ASSERT(transcript_has(r, "auth   login [authentication data]"));
    CU_ASSERT(transcript_has(r, "AUTH CRAM-MD5"));
    CU_ASSERT_FALSE(transcript_has(r, "CRAM-MD5 ["));
    CU_ASSERT_EQUAL(r->count.commands, 4); /* EHLO and three AUTH: the 334 answer is not one */
    smtp_session_free(s);
}

static void test_long_line_and_garbage(void)
{
    char *big = malloc(5001);
    memset(big, 'A', 5000);
    memcpy(big, "EHLO ", 5);
    big[5000] = '\0';
    step st[] = {{S, "220 mx\r\n"},
                 {C, big},
                 {C, "\r\n"},
                 {S, "500 too long\r\n"},
                 {C, "\x01\x02\x1b[2J\xff\r\n"},
                 {S, "500 what\r\n"},
                 {C, "HELO c\r\n"},
                 {S, "250 ok\r\n"}};
    smtp_session *s = play(st, N(st));
    const smtp_report *r = end(s, SMTP_END_CAPTURE_END);
    CU_ASSERT_EQUAL(r->count.long_lines, 1);
    CU_ASSERT_EQUAL(r->count.bad_lines, 1);
    CU_ASSERT_EQUAL(r->count.commands, 3);
    CU_ASSERT_EQUAL(r->count.unpaired_replies, 0);
    CU_ASSERT_STRING_EQUAL(r->helo, strlen(r->helo) ? r->helo : "x");
    CU_ASSERT_FALSE(r->non_smtp);
    free(big);
    smtp_session_free(s);
}

static void test_binary_server_is_not_smtp(void)
{
    step st[] = {{S, "\x16\x03\x01\x02\x05hello\n"}, {C, "whatever\r\n"}};
    smtp_session *s = play(st, N(st));
    const smtp_report *r = end(s, SMTP_END_FIN);
    CU_ASSERT(r->non_smtp);
    CU_ASSERT_EQUAL(r->flags, 0);
    smtp_session_free(s);
}

static void test_missing_quit_rules(void)
{
    step st[] = {{S, "220 mx\r\n"}, {C, "HELO c\r\n"}, {S, "250 ok\r\n"}};
    smtp_end_reason reasons[] = {SMTP_END_FIN, SMTP_END_RST, SMTP_END_TIMEOUT, SMTP_END_CAPTURE_END,
                                 SMTP_END_EVICTED};
    unsigned expect[] = {SMTP_FLAG_MISSING_QUIT, SMTP_FLAG_MISSING_QUIT, SMTP_FLAG_MISSING_QUIT, 0,
                         0};
    smtp_session *s;
    for (unsigned i = 0; i < 5; i++) {
        s = play(st, N(st));
        CU_ASSERT_EQUAL(end(s, reasons[i])->flags, expect[i]);
        smtp_session_free(s);
    }
    step partial[] = {{S, "220 mx\r\n"}, {C, "QUIT"}};
    s = play(partial, N(partial));
    CU_ASSERT_EQUAL(end(s, SMTP_END_FIN)->flags, 0); /* QUIT, then FIN before its CR LF */
    smtp_session_free(s);
    step q[] = {{S, "220 mx\r\n"}, {C, "QUIT\r\n"}};
    s = play(q, N(q));
    CU_ASSERT_EQUAL(end(s, SMTP_END_RST)->flags, 0); /* QUIT sent; server reset: not flagged */
    smtp_session_free(s);
}

static void test_masked_banner_session(void)
{
    step st[] = {{S, "220 *********0****************2*****\r\n"},
                 {C, "EHLO c\r\n"},
                 {S, "500 5.5.1 Command unrecognized: \"XXXX\"\r\n"},
                 {C, "HELO c\r\n"},
                 {S, "250 ok\r\n"}};
    smtp_session *s = play(st, N(st));
    const smtp_report *r = end(s, SMTP_END_FIN);
    CU_ASSERT(r->banner.masked);
    CU_ASSERT(r->banner.done);
    CU_ASSERT_FALSE(r->banner.unterminated);
    CU_ASSERT_EQUAL(r->ehlo_reply, 500);
    CU_ASSERT(r->flags & SMTP_FLAG_MASKED_BANNER);
    smtp_session_free(s);
}

static void test_masked_multiline_unterminated(void)
{
    step st[] = {{S, "220*******************\r\n220****************\r\n"},
                 {S, "*****************\r\n"}};
    smtp_session *s = play(st, N(st));
    const smtp_report *r = end(s, SMTP_END_FIN);
    CU_ASSERT(r->banner.masked);
    CU_ASSERT_EQUAL(r->banner.masked_lines, 3);
    CU_ASSERT_FALSE(r->banner.done);
    CU_ASSERT(r->banner.unterminated);
    CU_ASSERT_EQUAL(r->flags,
                    SMTP_FLAG_MASKED_BANNER | SMTP_FLAG_MISSING_QUIT | SMTP_FLAG_SMTP_INSPECTION);
    smtp_session_free(s);
}

static void test_banner_with_stars_is_normal(void)
{
    step st[] = {{S, "220 mx ESMTP ** no UCE **\r\n"}, {C, "QUIT\r\n"}, {S, "221 bye\r\n"}};
    smtp_session *s = play(st, N(st));
    const smtp_report *r = end(s, SMTP_END_FIN);
    CU_ASSERT_FALSE(r->banner.masked);
    CU_ASSERT_EQUAL(r->flags, 0);
    smtp_session_free(s);
}

static void test_message_id_folded_and_bare_lf(void)
{
    step st[] = {{S, "220 mx\n"},
                 {C, "HELO c\n"},
                 {S, "250 ok\n"},
                 {C, "MAIL FROM:<a@x>\n"},
                 {S, "250 ok\n"},
                 {C, "RCPT TO:<b@y>\n"},
                 {S, "250 ok\n"},
                 {C, "DATA\n"},
                 {S, "354 go\n"},
                 {C, "Subject: s\nMessage-"},
                 {C, "Id:\n  <folded@x>\n\nbody\n.\n"},
                 {S, "250 ok\n"}};
    smtp_session *s = play(st, N(st));
    const smtp_report *r = end(s, SMTP_END_CAPTURE_END);
    const smtp_txn *t = &r->txns[0];
    CU_ASSERT_STRING_EQUAL(t->message_id, "<folded@x>");
    CU_ASSERT(t->eod.seen);
    CU_ASSERT(t->eod.bare_lf);
    char cut[32];
    smtp_format_cut(&t->eod, cut, sizeof cut);
    CU_ASSERT_STRING_EQUAL(cut, "LF.LF");
    CU_ASSERT_EQUAL(t->eod.reply, 250);
    smtp_session_free(s);
}

/* Received: lines of the header section only: folded ones once, Received-SPF and the body's
 * look-alikes not at all. */
static void test_received_headers_counted(void)
{
    step st[] = {PRELUDE,
                 {C, "Received: from a (a [192.0.2.1])\r\n\tby b; Mon, 2 Mar 2026\r\n"
                     "received: from c\r\nReceived-SPF: pass\r\nRECEIVED: "},
                 {C, "from d\r\nMessage-ID: <r@x>\r\n\r\nReceived: in the body\r\n.\r\n"},
                 {S, "250 ok\r\n"}};
    smtp_session *s = play(st, N(st));
    const smtp_report *r = end(s, SMTP_END_CAPTURE_END);
    CU_ASSERT_EQUAL_FATAL(r->ntxn, 1);
    CU_ASSERT_EQUAL(r->txns[0].received, 3);
    CU_ASSERT_STRING_EQUAL(r->txns[0].message_id, "<r@x>");
    smtp_session_free(s);
}

static void test_many_transactions_bounded(void)
{
    smtp_session *s = smtp_session_new(T0, 1);
    const char *greet = "220 mx\r\n";
    smtp_feed(s, S, (const uint8_t *)greet, strlen(greet), T0, 2);
    for (int i = 0; i < SMTP_MAX_TXNS + 8; i++) {
        const char *c1 = "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n";
        const char *s1 = "250 ok\r\n250 ok\r\n354 go\r\n";
        const char *c2 = "x\r\n";
        const char *c3 = ".\r\n";
        smtp_feed(s, C, (const uint8_t *)c1, strlen(c1), T0 + i, 3);
        smtp_feed(s, S, (const uint8_t *)s1, strlen(s1), T0 + i, 4);
        smtp_feed(s, C, (const uint8_t *)c2, strlen(c2), T0 + i, 5);
        smtp_feed(s, C, (const uint8_t *)c3, strlen(c3), T0 + i, 6);
        if (i < SMTP_MAX_TXNS + 7) /* the last one, past the bound, is never answered */
            smtp_feed(s, S, (const uint8_t *)"250 ok\r\n", 8, T0 + i, 7);
    }
    const smtp_report *r = end(s, SMTP_END_CAPTURE_END);
    CU_ASSERT_EQUAL(r->ntxn, SMTP_MAX_TXNS);
    CU_ASSERT_EQUAL(r->count.txn_overflow, 8);
    CU_ASSERT(r->flags & SMTP_FLAG_SPLIT_EOD_UNACKED);
    CU_ASSERT_EQUAL(r->nhead + r->ntail, SMTP_TRANSCRIPT);
    CU_ASSERT(r->dropped_lines > 0);
    smtp_session_free(s);
}

static void test_every_byte_alone(void)
{
    /* The same clean session fed one byte per segment must give the same transaction. */
    const char *cli = "EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n";
    smtp_session *s = smtp_session_new(T0, 1);
    smtp_feed(s, S, (const uint8_t *)"220 mx\r\n", 8, T0, 1);
    for (size_t i = 0; cli[i]; i++)
        smtp_feed(s, C, (const uint8_t *)cli + i, 1, T0, 2);
    const char *rep = "250 mx\r\n250 ok\r\n250 ok\r\n354 go\r\n";
    for (size_t i = 0; rep[i]; i++)
        smtp_feed(s, S, (const uint8_t *)rep + i, 1, T0, 3);
    const char *body = "Message-ID: <one@x>\r\n\r\nz\r\n.\r\n";
    for (size_t i = 0; body[i]; i++)
        smtp_feed(s, C, (const uint8_t *)body + i, 1, T0, 4 + i);
    const smtp_report *r = end(s, SMTP_END_CAPTURE_END);
    CU_ASSERT_EQUAL_FATAL(r->ntxn, 1);
    CU_ASSERT_STRING_EQUAL(r->txns[0].message_id, "<one@x>");
    CU_ASSERT_EQUAL(r->txns[0].eod.nparts, 5);
    CU_ASSERT_EQUAL(r->txns[0].eod.cuts, 0x1e);
    CU_ASSERT_EQUAL(r->txns[0].bytes, strlen(body) - 3);
    smtp_session_free(s);
}

static void test_random_bytes_do_not_crash(void)
{
    uint32_t x = 12345;
    for (int round = 0; round < 200; round++) {
        smtp_session *s = smtp_session_new(T0, 1);
        uint8_t buf[512];
        for (int seg = 0; seg < 40; seg++) {
            size_t n = 1 + (x % sizeof buf);
            for (size_t i = 0; i < n; i++) {
                x = x * 1103515245u + 12345u;
                /* bias towards protocol bytes so deep states are reached */
                static const char alphabet[] = "\r\n.0123456789 -DATAMAILRCPTBDATLAST\x16*";
                buf[i] = (x >> 24) & 1 ? (uint8_t)(x >> 16) : (uint8_t)alphabet[(x >> 8) % 38];
            }
            smtp_feed(s, (x >> 5) & 1 ? C : S, buf, n, T0 + seg, (uint64_t)seg + 1);
        }
        const smtp_report *r = end(s, SMTP_END_FIN);
        CU_ASSERT(r->ntxn <= SMTP_MAX_TXNS);
        smtp_session_free(s);
    }
}

/* ---- classifiers of commands and replies ---- */

/* Each of the n C strings in cases, given to classify, gives want. */
static void expect_all(int (*classify)(const uint8_t *, size_t), const char *const *cases, size_t n,
                       int want)
{
    for (size_t i = 0; i < n; i++)
        CU_ASSERT_EQUAL(classify((const uint8_t *)cases[i], strlen(cases[i])), want);
}

static void test_looks_like_command(void)
{
    static const char *const yes[] = {
        "EHLO", "ehlo",   "HeLo x",     "MAIL FROM:<a@b>", "rcpt",     "DATA\r\n", "RSET", "NOOP",
        "QUIT", "vrfy x", "AUTH PLAIN", "BDAT 10",         "STARTTLS", "star",     "MAILX"};
    expect_all(smtp_looks_like_command, yes, N(yes), 1);
    static const char *const no[] = {"",       "EHL",     "HELP",  "EXPN x", "STAX",
                                     "220 mx", "\xc5HLO", " EHLO", "E HLO"};
    expect_all(smtp_looks_like_command, no, N(no), 0);
    /* only the first n bytes count */
    CU_ASSERT_EQUAL(smtp_looks_like_command((const uint8_t *)"EHLO", 3), 0);
    CU_ASSERT_EQUAL(smtp_looks_like_command(NULL, 0), 0);
}

static void test_opens_session(void)
{
    static const char *const yes[] = {
        "EHLO c.example\r\n", "helo\r\n", "QUIT\r\n", "QUIT", "EHLO\n", "EHLO\r", "eHlO "};
    expect_all(smtp_opens_session, yes, N(yes), 1);
    static const char *const no[] = {
        "",         "EHL",      "EHLOX\r\n", "EHLO\t", "EHLO-", "MAIL FROM:<>\r\n", "STARTTLS\r\n",
        "NOOP\r\n", "RSET\r\n", "220 mx\r\n"};
    expect_all(smtp_opens_session, no, N(no), 0);
    CU_ASSERT_EQUAL(smtp_opens_session((const uint8_t *)"EHLO x", 3), 0);
    CU_ASSERT_EQUAL(smtp_opens_session((const uint8_t *)"EHLOX", 4), 1);
}

static void test_reply_code(void)
{
    static const struct {
        const char *line;
        int code, more;
    } cases[] = {{"250", 250, 0},  {"250 ok", 250, 0}, {"250-ok", 250, 1}, {"250-", 250, 1},
                 {"250 ", 250, 0}, {"000", 0, 0},      {"999 x", 999, 0},  {"25", -1, -1},
                 {"", -1, -1},     {"2a0", -1, -1},    {"250x", -1, -1},   {"250\r", -1, -1},
                 {" 250", -1, -1}, {"250\t", -1, -1},  {"-250", -1, -1}};
    for (size_t i = 0; i < N(cases); i++) {
        int more = -1;
        CU_ASSERT_EQUAL(smtp_reply_code(cases[i].line, strlen(cases[i].line), &more),
                        cases[i].code);
        CU_ASSERT_EQUAL(more, cases[i].more); /* untouched when there is no code */
    }
    int more = -1;
    CU_ASSERT_EQUAL(smtp_reply_code("250xyz", 3, &more), 250); /* len bounds the line */
    CU_ASSERT_EQUAL(more, 0);
}

/* RFC 3463: X.3.4 "message too big for system", X.2.3 "message length exceeds administrative
 * limit"; X.2.2 is a full mailbox, not a size limit. */
static void test_reply_too_big(void)
{
    static const struct {
        const char *line;
        int big;
    } cases[] = {{"552 5.3.4 Message size exceeds fixed limit", 1},
                 {"552-5.2.3 Your message exceeded Google's message size limits", 1},
                 {"554 5.3.4 Message too big for system", 1},
                 {"552 Requested mail action aborted: exceeded storage allocation", 1},
                 {"552", 1},
                 {"552 5.2.2 mailbox full", 0},
                 {"552 5.7.0 message content rejected", 0},
                 {"550 5.1.1 no such user", 0},
                 {"550 message too big", 0},
                 {"452 4.3.1 insufficient system storage", 0},
                 {"452 4.3.4 too big for now", 0},
                 {"451 4.3.4 x", 0},
                 {"552 5.3.44 x", 0}, /* another status (X.3.44), not a size limit */
                 {"552 5.3.4x", 1},
                 {"554 5.3.40 x", 0}};
    for (size_t i = 0; i < N(cases); i++) {
        int code = atoi(cases[i].line);
        CU_ASSERT_EQUAL(smtp_reply_too_big(code, cases[i].line, strlen(cases[i].line)),
                        cases[i].big);
    }
    /* len bounds the line: the status is cut off */
    CU_ASSERT_EQUAL(smtp_reply_too_big(554, "554 5.3.4", 7), 0);
}

/* RFC 1870: SIZE= among MAIL FROM's parameters, in any case; not a number, not kept. */
static void test_size_declared(void)
{
    static const struct {
        const char *mail;
        int has;
        uint64_t size;
    } cases[] = {{"MAIL FROM:<a@x> SIZE=1000\r\n", 1, 1000},
                 {"MAIL FROM:<a@x> BODY=8BITMIME size=42\r\n", 1, 42},
                 {"MAIL FROM:<> SIZE=0\r\n", 1, 0},
                 {"MAIL FROM:<a@x>\r\n", 0, 0},
                 {"MAIL FROM:<a@x> SIZE=\r\n", 0, 0},
                 {"MAIL FROM:<a@x> SIZE=12k\r\n", 0, 0},
                 {"MAIL FROM:<a@x> SIZE=99999999999999999999999\r\n", 0, 0},
                 {"MAIL FROM:<a@x> XSIZE=5\r\n", 0, 0},
                 {"MAIL FROM:<SIZE=7@x>\r\n", 0, 0}};
    for (size_t i = 0; i < N(cases); i++) {
        step st[] = {{S, "220 mx\r\n"}, {C, cases[i].mail}};
        smtp_session *s = play(st, N(st));
        const smtp_report *r = end(s, SMTP_END_CAPTURE_END);
        CU_ASSERT_EQUAL_FATAL(r->ntxn, 1);
        CU_ASSERT_EQUAL(r->txns[0].has_size, cases[i].has);
        if (cases[i].has)
            CU_ASSERT_EQUAL(r->txns[0].size_declared, cases[i].size);
        smtp_session_free(s);
    }
}

static void test_looks_like_reply(void)
{
    static const char *const yes[] = {"220 mx\r\n", "250-x\r\n",      "250\r\n", "250",
                                      "250\n",      "554 no",         "200 x",   "559 x",
                                      "421-",       "220 a\nGARBAGE", "251 \r\n"};
    expect_all(smtp_looks_like_reply, yes, N(yes), 1);
    static const char *const no[] = {
        "",     "25",        "199 x",  "600 x",           "260 x",          "196 x", "2505",
        "250x", "250\r\r\n", "250\rx", "HTTP/1.1 200 OK", "GARBAGE\n220 a", "\r\n",  " 220 mx"};
    expect_all(smtp_looks_like_reply, no, N(no), 0);
    CU_ASSERT_EQUAL(smtp_looks_like_reply((const uint8_t *)"2509", 3), 1);
    CU_ASSERT_EQUAL(smtp_looks_like_reply(NULL, 0), 0);
}

static void test_greeting_prefix(void)
{
    static const char *const yes[] = {
        "", "2", "22", "220", "220 ", "220-", "220\r", "220\n", "220 mx ESMTP\r\n"};
    expect_all(smtp_greeting_prefix, yes, N(yes), 1);
    static const char *const no[] = {"3", "20", "221", "2200", "220x", "221 mx", "220\t", "554 no"};
    expect_all(smtp_greeting_prefix, no, N(no), 0);
    CU_ASSERT_EQUAL(smtp_greeting_prefix((const uint8_t *)"22X", 2), 1);
    CU_ASSERT_EQUAL(smtp_greeting_prefix(NULL, 0), 1);
}

/* NOOP and VRFY are told apart now, and change nothing else: replies stay paired. */
typedef struct seen_verbs {
    smtp_verb cmd[8], reply[8];
    unsigned ncmd, nreply;
} seen_verbs;

static void observe_verbs(void *ctx, const smtp_event *ev)
{
    seen_verbs *v = ctx;
    if (ev->kind == SMTP_EV_COMMAND && v->ncmd < N(v->cmd))
        v->cmd[v->ncmd++] = ev->verb;
    if (ev->kind == SMTP_EV_REPLY && v->nreply < N(v->reply))
        v->reply[v->nreply++] = ev->verb;
}

static void test_noop_vrfy_verbs(void)
{
    step st[] = {{S, "220 mx ESMTP\r\n"},
                 {C, "EHLO c\r\nnoop\r\nVRFY bob\r\nEXPN x\r\n"},
                 {S, "250 mx\r\n250 ok\r\n252 maybe\r\n502 no\r\n"},
                 {C, "QUIT\r\n"},
                 {S, "221 bye\r\n"}};
    seen_verbs v = {0};
    smtp_session *s = smtp_session_new(T0, 1);
    smtp_set_observer(s, observe_verbs, &v);
    for (size_t i = 0; i < N(st); i++)
        smtp_feed(s, st[i].dir, (const uint8_t *)st[i].bytes, strlen(st[i].bytes),
                  T0 + (int64_t)i * 100000, frame_of((unsigned)i));
    const smtp_report *r = end(s, SMTP_END_FIN);
    static const smtp_verb want[] = {SMTP_VERB_EHLO, SMTP_VERB_NOOP, SMTP_VERB_VRFY,
                                     SMTP_VERB_OTHER, SMTP_VERB_QUIT};
    CU_ASSERT_EQUAL(v.ncmd, N(want));
    CU_ASSERT_EQUAL(v.nreply, N(want));
    for (size_t i = 0; i < N(want); i++) {
        CU_ASSERT_EQUAL(v.cmd[i], want[i]);
        CU_ASSERT_EQUAL(v.reply[i], want[i]);
    }
    CU_ASSERT_EQUAL(r->quit_reply, 221);
    CU_ASSERT_EQUAL(r->count.unpaired_replies, 0);
    CU_ASSERT_EQUAL(SMTP_VERB_EOD, 11); /* values before the new verbs did not move */
    CU_ASSERT_TRUE(SMTP_VERB_NOOP > SMTP_VERB_EOD && SMTP_VERB_VRFY > SMTP_VERB_EOD);
    smtp_session_free(s);
}

void add_smtp_suite(void)
{
    CU_pSuite s = CU_add_suite("smtp", NULL, NULL);
    CU_add_test(s, "clean delivery", test_clean_delivery);
    CU_add_test(s, "split CR|LF.CRLF", test_split_cut1);
    CU_add_test(s, "split CRLF|.CRLF", test_split_cut2);
    CU_add_test(s, "split CRLF.|CRLF", test_split_cut3);
    CU_add_test(s, "split CRLF.CR|LF", test_split_cut4);
    CU_add_test(s, "split over three segments", test_split_three_segments);
    CU_add_test(s, "split but acknowledged", test_split_acked_not_flagged);
    CU_add_test(s, "split and rejected", test_split_rejected_is_unacked);
    CU_add_test(s, "unsplit unacknowledged", test_unsplit_unacked_not_flagged_split);
    CU_add_test(s, "empty body", test_empty_body_uses_data_line_end);
    CU_add_test(s, "dot-stuffed look-alikes", test_dot_stuffed_lookalikes);
    CU_add_test(s, "terminator before 354", test_terminator_before_354_is_not_eod);
    CU_add_test(s, "pipelined DATA with body", test_pipelined_data_and_body_in_one_segment);
    CU_add_test(s, "pipelining pairs replies", test_pipelining_pairs_replies_in_order);
    CU_add_test(s, "multi-line replies", test_multiline_reply_split_across_segments);
    CU_add_test(s, "BDAT look-alike", test_bdat_lookalike_and_chunks);
    CU_add_test(s, "BDAT pipelined", test_bdat_pipelined_with_next_mail);
    CU_add_test(s, "STARTTLS", test_starttls_stops_parsing);
    CU_add_test(s, "STARTTLS decrypted", test_decrypted_starttls_keeps_parsing);
    CU_add_test(s, "AUTH continuations", test_auth_continuations);
    CU_add_test(s, "AUTH initial response redacted", test_auth_initial_response_redacted);
    CU_add_test(s, "long line and garbage", test_long_line_and_garbage);
    CU_add_test(s, "binary server", test_binary_server_is_not_smtp);
    CU_add_test(s, "missing_quit rules", test_missing_quit_rules);
    CU_add_test(s, "too big replies", test_reply_too_big);
    CU_add_test(s, "SIZE= declared", test_size_declared);
    CU_add_test(s, "masked banner session", test_masked_banner_session);
    CU_add_test(s, "masked multi-line unterminated", test_masked_multiline_unterminated);
    CU_add_test(s, "banner with stars", test_banner_with_stars_is_normal);
    CU_add_test(s, "folded Message-ID, bare LF", test_message_id_folded_and_bare_lf);
    CU_add_test(s, "Received: headers counted", test_received_headers_counted);
    CU_add_test(s, "bounded transactions", test_many_transactions_bounded);
    CU_add_test(s, "one byte per segment", test_every_byte_alone);
    CU_add_test(s, "random bytes", test_random_bytes_do_not_crash);
    CU_add_test(s, "looks like a command", test_looks_like_command);
    CU_add_test(s, "opens a session", test_opens_session);
    CU_add_test(s, "reply code", test_reply_code);
    CU_add_test(s, "looks like a reply", test_looks_like_reply);
    CU_add_test(s, "greeting prefix", test_greeting_prefix);
    CU_add_test(s, "NOOP and VRFY verbs", test_noop_vrfy_verbs);
}
