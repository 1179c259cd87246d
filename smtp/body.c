/* The message body, after DATA or in BDAT chunks: counted, scanned for its end (the terminator,
 * or the LAST chunk), its headers read and the rest digested, never kept. */
#include <string.h>

#include "smtp/internal.h"
#include "sniff/sniff.h"

void smtp_start_body(smtp_session *s)
{
    smtp_eod_scan_start(&s->eod, s->data_line, s->data_line_crlf);
    smtp_start_headers(s);
    s->cm = CM_BODY;
}

/* The terminator ended the message: the server answers it like a command. */
static void on_end_of_data(smtp_session *s, smtp_txn *t)
{
    smtp_enqueue(s, SMTP_VERB_EOD, s->cur, 0, 0);
    s->cm = CM_COMMAND;
    s->in_headers = 0;
    if (!t)
        return;
    smtp_notify(s, (smtp_event){.kind = SMTP_EV_EOD, .eod = &t->eod});
    if (t->eod.nparts <= 1) {
        smtp_note_event(s, "end of data (%llu bytes), terminator in one segment",
                        (unsigned long long)t->bytes);
        return;
    }
    char cut[32];
    uint64_t first = t->eod.part[0].frame, last = t->eod.part[t->eod.nparts - 1].frame;
    smtp_format_cut(&t->eod, cut, sizeof cut);
    /* Several capture files (sniff.h): the frames of the file the line is in (it names it);
     * the report's evidence names both parts' files. */
    if (sniff_frame_file(first) != sniff_frame_file(last))
        smtp_note_event(s, "end of data (%llu bytes), terminator split %s across two capture files",
                        (unsigned long long)t->bytes, cut);
    else
        smtp_note_event(
            s, "end of data (%llu bytes), terminator split %s over frames %llu and %llu",
            (unsigned long long)t->bytes, cut, (unsigned long long)sniff_frame_in_file(first),
            (unsigned long long)sniff_frame_in_file(last));
}

/* Body bytes up to and including the terminator; returns how many were the body's. */
size_t smtp_feed_body(smtp_session *s, const uint8_t *d, size_t len)
{
    smtp_txn *t = smtp_txn_at(s, s->cur);
    smtp_eod scratch = {0};
    smtp_eod *eod = t ? &t->eod : &scratch;
    uint64_t data_off = s->eod.offset, dot = 0;
    uint8_t old_tail[4];
    unsigned old_tn = s->eod.tn;
    int found;
    memcpy(old_tail, s->eod.tail, sizeof old_tail);
    size_t used = smtp_eod_scan_feed(&s->eod, d, len, s->now, eod, &dot, &found);
    if (s->in_headers)
        smtp_scan_headers(s, d, used, data_off);
    /* the last 4 bytes may still turn out to be the terminator: digest them later */
    uint64_t settled = found ? dot : s->eod.offset > 4 ? s->eod.offset - 4 : 0;
    smtp_digest_upto(s, settled, old_tail, old_tn, data_off, d);
    if (!found) {
        if (t)
            t->bytes = s->eod.offset;
        return used;
    }
    if (t) {
        t->bytes = dot;
        t->term_off = s->body_start + dot - (eod->term[1] == '.' ? 1 : 2);
        smtp_digest_finish(s, t, dot);
    }
    on_end_of_data(s, t);
    return used;
}

/* BDAT ... LAST ended the message: it counts as its end of data. */
static void on_last_chunk(smtp_session *s, smtp_txn *t)
{
    smtp_digest_finish(s, t, t->bytes);
    t->eod.seen = 1;
    t->eod.bdat = 1;
    t->eod.nparts = 1;
    t->eod.part[0] = s->now.ref;
    smtp_note_event(s, "end of data by BDAT LAST (%llu bytes)", (unsigned long long)t->bytes);
    smtp_notify(s, (smtp_event){.kind = SMTP_EV_EOD, .eod = &t->eod});
}

/* Bytes of the current BDAT chunk; returns how many were the chunk's. */
size_t smtp_feed_bdat(smtp_session *s, const uint8_t *d, size_t len)
{
    size_t n = s->bdat_left < len ? (size_t)s->bdat_left : len;
    smtp_txn *t = smtp_txn_at(s, s->cur);
    uint64_t data_off = t ? t->bytes : 0;
    if (s->in_headers)
        smtp_scan_headers(s, d, n, data_off);
    smtp_digest_upto(s, data_off + n, NULL, 0, data_off, d);
    if (t)
        t->bytes += n;
    s->bdat_left -= n;
    if (s->bdat_left == 0) {
        s->cm = CM_COMMAND;
        s->in_headers = s->bdat_last ? 0 : s->in_headers;
        if (s->bdat_last && t)
            on_last_chunk(s, t);
    }
    return n;
}
