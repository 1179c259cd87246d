/* The diagnostics, settled when a session ends: the flags from what the session recorded. */
#include <stdio.h>

#include "smtp/internal.h"

enum { RST_WINDOW_US = 10 * 1000000 }; /* "right after" end of data */

static int64_t eod_time(const smtp_txn *t)
{
    return t->eod.part[t->eod.nparts - 1].ts;
}

/* Still open at the end of the capture, or dropped from a full table: how the session
 * would have ended is not known, so nothing is concluded from its ending. */
static int end_known(const smtp_report *r)
{
    return r->end_reason != SMTP_END_CAPTURE_END && r->end_reason != SMTP_END_EVICTED;
}

/* The latest transaction whose end of data was seen, or NULL. */
static const smtp_txn *last_eod(const smtp_session *s)
{
    for (unsigned i = s->rep.ntxn; i-- > 0;)
        if (s->txns[i].eod.seen)
            return &s->txns[i];
    return NULL;
}

/* When the client closed (FIN, or the RST/FIN that ended the session), 0 if unknown. */
static int64_t client_close_time(const smtp_report *r)
{
    if (r->tcp.fin_ts[SMTP_CLIENT])
        return r->tcp.fin_ts[SMTP_CLIENT];
    if (r->closed_by == SMTP_CLIENT && end_known(r))
        return r->end;
    return 0;
}

static unsigned reply_flags(const smtp_session *s)
{
    const smtp_report *r = &s->rep;
    unsigned flags = 0;
    int ended = end_known(r);
    for (unsigned i = 0; i < r->ntxn; i++) {
        const smtp_eod *e = &s->txns[i].eod;
        if (!e->seen)
            continue;
        if (ended && e->nparts == 1 && !e->replied)
            flags |= SMTP_FLAG_EOD_NO_REPLY;
        if (e->replied && e->reply_at.ts - eod_time(&s->txns[i]) > s->slow_reply)
            flags |= SMTP_FLAG_SLOW_EOD_REPLY;
    }
    const smtp_txn *t = last_eod(s);
    int64_t closed = client_close_time(r);
    /* a client that pipelined QUIT before its FIN closed on purpose: the replies it still
     * reads are not late (Exim sends BDAT LAST, QUIT and FIN together) */
    if (t && closed && closed >= eod_time(t) && !r->quit) {
        if (!t->eod.replied || t->eod.reply_at.ts > closed)
            flags |= SMTP_FLAG_CLIENT_GAVE_UP;
        if (t->eod.replied && t->eod.reply_at.ts > closed)
            flags |= SMTP_FLAG_REPLY_AFTER_CLOSE;
    }
    if (t && r->end_reason == SMTP_END_RST && !r->quit && r->end - eod_time(t) <= RST_WINDOW_US)
        flags |= SMTP_FLAG_RST_AFTER_EOD;
    return flags;
}

static unsigned inspection_flags(smtp_session *s)
{
    smtp_report *r = &s->rep;
    unsigned flags = 0;
    if (r->prints[SMTP_PRINT_EHLO_REFUSED].seen && r->prints[SMTP_PRINT_HELO_ACCEPTED].seen)
        flags |= SMTP_FLAG_EHLO_REFUSED;
    if (r->prints[SMTP_PRINT_ESMTP_MASKED].seen)
        flags |= SMTP_FLAG_ESMTP_MASKED;
    if (r->prints[SMTP_PRINT_COMMAND_MASKED].seen)
        flags |= SMTP_FLAG_COMMAND_MASKED;
    if (r->prints[SMTP_PRINT_STARTTLS_REFUSED].seen)
        flags |= SMTP_FLAG_STARTTLS_REFUSED;
    r->inspection_confidence = smtp_inspect_confidence(r);
    /* below this, one weak sign (a HELO-only server, a refused STARTTLS) stands alone */
    if (r->inspection_confidence >= 0.65)
        flags |= SMTP_FLAG_SMTP_INSPECTION;
    return flags;
}

static unsigned asa_flags(smtp_session *s)
{
    smtp_asa *a = &s->rep.asa;
    for (unsigned i = 0; i < s->rep.ntxn; i++)
        if (s->txns[i].rcpt_total > a->rcpt_max)
            a->rcpt_max = s->txns[i].rcpt_total;
    if (s->spill && s->spill->rcpt_total > a->rcpt_max)
        a->rcpt_max = s->spill->rcpt_total;
    int risk = a->command_line_max > SMTP_ASA_COMMAND_LINE || a->rcpt_max > SMTP_ASA_RCPT ||
               a->header_line_max > SMTP_ASA_HEADER_LINE || a->sender_max > SMTP_ASA_SENDER;
    return risk ? SMTP_FLAG_ASA_POLICY_RISK : 0;
}

static unsigned split_flag(smtp_session *s)
{
    const smtp_txn *hit = NULL;
    for (unsigned i = 0; i < s->rep.ntxn && !hit; i++)
        if (smtp_eod_split_unacked(&s->txns[i].eod))
            hit = &s->txns[i];
    if (!hit && !s->spill_split_unacked && !(s->spill && smtp_eod_split_unacked(&s->spill->eod)))
        return 0;
    if (hit) {
        char cut[32], line[SMTP_TRANSCRIPT_TEXT];
        smtp_format_cut(&hit->eod, cut, sizeof cut);
        int n = snprintf(line, sizeof line, "end of data split %s, %s", cut,
                         hit->eod.replied ? "refused" : "no reply");
        smtp_inspect_record(&s->rep, SMTP_PRINT_SPLIT_EOD_UNACKED,
                            hit->eod.part[hit->eod.nparts - 1].frame, line, n > 0 ? (size_t)n : 0);
    }
    return SMTP_FLAG_SPLIT_EOD_UNACKED;
}

/* The greeting came later than the threshold after the handshake; or none came, and the
 * session lasted longer than that. */
static unsigned banner_flag(const smtp_session *s)
{
    const smtp_report *r = &s->rep;
    if (r->non_smtp || (!r->banner.seen && (r->implicit_tls || r->snaplen_cut)))
        return 0; /* no greeting was due, or it is encrypted or not in the capture */
    int64_t waited = r->banner.seen ? r->banner.at.ts - r->start : r->end - r->start;
    return waited > s->slow_banner ? SMTP_FLAG_SLOW_BANNER : 0;
}

static unsigned too_big_flag(const smtp_session *s)
{
    for (unsigned i = 0; i < s->rep.ntxn; i++)
        if (s->txns[i].too_big.code)
            return SMTP_FLAG_MESSAGE_TOO_BIG;
    return s->spill_too_big || (s->spill && s->spill->too_big.code) ? SMTP_FLAG_MESSAGE_TOO_BIG : 0;
}

/* Findings that stand on something missing (a QUIT, a reply): after a snaplen cut it may
 * have been sent in bytes the capture does not hold. */
#define UNSEEN_BY_CUT                                                                              \
    (SMTP_FLAG_SPLIT_EOD_UNACKED | SMTP_FLAG_MISSING_QUIT | SMTP_FLAG_EOD_NO_REPLY |               \
     SMTP_FLAG_SLOW_EOD_REPLY | SMTP_FLAG_CLIENT_GAVE_UP | SMTP_FLAG_RST_AFTER_EOD)

unsigned smtp_diagnose(smtp_session *s)
{
    smtp_report *r = &s->rep;
    unsigned flags = split_flag(s);
    /* after a 421 the server closes the connection itself (RFC 5321 §3.8): no QUIT is due */
    if (end_known(r) && !r->quit && !r->tls && !r->non_smtp && !r->busy.code)
        flags |= SMTP_FLAG_MISSING_QUIT;
    r->banner.unterminated = r->banner.masked && !r->banner.done;
    if (r->banner.masked)
        flags |= SMTP_FLAG_MASKED_BANNER;
    flags |= reply_flags(s);
    if (r->tcp.eod_retrans)
        flags |= SMTP_FLAG_EOD_RETRANSMITTED;
    if (r->tcp.reply_retrans)
        flags |= SMTP_FLAG_EOD_REPLY_RETRANSMITTED;
    if (r->tcp.zero_windows)
        flags |= SMTP_FLAG_ZERO_WINDOW_DATA;
    flags |= inspection_flags(s);
    flags |= asa_flags(s);
    flags |= banner_flag(s);
    if (r->busy.code)
        flags |= SMTP_FLAG_SERVER_BUSY_421;
    flags |= too_big_flag(s);
    return r->snaplen_cut ? flags & ~UNSEEN_BY_CUT : flags;
}
