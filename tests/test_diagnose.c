/* The per-session diagnostics beyond the first three, the inspection fingerprints, the ASA
 * policy predictions, the TCP evidence and the body digest. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/smtp.h"
#include "tests/suites.h"

#define C SMTP_CLIENT
#define S SMTP_SERVER

static const int64_t T0 = 1772442000000000;
static const int64_t SEC = 1000000;

/* A session driven step by step with explicit times (seconds after T0). */
static smtp_session *sess;
static uint64_t frame;

static void start(void)
{
    sess = smtp_session_new(T0, 1);
    frame = 1;
}

static void at(double t, smtp_dir dir, const char *bytes)
{
    smtp_feed(sess, dir, (const uint8_t *)bytes, strlen(bytes), T0 + (int64_t)(t * SEC), ++frame);
}

static const smtp_report *finish(double t, smtp_end_reason why, int closed_by)
{
    smtp_end(sess, why, closed_by, T0 + (int64_t)(t * SEC), ++frame);
    return smtp_get_report(sess);
}

static void stop(void)
{
    smtp_session_free(sess);
    sess = NULL;
}

static void envelope(double t)
{
    at(t, S, "220 mx ESMTP\r\n");
    at(t, C, "EHLO c\r\n");
    at(t, S, "250 mx\r\n");
    at(t, C, "MAIL FROM:<a@x>\r\n");
    at(t, S, "250 ok\r\n");
    at(t, C, "RCPT TO:<b@y>\r\n");
    at(t, S, "250 ok\r\n");
    at(t, C, "DATA\r\n");
    at(t, S, "354 go\r\n");
}

#define HAS(r, f) (((r)->flags & (f)) != 0)

static void test_slow_reply(void)
{
    start();
    envelope(0);
    at(1, C, "Subject: x\r\n\r\nbody\r\n.\r\n");
    at(75, S, "250 queued\r\n");
    at(75, C, "QUIT\r\n");
    at(75, S, "221 bye\r\n");
    const smtp_report *r = finish(76, SMTP_END_FIN, C);
    CU_ASSERT(HAS(r, SMTP_FLAG_SLOW_EOD_REPLY));
    CU_ASSERT_FALSE(HAS(r, SMTP_FLAG_CLIENT_GAVE_UP));
    stop();
    /* the threshold is an option */
    start();
    smtp_options o = {.slow_reply = 120.0,
                      .slow_banner = SMTP_DEFAULT_SLOW_BANNER,
                      .no_transcript =
                          1}; /* and no transcript: the verdicts must not depend on it */
    smtp_session_configure(sess, &o);
    envelope(0);
    at(1, C, "x\r\n.\r\n");
    at(75, S, "250 queued\r\n");
    CU_ASSERT_FALSE(HAS(finish(76, SMTP_END_CAPTURE_END, -1), SMTP_FLAG_SLOW_EOD_REPLY));
    stop();
}

static void test_client_gave_up_and_late_reply(void)
{
    start();
    envelope(0);
    at(1, C, "x\r\n.\r\n");
    smtp_tcp_fin(sess, C, T0 + 61 * SEC, 50); /* the client gives up after a minute */
    at(90, S, "250 queued\r\n");              /* the server answers into a closed socket */
    const smtp_report *r = finish(90.1, SMTP_END_FIN, C);
    CU_ASSERT(HAS(r, SMTP_FLAG_CLIENT_GAVE_UP));
    CU_ASSERT(HAS(r, SMTP_FLAG_REPLY_AFTER_CLOSE));
    CU_ASSERT(HAS(r, SMTP_FLAG_SLOW_EOD_REPLY));
    CU_ASSERT_FALSE(HAS(r, SMTP_FLAG_EOD_NO_REPLY));
    CU_ASSERT_EQUAL(r->tcp.fin_frame[C], 50);
    stop();
}

static void test_pipelined_quit_then_fin_is_not_giving_up(void)
{
    start();
    envelope(0);
    at(1, C, "x\r\n.\r\nQUIT\r\n");
    smtp_tcp_fin(sess, C, T0 + 1 * SEC, 40); /* FIN right behind the QUIT */
    at(1.2, S, "250 queued\r\n221 bye\r\n");
    const smtp_report *r = finish(1.3, SMTP_END_FIN, C);
    CU_ASSERT_FALSE(HAS(r, SMTP_FLAG_CLIENT_GAVE_UP));
    CU_ASSERT_FALSE(HAS(r, SMTP_FLAG_REPLY_AFTER_CLOSE));
    CU_ASSERT_EQUAL(r->flags, 0);
    stop();
}

static void test_silent_server(void)
{
    start();
    envelope(0);
    at(1, C, "x\r\n.\r\n");
    const smtp_report *r = finish(61, SMTP_END_FIN, C);
    CU_ASSERT(HAS(r, SMTP_FLAG_EOD_NO_REPLY));
    CU_ASSERT(HAS(r, SMTP_FLAG_CLIENT_GAVE_UP));
    CU_ASSERT_FALSE(HAS(r, SMTP_FLAG_SPLIT_EOD_UNACKED));
    stop();
    /* still waiting when the capture ended: no verdict */
    start();
    envelope(0);
    at(1, C, "x\r\n.\r\n");
    r = finish(5, SMTP_END_CAPTURE_END, -1);
    CU_ASSERT_FALSE(HAS(r, SMTP_FLAG_EOD_NO_REPLY));
    CU_ASSERT_FALSE(HAS(r, SMTP_FLAG_CLIENT_GAVE_UP));
    stop();
}

static void test_rst_after_eod(void)
{
    start();
    envelope(0);
    at(1, C, "x\r\n.\r\n");
    at(1.2, S, "250 queued\r\n");
    CU_ASSERT(HAS(finish(1.5, SMTP_END_RST, S), SMTP_FLAG_RST_AFTER_EOD));
    stop();
    start(); /* a reset a minute later is not "right after" */
    envelope(0);
    at(1, C, "x\r\n.\r\n");
    at(1.2, S, "250 queued\r\n");
    CU_ASSERT_FALSE(HAS(finish(70, SMTP_END_RST, S), SMTP_FLAG_RST_AFTER_EOD));
    stop();
}

static void test_retransmitted_terminator_and_reply(void)
{
    start();
    envelope(0);
    /* client stream so far: EHLO c\r\n (8) MAIL (17) RCPT (15) DATA\r\n (6) = 46 */
    at(1, C, "x\r\n.\r\n"); /* terminator at offsets 47..51 */
    /* server stream: 220 (14) 250 mx (8) 250 ok (8) 250 ok (8) 354 (8) = 46 */
    at(1.1, S, "250 queued\r\n");                    /* reply at 46..57 */
    smtp_tcp_retransmission(sess, C, 0, 46, T0, 60); /* commands only: not the terminator */
    CU_ASSERT_EQUAL(smtp_get_report(sess)->tcp.eod_retrans, 0);
    smtp_tcp_retransmission(sess, C, 46, 6, T0, 61);  /* the last segment again */
    smtp_tcp_retransmission(sess, S, 46, 12, T0, 62); /* the reply again */
    smtp_tcp_retransmission(sess, S, 0, 14, T0, 63);  /* the greeting again: not counted */
    const smtp_report *r = finish(2, SMTP_END_CAPTURE_END, -1);
    CU_ASSERT_EQUAL(r->txns[0].term_off, 47);
    CU_ASSERT_EQUAL(r->txns[0].reply_off, 46);
    CU_ASSERT_EQUAL(r->txns[0].reply_end, 58);
    CU_ASSERT(HAS(r, SMTP_FLAG_EOD_RETRANSMITTED));
    CU_ASSERT_EQUAL(r->tcp.eod_retrans_frame, 61);
    CU_ASSERT(HAS(r, SMTP_FLAG_EOD_REPLY_RETRANSMITTED));
    CU_ASSERT_EQUAL(r->tcp.reply_retrans, 1);
    CU_ASSERT_EQUAL(r->tcp.retrans[C], 2);
    stop();
}

static void test_zero_window_only_during_data(void)
{
    start();
    at(0, S, "220 mx\r\n");
    smtp_tcp_zero_window(sess, S, T0, 5); /* before DATA: not this flag */
    envelope(0);
    at(1, C, "part of the body\r\n");
    smtp_tcp_zero_window(sess, C, T0, 6); /* the client's window: not this flag */
    smtp_tcp_zero_window(sess, S, T0, 7);
    const smtp_report *r = finish(2, SMTP_END_CAPTURE_END, -1);
    CU_ASSERT(HAS(r, SMTP_FLAG_ZERO_WINDOW_DATA));
    CU_ASSERT_EQUAL(r->tcp.zero_windows, 1);
    CU_ASSERT_EQUAL(r->tcp.zero_window_frame, 7);
    stop();
}

static void test_mailguard_fingerprints(void)
{
    start();
    at(0, S, "220 *********0****************2*****\r\n");
    at(0, C, "EHLO c\r\n");
    at(0, S, "500 5.5.1 Command unrecognized: \"XXXX\"\r\n");
    at(0, C, "HELO c\r\n");
    at(0, S, "250 mx Hello\r\n");
    const smtp_report *r = finish(1, SMTP_END_CAPTURE_END, -1);
    CU_ASSERT(HAS(r, SMTP_FLAG_EHLO_REFUSED));
    CU_ASSERT(HAS(r, SMTP_FLAG_COMMAND_MASKED));
    CU_ASSERT(HAS(r, SMTP_FLAG_SMTP_INSPECTION));
    CU_ASSERT(r->inspection_confidence > 0.9);
    CU_ASSERT_STRING_EQUAL(r->prints[SMTP_PRINT_EHLO_REFUSED].line,
                           "500 5.5.1 Command unrecognized: \"XXXX\"");
    CU_ASSERT_STRING_EQUAL(r->prints[SMTP_PRINT_HELO_ACCEPTED].line, "250 mx Hello");
    CU_ASSERT_EQUAL(r->prints[SMTP_PRINT_MASKED_BANNER].frame, 2);
    stop();
}

static void test_asa_fingerprints(void)
{
    start();
    at(0, S, "220 mx ESMTP\r\n");
    at(0, C, "EHLO c\r\n");
    at(0, S, "250-mx\r\n250-PIPELINING\r\n250-XXXXXXXA\r\n250 XXXB\r\n");
    at(0, C, "STARTTLS\r\n");
    at(0, S, "500 5.5.1 command unrecognized\r\n");
    const smtp_report *r = finish(1, SMTP_END_CAPTURE_END, -1);
    CU_ASSERT(HAS(r, SMTP_FLAG_ESMTP_MASKED));
    CU_ASSERT_STRING_EQUAL(r->prints[SMTP_PRINT_ESMTP_MASKED].line, "250-XXXXXXXA");
    CU_ASSERT(HAS(r, SMTP_FLAG_STARTTLS_REFUSED));
    CU_ASSERT(HAS(r, SMTP_FLAG_SMTP_INSPECTION));
    CU_ASSERT_FALSE(HAS(r, SMTP_FLAG_EHLO_REFUSED));
    stop();
}

static void test_weak_signs_alone_are_not_inspection(void)
{
    start(); /* a HELO-only server refuses EHLO and nothing else points at a firewall */
    at(0, S, "220 old.example SMTP\r\n");
    at(0, C, "EHLO c\r\n");
    at(0, S, "502 5.5.2 not implemented\r\n");
    at(0, C, "HELO c\r\n");
    at(0, S, "250 ok\r\n");
    at(0, C, "STARTTLS\r\n");
    at(0, S, "502 5.5.2 not implemented\r\n");
    const smtp_report *r = finish(1, SMTP_END_CAPTURE_END, -1);
    CU_ASSERT(HAS(r, SMTP_FLAG_EHLO_REFUSED));
    CU_ASSERT_FALSE(HAS(r, SMTP_FLAG_SMTP_INSPECTION));
    CU_ASSERT(r->inspection_confidence < 0.65);
    stop();
    start(); /* normal keywords are not masked ones, even with X's in them */
    at(0, S, "220 mx\r\n");
    at(0, C, "EHLO c\r\n");
    at(0, S, "250-mx\r\n250-XEXCH50\r\n250-X-LINK2STATE\r\n250 XX\r\n");
    CU_ASSERT_FALSE(HAS(finish(1, SMTP_END_CAPTURE_END, -1), SMTP_FLAG_ESMTP_MASKED));
    stop();
}

static void feed_repeated(double t, smtp_dir dir, const char *head, char fill, size_t n,
                          const char *tail)
{
    char *buf = malloc(n + 1);
    memset(buf, fill, n);
    buf[n] = '\0';
    at(t, dir, head);
    at(t, dir, buf);
    at(t, dir, tail);
    free(buf);
}

static void test_asa_policy_limits(void)
{
    start();
    at(0, S, "220 mx\r\n");
    feed_repeated(0, C, "EHLO ", 'h', 600, "\r\n"); /* command line 605 > 512 */
    at(0, S, "250 mx\r\n");
    const smtp_report *r = finish(1, SMTP_END_CAPTURE_END, -1);
    CU_ASSERT_EQUAL(r->asa.command_line_max, 605);
    CU_ASSERT(HAS(r, SMTP_FLAG_ASA_POLICY_RISK));
    stop();

    start();
    envelope(0);
    feed_repeated(1, C, "X-Long: ", 'a', 1000, "\r\n\r\nbody\r\n.\r\n"); /* header 1008 */
    at(2, S, "250 ok\r\n");
    r = finish(3, SMTP_END_CAPTURE_END, -1);
    CU_ASSERT_EQUAL(r->asa.header_line_max, 1008);
    CU_ASSERT_EQUAL(r->txns[0].header_line_max, 1008);
    CU_ASSERT(HAS(r, SMTP_FLAG_ASA_POLICY_RISK));
    stop();

    start();
    at(0, S, "220 mx\r\n");
    at(0, C, "HELO c\r\n");
    feed_repeated(0, C, "MAIL FROM:<", 's', 330, "@x>\r\n"); /* sender 334 > 320 */
    for (int i = 0; i < 101; i++)
        at(0, C, "RCPT TO:<b@y>\r\n");
    r = finish(1, SMTP_END_CAPTURE_END, -1);
    CU_ASSERT_EQUAL(r->asa.sender_max, 334);
    CU_ASSERT_EQUAL(r->asa.rcpt_max, 101);
    CU_ASSERT(HAS(r, SMTP_FLAG_ASA_POLICY_RISK));
    stop();

    start(); /* within every limit */
    envelope(0);
    at(1, C, "Subject: short\r\n\r\nbody\r\n.\r\n");
    CU_ASSERT_FALSE(HAS(finish(2, SMTP_END_CAPTURE_END, -1), SMTP_FLAG_ASA_POLICY_RISK));
    stop();
}

/* The digest of one message body sent with the given segmentation and headers. */
static void digest_of(const char *const *segs, uint8_t out[16], int *has)
{
    start();
    envelope(0);
    for (int i = 0; segs[i]; i++)
        at(1, C, segs[i]);
    at(2, S, "250 ok\r\n");
    const smtp_report *r = finish(3, SMTP_END_CAPTURE_END, -1);
    memcpy(out, r->txns[0].digest, 16);
    *has = r->txns[0].has_digest;
    stop();
}

static void test_digest_ignores_headers_and_segmentation(void)
{
    const char *a[] = {"Message-ID: <1@x>\r\nSubject: s\r\n\r\nHello\r\nworld\r\n.\r\n", NULL};
    const char *b[] = {"Message-ID: <2@x>\r\nDate: other\r\n\r\nHel", "lo\r\nworld\r", "\n.",
                       "\r\n", NULL};
    const char *c[] = {"Message-ID: <1@x>\r\n\r\nHello\r\nWorld\r\n.\r\n", NULL};
    const char *d[] = {"Subject: no body\r\n\r\n.\r\n", NULL};
    uint8_t da[16], db[16], dc[16], dd[16];
    int ha, hb, hc, hd;
    digest_of(a, da, &ha);
    digest_of(b, db, &hb);
    digest_of(c, dc, &hc);
    digest_of(d, dd, &hd);
    CU_ASSERT(ha && hb && hc);
    CU_ASSERT_EQUAL(memcmp(da, db, 16), 0); /* new Message-ID, other cuts: same body */
    CU_ASSERT_NOT_EQUAL(memcmp(da, dc, 16), 0);
    CU_ASSERT_FALSE(hd); /* an empty body identifies nothing */
}

static void test_digest_bdat_equals_data(void)
{
    const char *a[] = {"Subject: s\r\n\r\nHello\r\nworld\r\n.\r\n", NULL};
    uint8_t da[16], db[16];
    int ha;
    digest_of(a, da, &ha);
    start();
    at(0, S, "220 mx\r\n");
    at(0, C, "MAIL FROM:<a@x>\r\n");
    at(0, S, "250 ok\r\n");
    at(0, C, "BDAT 21\r\nSubject: s\r\n\r\nHello\r\n");
    at(0, C, "BDAT 7 LAST\r\nworld\r\n");
    at(0, S, "250 ok\r\n250 ok\r\n");
    const smtp_report *r = finish(1, SMTP_END_CAPTURE_END, -1);
    CU_ASSERT(r->txns[0].has_digest);
    memcpy(db, r->txns[0].digest, 16);
    CU_ASSERT_EQUAL(r->txns[0].body_bytes, 14);
    CU_ASSERT_EQUAL(memcmp(da, db, 16), 0);
    stop();
}

/* ---- overloaded servers and size limits ---- */

/* A session whose greeting comes `wait` seconds after the handshake, then QUIT. */
static const smtp_report *greeted_after(double wait, const smtp_options *o)
{
    start();
    if (o)
        smtp_session_configure(sess, o);
    at(wait, S, "220 mx ESMTP\r\n");
    at(wait + 0.1, C, "QUIT\r\n");
    at(wait + 0.2, S, "221 bye\r\n");
    return finish(wait + 0.3, SMTP_END_FIN, S);
}

static void test_slow_banner(void)
{
    const smtp_report *r = greeted_after(35, NULL);
    CU_ASSERT(HAS(r, SMTP_FLAG_SLOW_BANNER));
    CU_ASSERT_EQUAL(r->banner.at.ts - r->start, 35 * SEC); /* the evidence: delay and frames */
    CU_ASSERT_EQUAL(r->start_frame, 1);
    CU_ASSERT_EQUAL(r->banner.at.frame, 2);
    CU_ASSERT_FALSE(HAS(r, SMTP_FLAG_MISSING_QUIT));
    stop();
    r = greeted_after(29, NULL); /* under the default 30 s */
    CU_ASSERT_FALSE(HAS(r, SMTP_FLAG_SLOW_BANNER));
    CU_ASSERT_EQUAL(r->flags, 0);
    stop();
    /* the threshold is an option */
    smtp_options o = {.slow_reply = SMTP_DEFAULT_SLOW_REPLY, .slow_banner = 40};
    r = greeted_after(35, &o);
    CU_ASSERT_FALSE(HAS(r, SMTP_FLAG_SLOW_BANNER));
    stop();
    o.slow_banner = 10;
    r = greeted_after(29, &o);
    CU_ASSERT(HAS(r, SMTP_FLAG_SLOW_BANNER));
    stop();
}

/* No greeting at all: waiting longer than the threshold counts, a short wait does not. */
static void test_no_greeting(void)
{
    start();
    const smtp_report *r = finish(31, SMTP_END_FIN, C);
    CU_ASSERT(HAS(r, SMTP_FLAG_SLOW_BANNER));
    CU_ASSERT_FALSE(r->banner.seen);
    stop();
    start();
    r = finish(10, SMTP_END_FIN, C);
    CU_ASSERT_FALSE(HAS(r, SMTP_FLAG_SLOW_BANNER));
    stop();
}

static void test_busy_421_greeting(void)
{
    start();
    at(0.01, S, "421 4.7.0 mx Error: too many connections from 198.51.100.10\r\n");
    smtp_tcp_fin(sess, S, T0 + SEC / 50, 3);
    const smtp_report *r = finish(0.03, SMTP_END_FIN, S);
    CU_ASSERT(HAS(r, SMTP_FLAG_SERVER_BUSY_421));
    /* the server closes after a 421 itself: the client owes no QUIT */
    CU_ASSERT_FALSE(HAS(r, SMTP_FLAG_MISSING_QUIT));
    CU_ASSERT_FALSE(HAS(r, SMTP_FLAG_SLOW_BANNER));
    CU_ASSERT_EQUAL(r->busy.code, 421);
    CU_ASSERT_EQUAL(r->busy.answered, SMTP_ANSWERED_GREETING);
    CU_ASSERT_STRING_EQUAL(r->busy.text,
                           "421 4.7.0 mx Error: too many connections from 198.51.100.10");
    CU_ASSERT_EQUAL(r->busy.at.frame, 2);
    CU_ASSERT_EQUAL(r->busy_replies, 1);
    stop();
}

static void test_busy_421_reply(void)
{
    start();
    envelope(0);
    at(1, C, "x\r\n");
    at(2, S, "421 4.4.2 mx Error: timeout exceeded\r\n");
    const smtp_report *r = finish(3, SMTP_END_FIN, S);
    CU_ASSERT(HAS(r, SMTP_FLAG_SERVER_BUSY_421));
    CU_ASSERT_FALSE(HAS(r, SMTP_FLAG_MISSING_QUIT));
    CU_ASSERT_EQUAL(r->busy.answered, SMTP_ANSWERED_NOTHING); /* the body was still coming */
    stop();
    /* answering a command; a second 421 is counted, the first kept */
    start();
    at(0, S, "220 mx\r\n");
    at(0.1, C, "EHLO c\r\nMAIL FROM:<a@x>\r\n");
    at(0.2, S, "250 mx\r\n421 4.3.2 Service shutting down\r\n421 again\r\n");
    const smtp_report *r2 = finish(1, SMTP_END_FIN, S);
    CU_ASSERT(HAS(r2, SMTP_FLAG_SERVER_BUSY_421));
    CU_ASSERT_EQUAL(r2->busy.answered, SMTP_VERB_MAIL);
    CU_ASSERT_STRING_EQUAL(r2->busy.text, "421 4.3.2 Service shutting down");
    CU_ASSERT_EQUAL(r2->busy_replies, 2);
    stop();
    /* other temporary refusals are not a 421 */
    start();
    at(0, S, "220 mx\r\n");
    at(0.1, C, "MAIL FROM:<a@x>\r\n");
    at(0.2, S, "451 4.3.0 try later\r\n");
    at(0.3, C, "QUIT\r\n");
    at(0.4, S, "221 bye\r\n");
    const smtp_report *r3 = finish(1, SMTP_END_FIN, S);
    CU_ASSERT_EQUAL(r3->flags, 0);
    stop();
}

/* One transaction: MAIL FROM (mail), then the reply to it, RCPT and its reply; QUIT. */
static const smtp_report *envelope_refused(const char *mail, const char *mail_reply,
                                           const char *rcpt_reply)
{
    start();
    at(0, S, "220 mx\r\n");
    at(0.1, C, mail);
    at(0.2, S, mail_reply);
    at(0.3, C, "RCPT TO:<b@y>\r\n");
    at(0.4, S, rcpt_reply);
    at(0.5, C, "QUIT\r\n");
    at(0.6, S, "221 bye\r\n");
    return finish(1, SMTP_END_FIN, S);
}

static void test_message_too_big(void)
{
    const smtp_report *r =
        envelope_refused("MAIL FROM:<a@x> BODY=8BITMIME SIZE=52428800\r\n",
                         "552 5.3.4 Message size exceeds fixed limit\r\n", "503 no sender\r\n");
    CU_ASSERT(HAS(r, SMTP_FLAG_MESSAGE_TOO_BIG));
    CU_ASSERT(r->txns[0].has_size);
    CU_ASSERT_EQUAL(r->txns[0].size_declared, 52428800);
    CU_ASSERT_EQUAL(r->txns[0].too_big.code, 552);
    CU_ASSERT_EQUAL(r->txns[0].too_big.answered, SMTP_VERB_MAIL);
    stop();
    /* to RCPT, with the older 5.2.3 ("exceeds administrative limit") */
    r = envelope_refused("MAIL FROM:<a@x>\r\n", "250 ok\r\n", "552 5.2.3 too long\r\n");
    CU_ASSERT(HAS(r, SMTP_FLAG_MESSAGE_TOO_BIG));
    CU_ASSERT_FALSE(r->txns[0].has_size);
    CU_ASSERT_EQUAL(r->txns[0].too_big.answered, SMTP_VERB_RCPT);
    stop();
    /* not too big: mailbox full (X.2.2), no such user, a full disk for now */
    const char *not_big[] = {"552 5.2.2 mailbox full\r\n", "550 5.1.1 no such user\r\n",
                             "452 4.3.1 insufficient system storage\r\n"};
    for (size_t i = 0; i < sizeof not_big / sizeof *not_big; i++) {
        r = envelope_refused("MAIL FROM:<a@x> SIZE=100\r\n", "250 ok\r\n", not_big[i]);
        CU_ASSERT_FALSE(HAS(r, SMTP_FLAG_MESSAGE_TOO_BIG));
        CU_ASSERT_EQUAL(r->txns[0].size_declared, 100);
        stop();
    }
}

static void test_message_too_big_at_end_of_data(void)
{
    start();
    envelope(0);
    at(1, C, "Subject: x\r\n\r\nbody\r\n.\r\n");
    at(2, S, "552 Error: message file too big\r\n");
    at(2.1, C, "QUIT\r\n");
    at(2.2, S, "221 bye\r\n");
    const smtp_report *r = finish(3, SMTP_END_FIN, C);
    CU_ASSERT(HAS(r, SMTP_FLAG_MESSAGE_TOO_BIG));
    CU_ASSERT_EQUAL(r->txns[0].too_big.answered, SMTP_VERB_EOD);
    CU_ASSERT_EQUAL(r->txns[0].eod.reply, 552);
    stop();
}

void add_diagnose_suite(void)
{
    CU_pSuite s = CU_add_suite("diagnose", NULL, NULL);
    CU_add_test(s, "slow reply", test_slow_reply);
    CU_add_test(s, "slow banner", test_slow_banner);
    CU_add_test(s, "no greeting", test_no_greeting);
    CU_add_test(s, "421 greeting", test_busy_421_greeting);
    CU_add_test(s, "421 reply", test_busy_421_reply);
    CU_add_test(s, "message too big", test_message_too_big);
    CU_add_test(s, "too big at end of data", test_message_too_big_at_end_of_data);
    CU_add_test(s, "client gave up, late reply", test_client_gave_up_and_late_reply);
    CU_add_test(s, "silent server", test_silent_server);
    CU_add_test(s, "QUIT pipelined before FIN", test_pipelined_quit_then_fin_is_not_giving_up);
    CU_add_test(s, "reset after end of data", test_rst_after_eod);
    CU_add_test(s, "retransmissions", test_retransmitted_terminator_and_reply);
    CU_add_test(s, "zero window during DATA", test_zero_window_only_during_data);
    CU_add_test(s, "Mailguard fingerprints", test_mailguard_fingerprints);
    CU_add_test(s, "ASA fingerprints", test_asa_fingerprints);
    CU_add_test(s, "weak signs alone", test_weak_signs_alone_are_not_inspection);
    CU_add_test(s, "ASA policy limits", test_asa_policy_limits);
    CU_add_test(s, "digest: headers and cuts", test_digest_ignores_headers_and_segmentation);
    CU_add_test(s, "digest: BDAT = DATA", test_digest_bdat_equals_data);
}
