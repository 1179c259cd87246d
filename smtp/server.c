/* The server's bytes: the greeting, then replies (multi-line ones gathered), each paired with
 * the command it answers, in order (RFC 2920 pipelining). */
#include <stdio.h>
#include <string.h>

#include "smtp/banner.h"
#include "smtp/internal.h"

/* Keeps the reply as evidence in *ref unless one is kept there already. */
static void keep_reply(smtp_reply_ref *ref, int code, int answered, smtp_seg_ref at,
                       const char *text, size_t len)
{
    if (ref->code)
        return;
    ref->code = code;
    ref->answered = answered;
    ref->at = at;
    smtp_copy_text(ref->text, sizeof ref->text, text, len);
}

/* 421: the service is not available and the server closes (RFC 5321 §3.8). */
static void note_busy(smtp_session *s, int code, int answered, smtp_seg_ref at, const char *text,
                      size_t len)
{
    if (code != 421)
        return;
    s->rep.busy_replies++;
    keep_reply(&s->rep.busy, code, answered, at, text, len);
}

static void finish_greeting(smtp_session *s, int code)
{
    smtp_banner *b = &s->rep.banner;
    b->done = 1;
    b->code = code;
    note_busy(s, code, SMTP_ANSWERED_GREETING, b->at, b->text, strlen(b->text));
}

/* A line before the greeting ended: kept, judged for masking, told to the observer. */
static void greeting_line(smtp_session *s, const char *line, size_t len, int code, int more)
{
    smtp_banner *b = &s->rep.banner;
    int first = !b->seen;
    if (first) {
        b->seen = 1;
        b->at = s->now.ref;
        smtp_copy_text(b->text, sizeof b->text, line, len);
    }
    b->lines++;
    smtp_note_line(s, SMTP_SERVER, s->now.ref, line, len);
    if (smtp_banner_classify(line, len) != BANNER_NORMAL) {
        if (!b->masked) {
            smtp_inspect_record(&s->rep, SMTP_PRINT_MASKED_BANNER, s->now.ref.frame, line, len);
            smtp_notify(s, (smtp_event){.kind = SMTP_EV_GREETING, .code = code, .masked = 1});
        }
        b->masked = 1;
        b->masked_lines++;
    } else if (code < 0) {
        s->rep.count.bad_lines++;
    } else if (first) {
        smtp_notify(s, (smtp_event){.kind = SMTP_EV_GREETING, .code = code});
    }
    if (code >= 0 && !more)
        finish_greeting(s, code);
}

/* DATA answered: 354 opens the body, anything else goes back to commands. */
static void reply_to_data(smtp_session *s, smtp_txn *t, int code)
{
    if (t)
        t->data_reply = code;
    if (s->cm != CM_HOLD)
        return;
    if (code == 354) {
        smtp_start_body(s);
    } else {
        s->cm = CM_COMMAND;
        smtp_linebuf_reset(&s->cl);
    }
    smtp_hold_replay(s);
}

/* The reply to a terminator or to BDAT ... LAST: the message is answered, its transaction over. */
static void reply_to_eod(smtp_session *s, int txn, int code, const char *text, size_t len)
{
    smtp_txn *t = smtp_txn_at(s, txn);
    if (s->cur == txn)
        s->cur = NO_TXN;
    if (!t)
        return;
    t->eod.replied = 1;
    t->eod.reply = code;
    t->eod.reply_at = s->now.ref;
    t->reply_off = s->ml_start;
    t->reply_end = s->line_end;
    smtp_copy_text(t->eod.reply_text, sizeof t->eod.reply_text, text, len);
    if (t->eod.seen && t->eod.part[0].ts)
        smtp_note_event(s, "reply to end of data after %.3f s",
                        (double)(s->now.ref.ts - t->eod.part[t->eod.nparts - 1].ts) / 1e6);
}

static void reply_to_starttls(smtp_session *s, int code)
{
    if (code != 220)
        return;
    s->rep.starttls = 1;
    s->cm = CM_TLS_PROBE;
    s->sm = SM_TLS_PROBE;
    smtp_linebuf_reset(&s->cl);
    smtp_linebuf_reset(&s->sl);
}

/* A refusal of the message as too big, to a command of its transaction (MAIL FROM with SIZE=,
 * RCPT, DATA, a BDAT chunk) or to its end: kept with the transaction. */
static void note_too_big(smtp_session *s, smtp_txn *t, smtp_verb answered, int code,
                         const char *text, size_t len)
{
    int to_message = answered == SMTP_VERB_MAIL || answered == SMTP_VERB_RCPT ||
                     answered == SMTP_VERB_DATA || answered == SMTP_VERB_BDAT ||
                     answered == SMTP_VERB_EOD;
    if (t && to_message && smtp_reply_too_big(code, text, len))
        keep_reply(&t->too_big, code, (int)answered, s->ml_at, text, len);
}

/* What the reply to cmd records. */
static void record_reply(smtp_session *s, const pending *cmd, int code, const char *text,
                         size_t len)
{
    smtp_txn *t = smtp_txn_at(s, cmd->txn);
    switch (cmd->verb) {
    case SMTP_VERB_EHLO:
        s->rep.ehlo_reply = code;
        break;
    case SMTP_VERB_MAIL:
        if (t)
            t->mail_reply = code;
        break;
    case SMTP_VERB_RCPT:
        if (t && cmd->rcpt < t->nrcpt)
            t->rcpt_reply[cmd->rcpt] = code;
        break;
    case SMTP_VERB_DATA:
        reply_to_data(s, t, code);
        break;
    case SMTP_VERB_EOD:
        reply_to_eod(s, cmd->txn, code, text, len);
        break;
    case SMTP_VERB_BDAT:
        if (cmd->last)
            reply_to_eod(s, cmd->txn, code, text, len);
        break;
    case SMTP_VERB_QUIT:
        s->rep.quit_reply = code;
        break;
    case SMTP_VERB_STARTTLS:
        reply_to_starttls(s, code);
        break;
    default:
        break;
    }
}

/* A complete reply answers the oldest command waiting (a 334 only continues AUTH). */
static void dispatch_reply(smtp_session *s, int code, const char *text, size_t len)
{
    pending *p = smtp_queue_head(s);
    if (!p) {
        s->rep.count.unpaired_replies++;
        note_busy(s, code, SMTP_ANSWERED_NOTHING, s->ml_at, text, len);
        return;
    }
    if (code == 334 && p->verb == SMTP_VERB_AUTH) {
        s->cm = s->cm == CM_COMMAND ? CM_AUTH_LINE : s->cm; /* AUTH waits for its last reply */
        return;
    }
    pending cmd = *p;
    smtp_dequeue(s);
    /* The reply to BDAT ... LAST answers the whole message, as the one to a terminator. */
    smtp_verb answered =
        cmd.verb == SMTP_VERB_BDAT && cmd.last ? SMTP_VERB_EOD : (smtp_verb)cmd.verb;
    smtp_notify(s, (smtp_event){.kind = SMTP_EV_REPLY, .verb = answered, .code = code});
    smtp_inspect_reply(s, (smtp_verb)cmd.verb, code, text, len);
    note_busy(s, code, (int)answered, s->ml_at, text, len);
    note_too_big(s, smtp_txn_at(s, cmd.txn), answered, code, text, len);
    record_reply(s, &cmd, code, text, len);
}

/* A reply is complete: into the transcript (its first line), then paired with its command. */
static void complete_reply(smtp_session *s, int code, const char *first, size_t len, unsigned lines)
{
    s->rep.count.replies++;
    if (!s->no_transcript) { /* formatted only where a transcript is shown */
        char shown[SMTP_TRANSCRIPT_TEXT];
        int n = snprintf(shown, sizeof shown, "%.*s", (int)(len < 80 ? len : 80), first);
        if (lines > 1 && n >= 0 && (size_t)n < sizeof shown)
            snprintf(shown + n, sizeof shown - (size_t)n, " (+%u lines)", lines - 1);
        smtp_note_line(s, SMTP_SERVER, s->now.ref, shown, strlen(shown));
    }
    dispatch_reply(s, code, first, len);
}

static void give_up_not_smtp(smtp_session *s)
{
    s->rep.non_smtp = 1;
    s->cm = CM_STOP;
    s->sm = SM_STOP;
    smtp_note_event(s, "server bytes are not SMTP: parsing stopped");
}

/* A line without a valid reply code, after the greeting. */
static void invalid_reply_line(smtp_session *s, const char *line, size_t len)
{
    s->rep.count.bad_lines++;
    if (smtp_has_binary(line, len)) {
        if (s->rep.count.replies == 0)
            give_up_not_smtp(s);
        return;
    }
    /* Some servers answer without a code (seen from a large provider's MTA); pair the text
     * with the waiting command so that later replies stay in step. */
    if (!s->ml_active && smtp_queue_head(s))
        complete_reply(s, 0, line, len, 1);
}

/* A line with a valid code: the first line of a reply is kept, the last completes it. */
static void gather_reply_line(smtp_session *s, const char *line, size_t len, int code, int more)
{
    if (!s->ml_active) {
        s->ml_code = code;
        s->ml_lines = 0;
        s->ml_at = s->now.ref;
        smtp_copy_text(s->ml_first, sizeof s->ml_first, line, len);
    }
    s->ml_lines++;
    s->ml_active = more;
    pending *head = smtp_queue_head(s);
    if (head && head->verb == SMTP_VERB_EHLO)
        smtp_inspect_reply_line(s, SMTP_VERB_EHLO, line, len);
    if (!more)
        complete_reply(s, s->ml_code, s->ml_first, strlen(s->ml_first), s->ml_lines);
}

static void on_reply_line(smtp_session *s, const char *line, size_t len)
{
    int more = 0;
    int code = smtp_reply_code(line, len, &more);
    if (!s->ml_active)
        s->ml_start = s->reply_line_start;
    if (!s->rep.banner.done) {
        greeting_line(s, line, len, code, more);
        if (s->rep.banner.done)
            s->rep.count.replies++;
        else if (code < 0 && s->rep.banner.masked_lines == 0 && smtp_has_binary(line, len))
            give_up_not_smtp(s);
        return;
    }
    if (code < 0) {
        invalid_reply_line(s, line, len);
        return;
    }
    gather_reply_line(s, line, len, code, more);
}

void smtp_feed_server(smtp_session *s, const uint8_t *d, size_t len)
{
    if (s->sm == SM_TLS_PROBE) {
        if (d[0] == 0x16) {
            smtp_tls_probe(s, d);
            return;
        }
        s->sm = SM_REPLY;
    }
    const uint8_t *start = d;
    line_t l;
    while (s->sm == SM_REPLY && len && smtp_take_line(&s->sl, &d, &len, &l)) {
        s->rep.count.long_lines += l.overflow;
        s->line_end = s->off[SMTP_SERVER] + (uint64_t)(d - start);
        s->reply_line_start = s->line_end - l.full - (l.crlf ? 2 : 1);
        on_reply_line(s, l.text, l.len);
    }
}
