/* report: one finished session as text or as a JSON line, its totals, and the closing
 * summary (see report.h). */
#include "report/report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/escape.h"
#include "report/internal.h"

report *report_new(FILE *out, report_format fmt, int verbose)
{
    report *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->out = out;
    r->fmt = fmt;
    r->verbose = verbose;
    json_init(&r->j);
    r->corr = correlate_new();
    if (r->corr)
        report_set_correlation(r, 0, REPORT_DUP_WINDOW, REPORT_DUP_MEMORY);
    r->rd = redownload_new();
    r->servers = servers_new();
    if (fmt == REPORT_TEXT) {
        r->unseen = calloc(REPORT_UNSEEN_LISTED, sizeof *r->unseen);
        r->connects = calloc(REPORT_CONNECTS_LISTED, sizeof *r->connects);
    }
    if (!r->corr || !r->rd || !r->servers || (fmt == REPORT_TEXT && (!r->unseen || !r->connects))) {
        report_free(r);
        return NULL;
    }
    return r;
}

void report_quiet_sessions(report *r)
{
    r->quiet = 1;
}

void report_free(report *r)
{
    if (!r)
        return;
    json_free(&r->j);
    correlate_free(r->corr);
    redownload_free(r->rd);
    free(r->unseen);
    servers_free(r->servers);
    free(r->connects);
    report_connect_bursts_free(r);
    free(r);
}

int report_error(const report *r)
{
    return r->write_error || ferror(r->out) ? -1 : 0;
}

/* ---- shared helpers ---- */

static const char *side_name(int dir)
{
    return dir == SMTP_CLIENT ? "client" : dir == SMTP_SERVER ? "server" : NULL;
}

static double secs(int64_t usec)
{
    return (double)usec / 1e6;
}

static int eod_acked(const smtp_eod *e)
{
    return e->replied && e->reply >= 200 && e->reply < 300;
}

static void count_session(totals *t, const smtp_report *s)
{
    t->sessions++;
    t->flagged += s->flags != 0;
    t->tls += s->tls && !s->implicit_tls; /* "encrypted after STARTTLS" */
    t->non_smtp += s->non_smtp;
    for (unsigned i = 0; i < SMTP_FLAG_COUNT; i++)
        t->per_flag[i] += (s->flags >> i) & 1;
    for (unsigned i = 0; i < s->ntxn; i++) {
        const smtp_eod *e = &s->txns[i].eod;
        t->messages += s->txns[i].data_reply == 354 || s->txns[i].bdat_chunks > 0;
        t->eod_seen += e->seen;
        t->eod_split += e->seen && e->nparts > 1;
        t->eod_split_acked += e->seen && e->nparts > 1 && eod_acked(e);
        t->eod_unacked += e->seen && !eod_acked(e);
    }
}

/* ---- JSON ---- */

/* A reply code, null when there was none. */
static void json_reply(json *j, const char *key, int code)
{
    json_field_int_or_null(j, key, code > 0, code);
}

static void json_eod(json *j, const smtp_eod *e)
{
    if (!json_key_or_null(j, "eod", e->seen))
        return;
    const smtp_seg_ref *last = &e->part[e->nparts - 1];
    char cut[32];
    smtp_format_cut(e, cut, sizeof cut);
    json_begin_object(j);
    json_field_frame(j, "frame", last->frame);
    json_field_time(j, "time", last->ts);
    json_field_bool(j, "bdat", e->bdat);
    json_field_bool(j, "split", e->nparts > 1);
    json_field_str(j, "cut", e->bdat ? NULL : cut);
    json_field_bool(j, "bare_lf", e->bare_lf);
    json_key(j, "parts");
    json_begin_array(j);
    for (int i = 0; i < e->nparts && !e->bdat; i++) {
        json_begin_object(j);
        json_field_frame(j, "frame", e->part[i].frame);
        json_field_time(j, "time", e->part[i].ts);
        json_field_uint(j, "bytes", e->part_len[i]);
        json_end_object(j);
    }
    json_end_array(j);
    json_reply(j, "reply", e->replied ? e->reply : 0);
    json_field_str(j, "reply_text", e->replied ? e->reply_text : NULL);
    json_field_frame_or_null(j, "reply_frame", e->replied, e->reply_at.frame);
    json_field_seconds_or_null(j, "latency", e->replied, e->reply_at.ts - last->ts);
    json_end_object(j);
}

static void json_txn(json *j, const smtp_txn *t)
{
    json_begin_object(j);
    json_field_str(j, "mail_from", t->mail_from);
    json_reply(j, "mail_reply", t->mail_reply);
    json_field_uint_or_null(j, "size_declared", t->has_size, t->size_declared);
    json_key(j, "rcpt");
    json_begin_array(j);
    for (unsigned i = 0; i < t->nrcpt; i++)
        json_str(j, t->rcpt[i]);
    json_end_array(j);
    json_key(j, "rcpt_replies");
    json_begin_array(j);
    for (unsigned i = 0; i < t->nrcpt; i++)
        t->rcpt_reply[i] ? json_int(j, t->rcpt_reply[i]) : json_null(j);
    json_end_array(j);
    json_field_uint(j, "rcpt_total", t->rcpt_total);
    json_field_str(j, "message_id", t->message_id);
    json_reply(j, "data_reply", t->data_reply);
    json_field_uint(j, "bdat_chunks", t->bdat_chunks);
    json_field_uint(j, "bytes", t->bytes);
    json_field_uint(j, "body_bytes", t->body_bytes);
    char hex[33];
    correlate_digest_hex(t->digest, hex);
    json_field_str(j, "digest", t->has_digest ? hex : NULL);
    json_field_uint(j, "header_line_max", t->header_line_max);
    json_eod(j, &t->eod);
    json_end_object(j);
}

static void json_banner(json *j, const smtp_banner *b)
{
    if (!json_key_or_null(j, "banner", b->seen))
        return;
    json_begin_object(j);
    json_field_str(j, "text", b->text);
    json_reply(j, "code", b->done ? b->code : 0);
    json_field_uint(j, "lines", b->lines);
    json_field_bool(j, "masked", b->masked);
    json_field_uint(j, "masked_lines", (uint64_t)b->masked_lines);
    json_field_bool(j, "unterminated", b->unterminated);
    json_field_frame(j, "frame", b->at.frame);
    json_end_object(j);
}

static void json_split_evidence(json *j, const smtp_report *s)
{
    json_key(j, "split_eod_unacked");
    json_begin_array(j);
    for (unsigned i = 0; i < s->ntxn; i++) {
        const smtp_eod *e = &s->txns[i].eod;
        if (!smtp_eod_split_unacked(e))
            continue;
        char cut[32];
        smtp_format_cut(e, cut, sizeof cut);
        json_begin_object(j);
        json_field_uint(j, "transaction", i);
        json_field_str(j, "cut", cut);
        json_key(j, "frames");
        json_begin_array(j);
        for (int k = 0; k < e->nparts; k++)
            json_frame(j, e->part[k].frame);
        json_end_array(j);
        json_field_seconds(j, "waited", s->end - e->part[e->nparts - 1].ts);
        json_reply(j, "reply", e->replied ? e->reply : 0);
        json_field_str(j, "end_reason", flow_end_name(s->end_reason));
        json_end_object(j);
    }
    json_end_array(j);
}

/* The greeting's delay after the handshake; without a greeting, how long the session went
 * without one. */
static int64_t greeting_delay(const smtp_report *s)
{
    return (s->banner.seen ? s->banner.at.ts : s->end) - s->start;
}

static void json_slow_banner_evidence(json *j, const smtp_report *s)
{
    json_key(j, "slow_banner");
    json_begin_object(j);
    json_field_seconds(j, "delay", greeting_delay(s));
    json_field_frame(j, "handshake_frame", s->start_frame);
    json_field_frame_or_null(j, "greeting_frame", s->banner.seen, s->banner.at.frame);
    json_end_object(j);
}

static void json_busy_evidence(json *j, const smtp_report *s)
{
    json_key(j, "server_busy_421");
    json_begin_object(j);
    json_field_str(j, "line", s->busy.text);
    json_field_frame(j, "frame", s->busy.at.frame);
    json_field_str(j, "answered", smtp_answered_name(s->busy.answered));
    json_field_uint(j, "replies", s->busy_replies);
    json_end_object(j);
}

/* The message's octets as sent, when it was sent whole. */
static int sent_whole(const smtp_txn *t)
{
    return t->eod.seen;
}

static void json_too_big_evidence(json *j, const smtp_report *s)
{
    json_key(j, "message_too_big");
    json_begin_array(j);
    for (unsigned i = 0; i < s->ntxn; i++) {
        const smtp_txn *t = &s->txns[i];
        if (!t->too_big.code)
            continue;
        json_begin_object(j);
        json_field_uint(j, "transaction", i);
        json_reply(j, "reply", t->too_big.code);
        json_field_str(j, "line", t->too_big.text);
        json_field_frame(j, "frame", t->too_big.at.frame);
        json_field_str(j, "answered", smtp_answered_name(t->too_big.answered));
        json_field_uint_or_null(j, "size_declared", t->has_size, t->size_declared);
        json_field_uint_or_null(j, "bytes", sent_whole(t), t->bytes);
        json_end_object(j);
    }
    json_end_array(j);
}

static void json_evidence(json *j, const smtp_report *s)
{
    json_key(j, "evidence");
    json_begin_object(j);
    if (s->flags & SMTP_FLAG_SPLIT_EOD_UNACKED)
        json_split_evidence(j, s);
    if (s->flags & SMTP_FLAG_MISSING_QUIT) {
        json_key(j, "missing_quit");
        json_begin_object(j);
        json_field_str(j, "end_reason", flow_end_name(s->end_reason));
        json_field_str(j, "closed_by", side_name(s->closed_by));
        json_field_frame_or_null(j, "frame", s->end_frame != 0, s->end_frame);
        json_field_uint(j, "commands", s->count.commands);
        json_end_object(j);
    }
    if (s->flags & SMTP_FLAG_MASKED_BANNER) {
        json_key(j, "masked_banner");
        json_begin_object(j);
        json_field_str(j, "line", s->banner.text);
        json_field_frame(j, "frame", s->banner.at.frame);
        json_field_bool(j, "unterminated", s->banner.unterminated);
        json_end_object(j);
    }
    if (s->flags & SMTP_FLAG_SLOW_BANNER)
        json_slow_banner_evidence(j, s);
    if (s->flags & SMTP_FLAG_SERVER_BUSY_421)
        json_busy_evidence(j, s);
    if (s->flags & SMTP_FLAG_MESSAGE_TOO_BIG)
        json_too_big_evidence(j, s);
    json_end_object(j);
}

static void json_inspection(json *j, const smtp_report *s)
{
    json_key(j, "inspection");
    json_begin_object(j);
    report_json_decimal(j, "confidence", s->inspection_confidence);
    json_field_str(j, "level", confidence_level(s->inspection_confidence));
    json_key(j, "fingerprints");
    json_begin_array(j);
    for (unsigned i = 0; i < SMTP_PRINT_COUNT; i++) {
        const smtp_print *p = &s->prints[i];
        if (!p->seen)
            continue;
        json_begin_object(j);
        json_field_str(j, "name", smtp_print_name(i));
        json_field_frame(j, "frame", p->frame);
        json_field_str(j, "line", p->line);
        json_end_object(j);
    }
    json_end_array(j);
    json_end_object(j);
}

static void json_tcp(json *j, const smtp_tcp *t)
{
    json_key(j, "tcp");
    json_begin_object(j);
    json_field_time_or_null(j, "client_fin", t->fin_ts[SMTP_CLIENT] != 0, t->fin_ts[SMTP_CLIENT]);
    json_field_time_or_null(j, "server_fin", t->fin_ts[SMTP_SERVER] != 0, t->fin_ts[SMTP_SERVER]);
    json_field_uint(j, "client_retransmissions", t->retrans[SMTP_CLIENT]);
    json_field_uint(j, "server_retransmissions", t->retrans[SMTP_SERVER]);
    json_field_uint(j, "eod_retransmissions", t->eod_retrans);
    json_field_frame_or_null(j, "eod_retransmission_frame", t->eod_retrans != 0,
                             t->eod_retrans_frame);
    json_field_uint(j, "reply_retransmissions", t->reply_retrans);
    json_field_frame_or_null(j, "reply_retransmission_frame", t->reply_retrans != 0,
                             t->reply_retrans_frame);
    json_field_uint(j, "zero_windows_in_data", t->zero_windows);
    json_field_frame_or_null(j, "zero_window_frame", t->zero_windows != 0, t->zero_window_frame);
    json_end_object(j);
}

static void json_asa(json *j, const smtp_asa *a)
{
    json_key(j, "asa");
    json_begin_object(j);
    json_field_uint(j, "command_line_max", a->command_line_max);
    json_field_frame_or_null(j, "command_line_frame", a->command_line_max != 0,
                             a->command_line_frame);
    json_field_uint(j, "rcpt_max", a->rcpt_max);
    json_field_uint(j, "header_line_max", a->header_line_max);
    json_field_frame_or_null(j, "header_line_frame", a->header_line_max != 0, a->header_line_frame);
    json_field_uint(j, "sender_max", a->sender_max);
    json_end_object(j);
}

static void json_causes(json *j, const smtp_report *s)
{
    cause c[CAUSE_COUNT];
    unsigned n = correlate_rank_session(s, c);
    report_causes_json(j, c, n);
}

static void json_counts(json *j, const smtp_counters *c)
{
    json_key(j, "counts");
    json_begin_object(j);
    json_field_uint(j, "client_bytes", c->client_bytes);
    json_field_uint(j, "server_bytes", c->server_bytes);
    json_field_uint(j, "commands", c->commands);
    json_field_uint(j, "replies", c->replies);
    json_field_uint(j, "unpaired_replies", c->unpaired_replies);
    json_field_uint(j, "long_lines", c->long_lines);
    json_field_uint(j, "bad_lines", c->bad_lines);
    json_field_uint(j, "transactions_not_kept", c->txn_overflow);
    json_end_object(j);
}

static void json_session(report *r, uint64_t id, const char *client, const char *server,
                         const smtp_report *s)
{
    json *j = &r->j;
    json_begin_object(j);
    json_field_str(j, "type", "session");
    json_field_uint(j, "id", id);
    json_field_str(j, "client", client);
    json_field_str(j, "server", server);
    json_field_str(j, "display_filter", r->display_filter[0] ? r->display_filter : NULL);
    json_field_time(j, "start", s->start);
    json_field_time(j, "end", s->end);
    json_field_str(j, "end_reason", flow_end_name(s->end_reason));
    json_field_str(j, "closed_by", side_name(s->closed_by));
    json_field_bool(j, "tls", s->tls);
    json_field_bool(j, "starttls", s->starttls);
    json_field_bool(j, "non_smtp", s->non_smtp);
    report_limits_session_json(j, s->snaplen_cut, s->implicit_tls);
    report_json_flag_list(j, s->flags, SMTP_FLAG_COUNT, smtp_flag_name);
    json_banner(j, &s->banner);
    json_field_str(j, "helo", s->helo[0] ? s->helo : NULL);
    json_reply(j, "ehlo_reply", s->ehlo_reply);
    json_field_bool(j, "quit", s->quit);
    json_reply(j, "quit_reply", s->quit_reply);
    json_key(j, "transactions");
    json_begin_array(j);
    for (unsigned i = 0; i < s->ntxn; i++)
        json_txn(j, &s->txns[i]);
    json_end_array(j);
    json_evidence(j, s);
    json_causes(j, s);
    json_inspection(j, s);
    json_tcp(j, &s->tcp);
    json_asa(j, &s->asa);
    json_counts(j, &s->count);
    json_end_object(j);
    report_json_session_line(r);
}

/* ---- text ---- */

static void text_line(report *r, const smtp_report *s, const smtp_tline *t)
{
    report_transcript_line(r->out, t->frame, t->ts - s->start, t->dir, t->text);
}

static void text_transcript(report *r, const smtp_report *s)
{
    fprintf(r->out, "  transcript:     frame     time\n");
    for (unsigned i = 0; i < s->nhead; i++)
        text_line(r, s, &s->head[i]);
    if (s->dropped_lines)
        fprintf(r->out, "    ... %u lines not kept ...\n", s->dropped_lines);
    for (unsigned i = 0; i < s->ntail; i++)
        text_line(r, s, smtp_tail_line(s, i));
}

static void text_eod(report *r, const smtp_report *s, const smtp_txn *t)
{
    const smtp_eod *e = &t->eod;
    if (!e->seen) {
        fprintf(r->out, "    no end of data seen\n");
        return;
    }
    if (e->nparts > 1 && !e->bdat) {
        char cut[32];
        smtp_format_cut(e, cut, sizeof cut);
        fprintf(r->out, "    end of data split %s over %d segments:", cut, e->nparts);
        for (int i = 0; i < e->nparts; i++)
            fprintf(r->out, "%s frame %s (%+.3f s, %u bytes)", i ? "," : "",
                    report_frame_ref(e->part[i].frame).s, secs(e->part[i].ts - s->start),
                    e->part_len[i]);
        fputc('\n', r->out);
    } else {
        fprintf(r->out, "    end of data in frame %s%s\n", report_frame_ref(e->part[0].frame).s,
                e->bdat ? " (BDAT LAST)" : "");
    }
    const smtp_seg_ref *last = &e->part[e->nparts - 1];
    if (e->replied) {
        char clean[SMTP_TRANSCRIPT_TEXT * 4 + 1];
        escape_str(clean, sizeof clean, e->reply_text);
        fprintf(r->out, "    reply after %.3f s in frame %s: %s\n", secs(e->reply_at.ts - last->ts),
                report_frame_ref(e->reply_at.frame).s, clean);
    } else {
        fprintf(r->out,
                "    no reply to end of data: the client waited %.3f s, then the "
                "connection ended (%s)\n",
                secs(s->end - last->ts), flow_end_name(s->end_reason));
    }
}

/* "552 5.3.4 ... to MAIL in frame 12; SIZE=52428800 declared, not sent" */
static void text_too_big(report *r, const smtp_txn *t)
{
    const smtp_reply_ref *b = &t->too_big;
    const char *what = smtp_answered_name(b->answered);
    char clean[SMTP_TRANSCRIPT_TEXT * 4 + 1];
    escape_str(clean, sizeof clean, b->text);
    fprintf(r->out, "    too big: %s to %s in frame %s; ", clean, what ? what : "?",
            report_frame_ref(b->at.frame).s);
    if (t->has_size)
        fprintf(r->out, "SIZE=%" PRIu64 " declared, ", t->size_declared);
    else
        fprintf(r->out, "no SIZE= declared, ");
    if (sent_whole(t))
        fprintf(r->out, "%" PRIu64 " bytes sent\n", t->bytes);
    else
        fprintf(r->out, "not sent\n");
}

static void text_txn(report *r, const smtp_report *s, unsigned i)
{
    const smtp_txn *t = &s->txns[i];
    char from[SMTP_TEXT_MAX * 4], to[SMTP_TEXT_MAX * 4], mid[SMTP_TEXT_MAX * 4];
    escape_str(from, sizeof from, t->mail_from ? t->mail_from : "-");
    escape_str(to, sizeof to, t->nrcpt ? t->rcpt[0] : "-");
    escape_str(mid, sizeof mid, t->message_id ? t->message_id : "-");
    fprintf(r->out, "  message %u: %s from %s to %s%s, %" PRIu64 " bytes\n", i + 1, mid, from, to,
            t->rcpt_total > 1 ? " (and others)" : "", t->bytes);
    if (t->data_reply && t->data_reply != 354 && !t->bdat_chunks)
        fprintf(r->out, "    DATA refused with %d\n", t->data_reply);
    else if (t->data_reply || t->bdat_chunks)
        text_eod(r, s, t);
    if (t->too_big.code)
        text_too_big(r, t);
}

static void text_fingerprints(report *r, const smtp_report *s)
{
    if (s->inspection_confidence <= 0.0)
        return;
    fprintf(r->out, "  SMTP inspection in the path: confidence %.2f (%s)\n",
            s->inspection_confidence, confidence_level(s->inspection_confidence));
    for (unsigned i = 0; i < SMTP_PRINT_COUNT; i++) {
        const smtp_print *p = &s->prints[i];
        if (!p->seen)
            continue;
        char clean[SMTP_TRANSCRIPT_TEXT * 4 + 1];
        escape_str(clean, sizeof clean, p->line);
        fprintf(r->out, "    %-18s frame %-8s %s\n", smtp_print_name(i),
                report_frame_ref(p->frame).s, clean);
    }
}

static void text_causes(report *r, const smtp_report *s)
{
    cause c[CAUSE_COUNT];
    unsigned n = correlate_rank_session(s, c);
    if (n)
        report_causes_text(r->out, n > 1 ? "  likely causes, best first:" : "  likely cause:", c,
                           n);
}

/* The greeting's delay (slow_banner) and the first 421 (server_busy_421), under the banner. */
static void text_greeting_evidence(report *r, const smtp_report *s)
{
    if (s->flags & SMTP_FLAG_SLOW_BANNER) {
        if (s->banner.seen)
            fprintf(r->out,
                    "  greeting after %.3f s (handshake frame %s, greeting frame %s"
                    ")\n",
                    secs(greeting_delay(s)), report_frame_ref(s->start_frame).s,
                    report_frame_ref(s->banner.at.frame).s);
        else
            fprintf(r->out,
                    "  no greeting in %.3f s after the handshake (frame %s"
                    "), then the session ended (%s)\n",
                    secs(greeting_delay(s)), report_frame_ref(s->start_frame).s,
                    flow_end_name(s->end_reason));
    }
    if (s->flags & SMTP_FLAG_SERVER_BUSY_421) {
        char clean[SMTP_TRANSCRIPT_TEXT * 4 + 1];
        const char *answered = smtp_answered_name(s->busy.answered);
        escape_str(clean, sizeof clean, s->busy.text);
        fprintf(r->out, "  server busy: %s %s%s in frame %s", clean,
                s->busy.answered == SMTP_ANSWERED_GREETING ? "as the "
                : answered                                 ? "answering "
                                                           : "",
                answered ? answered : "with no command waiting",
                report_frame_ref(s->busy.at.frame).s);
        if (s->busy_replies > 1)
            fprintf(r->out, " (%u 421 replies in all)", s->busy_replies);
        fputc('\n', r->out);
    }
}

/* full: the transcript and details even when nothing was flagged (the TUI's detail pane). */
static void text_session(report *r, uint64_t id, const char *client, const char *server,
                         const smtp_report *s, int full)
{
    char start[40];
    report_format_time(start, sizeof start, s->start);
    fprintf(r->out, "session %" PRIu64 "  %s -> %s  %s UTC  %.3f s  ended: %s%s%s\n", id, client,
            server, start, secs(s->end - s->start), flow_end_name(s->end_reason),
            s->closed_by >= 0 ? " by " : "", s->closed_by >= 0 ? side_name(s->closed_by) : "");
    report_session_sensor_text(r);
    report_display_filter_text(r);
    if (s->tls && !s->implicit_tls && (!s->flags || full))
        fprintf(r->out, "  (encrypted after STARTTLS)\n");
    report_limits_session_text(r, "SMTP", s->snaplen_cut, s->snaplen_cut_frame, s->implicit_tls);
    if (!s->flags && !full)
        return;
    fprintf(r->out, "  flags:%s", s->flags ? "" : " none");
    for (unsigned i = 0; i < SMTP_FLAG_COUNT; i++)
        if (s->flags & (1u << i))
            fprintf(r->out, " %s", smtp_flag_name(i));
    fputc('\n', r->out);
    if (s->banner.seen) {
        char clean[SMTP_TEXT_MAX * 4];
        escape_str(clean, sizeof clean, s->banner.text);
        fprintf(r->out, "  banner: %s%s%s\n", clean, s->banner.masked ? "  [masked]" : "",
                s->banner.unterminated ? " [never ended]" : "");
    }
    text_greeting_evidence(r, s);
    for (unsigned i = 0; i < s->ntxn; i++)
        text_txn(r, s, i);
    text_fingerprints(r, s);
    text_transcript(r, s);
    for (unsigned i = 0; i < SMTP_FLAG_COUNT; i++)
        if (s->flags & (1u << i))
            report_advice(r->out, smtp_flag_name(i), smtp_flag(i)->info.advice);
    text_causes(r, s);
    fputc('\n', r->out);
}

void report_session(report *r, uint64_t id, const char *client, const char *server,
                    const smtp_report *s)
{
    count_session(&r->t, s);
    report_limits_count(r, PROTO_SMTP, s->snaplen_cut, s->implicit_tls);
    correlate_session(r->corr, id, client, server, s);
    correlate_client(r->corr, client, s);
    report_stream_session(r);
    servers_session(r->servers, server, s);
    report_html_session(r, id, client, server, s);
    if (r->quiet)
        return;
    if (r->fmt == REPORT_JSON)
        json_session(r, id, client, server, s);
    else if (s->flags || r->verbose || s->snaplen_cut)
        text_session(r, id, client, server, s, 0);
}

void report_flow(report *r, const flow_report *f)
{
    report_fill_display_filter(r, f);
    switch (f->proto) {
    case PROTO_SMTP:
        report_session(r, f->id, f->client, f->server, f->report);
        break;
    case PROTO_POP3:
        report_pop3_session(r, f);
        break;
    default:
        break;
    }
    r->display_filter[0] = '\0'; /* report_session may be called alone next */
}

void report_flow_text(FILE *out, const flow_report *f)
{
    switch (f->proto) {
    case PROTO_SMTP: {
        report tmp = {.out = out, .fmt = REPORT_TEXT, .verbose = 1};
        report_fill_display_filter(&tmp, f);
        text_session(&tmp, f->id, f->client, f->server, f->report, 1);
        break;
    }
    case PROTO_POP3:
        report_pop3_session_text(out, f);
        break;
    default:
        break;
    }
}

void report_session_text(FILE *out, uint64_t id, const char *client, const char *server,
                         const smtp_report *s)
{
    report tmp = {.out = out, .fmt = REPORT_TEXT, .verbose = 1};
    text_session(&tmp, id, client, server, s, 1);
}

/* ---- summary ---- */

static void json_summary(report *r, const capture_summary *c)
{
    json *j = &r->j;
    const totals *t = &r->t;
    json_begin_object(j);
    json_field_str(j, "type", "summary");
    json_field_str(j, "source", c->source);
    json_field_str(j, "compression", c->compression);
    json_field_uint(j, "packets", c->frames);
    json_field_uint(j, "packets_matched", c->matched);
    json_field_uint(j, "bytes", c->bytes);
    json_field_time_or_null(j, "first", c->frames != 0, c->first);
    json_field_time_or_null(j, "last", c->frames != 0, c->last);
    json_field_uint(j, "sessions", t->sessions);
    json_field_uint(j, "flagged", t->flagged);
    report_json_flag_counts(j, t->per_flag, SMTP_FLAG_COUNT, smtp_flag_name);
    json_field_uint(j, "tls_sessions", t->tls);
    json_field_uint(j, "non_smtp_sessions", t->non_smtp);
    json_field_uint(j, "not_analysed", r->not_analysed);
    json_field_uint(j, "connect_failed", r->connects_failed);
    json_field_uint(j, "servers", servers_count(r->servers));
    json_field_uint(j, "servers_over_limit", servers_over_limit(r->servers));
    json_field_uint(j, "messages", t->messages);
    json_key(j, "eod");
    json_begin_object(j);
    json_field_uint(j, "seen", t->eod_seen);
    json_field_uint(j, "split", t->eod_split);
    json_field_uint(j, "split_acknowledged", t->eod_split_acked);
    json_field_uint(j, "unacknowledged", t->eod_unacked);
    json_end_object(j);
    json_key(j, "reassembly");
    json_begin_object(j);
    json_field_uint(j, "evicted", c->streams_evicted);
    json_field_uint(j, "idle_expired", c->idle_expired);
    json_field_uint(j, "ip_warnings", c->warn_ip);
    json_field_uint(j, "tcp_warnings", c->warn_tcp);
    json_field_uint(j, "connect_evicted", c->connect_evicted);
    json_end_object(j);
    if (json_key_or_null(j, "dropped", c->live)) {
        json_begin_object(j);
        json_field_uint(j, "kernel", c->drops);
        json_field_uint(j, "interface", c->if_drops);
        json_end_object(j);
    }
    json_field_str(j, "read_error", c->read_error);
    report_limits_summary_json(r, c);
    report_correlation_json(r);
    report_pop3_summary_json(r);
    json_end_object(j);
    report_json_line(r);
}

static void text_summary(report *r, const capture_summary *c)
{
    const totals *t = &r->t;
    char first[40] = "-", last[40] = "-", src[512];
    if (c->frames) {
        report_format_time(first, sizeof first, c->first);
        report_format_time(last, sizeof last, c->last);
    }
    escape_str(src, sizeof src, c->source);
    if (c->compression)
        fprintf(r->out, "Summary of %s (%s-compressed)\n", src, c->compression);
    else
        fprintf(r->out, "Summary of %s\n", src);
    fprintf(r->out, "  packets   %" PRIu64 " (%" PRIu64 " matched the filter), %" PRIu64 " bytes\n",
            c->frames, c->matched, c->bytes);
    fprintf(r->out, "  time      %s to %s UTC (%.3f s)\n", first, last,
            c->frames ? secs(c->last - c->first) : 0.0);
    fprintf(r->out,
            "  sessions  %" PRIu64 " SMTP, %" PRIu64 " flagged, %" PRIu64
            " encrypted after STARTTLS, %" PRIu64 " not SMTP\n",
            t->sessions, t->flagged, t->tls, t->non_smtp);
    if (r->not_analysed)
        fprintf(r->out,
                "  not analysed  %" PRIu64 " connection%s without a handshake (listed above)\n",
                r->not_analysed, r->not_analysed == 1 ? "" : "s");
    fprintf(r->out,
            "  messages  %" PRIu64 ": end of data seen %" PRIu64 ", split %" PRIu64 " (%" PRIu64
            " acknowledged), not acknowledged %" PRIu64 "\n",
            t->messages, t->eod_seen, t->eod_split, t->eod_split_acked, t->eod_unacked);
    /* the three core flags always, the others when they occurred */
    for (unsigned i = 0; i < SMTP_FLAG_COUNT; i++)
        if (i < 3 || t->per_flag[i])
            fprintf(r->out, "  %-23s %" PRIu64 " session%s\n", smtp_flag_name(i), t->per_flag[i],
                    t->per_flag[i] == 1 ? "" : "s");
    report_pop3_summary_text(r);
    report_limits_summary_text(r, c);
    if (c->streams_evicted || c->idle_expired)
        fprintf(r->out,
                "  reassembly: %" PRIu64 " sessions evicted (table full), %" PRIu64
                " idle timeouts\n",
                c->streams_evicted, c->idle_expired);
    if (r->connects_failed)
        fprintf(r->out, "  connects  %" PRIu64 " attempts failed (listed above)\n",
                r->connects_failed);
    if (c->connect_evicted)
        fprintf(r->out,
                "  connects  %" PRIu64
                " attempts dropped unsettled from a full table (more than 65536 waiting)\n",
                c->connect_evicted);
    report_correlation_text(r);
    if (c->warn_ip || c->warn_tcp)
        fprintf(r->out,
                "  warnings  %" PRIu64 " about IP headers or fragments, %" PRIu64
                " about TCP: packets the reassembly refused as damaged or crafted\n",
                c->warn_ip, c->warn_tcp);
    if (c->live)
        fprintf(r->out,
                "  dropped   %" PRIu64 " packets by the kernel, %" PRIu64 " by the interface%s\n",
                c->drops, c->if_drops,
                c->drops || c->if_drops ? ": sessions may look broken that were not (raise -B)"
                                        : "");
    if (c->read_error)
        fprintf(r->out, "  WARNING: the capture is damaged; analysis stopped early: %s\n",
                c->read_error);
}

void report_summary(report *r, const capture_summary *cap)
{
    correlate_finish(r->corr, r->servers);
    report_stream_finish(r);
    report_redownload_finish(r);
    if (r->fmt == REPORT_JSON) {
        report_servers_json(r);
        report_findings_json(r);
        report_redownload_json(r);
        json_summary(r, cap);
    } else {
        report_unseen_text(r);
        report_connects_text(r);
        report_servers_text(r);
        report_findings_text(r);
        report_redownload_text(r);
        text_summary(r, cap);
        report_findings_triage(r);
        report_redownload_triage(r);
        report_servers_triage(r);
    }
    if (fflush(r->out) != 0)
        r->write_error = 1;
}
