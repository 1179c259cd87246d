/* The SMTP session state machine. Client and server bytes arrive segment by segment, in
 * capture order; commands are queued and paired with replies in order (RFC 2920
 * pipelining), message bodies are scanned for their end without being kept. */
#include "smtp/smtp.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smtp/banner.h"
#include "smtp/internal.h"

/* ---- small helpers ---- */

void copy_text(char *dst, size_t cap, const char *src, size_t len)
{
    if (len >= cap)
        len = cap - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

static char *dup_text(const char *src, size_t len)
{
    if (len >= SMTP_TEXT_MAX)
        len = SMTP_TEXT_MAX - 1;
    char *p = malloc(len + 1);
    if (!p)
        return NULL;
    memcpy(p, src, len);
    p[len] = '\0';
    return p;
}

static int prefix_nocase(const char *s, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return len >= n && strncasecmp(s, prefix, n) == 0;
}

static int has_binary(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f)
            return 1;
    }
    return 0;
}

/* ---- transcript ---- */

static void note_line(smtp_session *s, int dir, smtp_seg_ref at, const char *text, size_t len)
{
    if (s->no_transcript)
        return;
    if (!s->lines) {
        s->lines = calloc(SMTP_TRANSCRIPT, sizeof *s->lines);
        if (!s->lines)
            return;
        s->rep.head = s->lines;
        s->rep.tail = s->lines + HEAD_LINES;
    }
    smtp_tline *t;
    if (s->rep.nhead < HEAD_LINES) {
        t = &s->lines[s->rep.nhead++];
    } else {
        unsigned slot;
        if (s->rep.ntail < TAIL_LINES) {
            slot = (s->rep.tail_start + s->rep.ntail++) % TAIL_LINES;
        } else {
            slot = s->rep.tail_start;
            s->rep.tail_start = (slot + 1) % TAIL_LINES;
            s->rep.dropped_lines++;
        }
        t = &s->lines[HEAD_LINES + slot];
    }
    t->ts = at.ts;
    t->frame = at.frame;
    t->dir = (uint8_t)dir;
    copy_text(t->text, sizeof t->text, text, len);
}

void note_event(smtp_session *s, const char *fmt, ...)
{
    char buf[SMTP_TRANSCRIPT_TEXT];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    note_line(s, 2, s->now.ref, buf, strlen(buf));
}

void smtp_set_observer(smtp_session *s, smtp_event_fn fn, void *ctx)
{
    s->observer = fn;
    s->observer_ctx = ctx;
}

void notify(smtp_session *s, smtp_event ev)
{
    if (!s->observer)
        return;
    ev.ts = s->now.ref.ts;
    ev.frame = s->now.ref.frame;
    s->observer(s->observer_ctx, &ev);
}

const smtp_tline *smtp_tail_line(const smtp_report *r, unsigned i)
{
    return &r->tail[(r->tail_start + i) % TAIL_LINES];
}

/* ---- line assembly: zero-copy when a line lies in one segment ---- */

/* Takes the next line from *p. Returns 1 with the line (without its line end) when one is
 * complete, 0 when the bytes ran out (kept in lb for the next segment). */
static int take_line(linebuf *lb, const uint8_t **p, size_t *len, line_t *out)
{
    const uint8_t *nl = memchr(*p, '\n', *len);
    size_t chunk = nl ? (size_t)(nl - *p) + 1 : *len;
    uint8_t before_lf = chunk >= 2 ? (*p)[chunk - 2] : (uint8_t)lb->last;
    if (nl && lb->len == 0 && !lb->overflow) {
        out->text = (const char *)*p;
        out->len = chunk - 1;
        out->full = chunk - 1;
        out->overflow = 0;
    } else {
        if (!lb->buf && !(lb->buf = malloc(SMTP_LINE_MAX)))
            return *p += chunk, *len -= chunk, 0;
        size_t room = SMTP_LINE_MAX - lb->len;
        size_t keep = chunk < room ? chunk : room;
        memcpy(lb->buf + lb->len, *p, keep);
        lb->len += keep;
        lb->full += chunk;
        lb->overflow |= keep < chunk;
        lb->last = (char)(*p)[chunk - 1];
        if (!nl) {
            *p += chunk;
            *len -= chunk;
            return 0;
        }
        out->text = lb->buf;
        out->len = lb->len - (lb->buf[lb->len - 1] == '\n');
        out->full = lb->full - 1;
        out->overflow = lb->overflow;
        lb->len = 0;
        lb->full = 0;
        lb->overflow = 0;
    }
    *p += chunk;
    *len -= chunk;
    out->crlf = before_lf == '\r';
    if (out->crlf) {
        out->full--;
        if (out->len && out->text[out->len - 1] == '\r')
            out->len--;
    }
    return 1;
}

static void linebuf_reset(linebuf *lb)
{
    lb->len = 0;
    lb->full = 0;
    lb->overflow = 0;
}

/* ---- transactions ---- */

smtp_txn *txn_at(smtp_session *s, int idx)
{
    if (idx == SPILL)
        return &s->spill;
    if (idx < 0 || (unsigned)idx >= s->rep.ntxn)
        return NULL;
    return &s->txns[idx];
}

static void txn_clear(smtp_txn *t)
{
    free(t->mail_from);
    for (unsigned i = 0; i < t->nrcpt; i++)
        free(t->rcpt[i]);
    free(t->message_id);
    memset(t, 0, sizeof *t);
}

static int txn_new(smtp_session *s)
{
    if (s->rep.ntxn >= SMTP_MAX_TXNS) {
        s->spill_split_unacked += smtp_eod_split_unacked(&s->spill.eod);
        txn_clear(&s->spill);
        s->rep.count.txn_overflow++;
        return SPILL;
    }
    smtp_txn *grown = realloc(s->txns, (s->rep.ntxn + 1) * sizeof *grown);
    if (!grown)
        return NO_TXN;
    s->txns = grown;
    s->rep.txns = grown;
    memset(&grown[s->rep.ntxn], 0, sizeof grown[0]);
    return (int)s->rep.ntxn++;
}

static smtp_txn *current_txn(smtp_session *s, int create)
{
    if (s->cur == NO_TXN && create)
        s->cur = txn_new(s);
    return txn_at(s, s->cur);
}

/* ---- the pending-command queue ---- */

/* Most sessions have a command or two in flight; a pipelining client may have a hundred. */
static int queue_grow(smtp_session *s)
{
    unsigned cap = s->qcap ? s->qcap * 2 : 8;
    if (s->qcap == SMTP_PIPELINE_MAX)
        return -1;
    if (cap > SMTP_PIPELINE_MAX)
        cap = SMTP_PIPELINE_MAX;
    pending *q = malloc(cap * sizeof *q);
    if (!q)
        return -1;
    for (unsigned i = 0; i < s->qlen; i++)
        q[i] = s->q[(s->qhead + i) % s->qcap];
    free(s->q);
    s->q = q;
    s->qcap = cap;
    s->qhead = 0;
    return 0;
}

static void enqueue(smtp_session *s, smtp_verb v, int txn, unsigned rcpt, int last)
{
    if (s->qlen == s->qcap && queue_grow(s) < 0) {
        s->rep.count.pipeline_overflow++;
        return;
    }
    pending *p = &s->q[(s->qhead + s->qlen++) % s->qcap];
    p->verb = (uint8_t)v;
    p->txn = txn;
    p->rcpt = rcpt;
    p->last = (uint8_t)last;
}

static pending *queue_head(smtp_session *s)
{
    return s->qlen ? &s->q[s->qhead] : NULL;
}

static void dequeue(smtp_session *s)
{
    s->qhead = (s->qhead + 1) % s->qcap;
    s->qlen--;
}

/* ---- client side ---- */

static void feed_client(smtp_session *s, const uint8_t *d, size_t len);

/* The address argument of MAIL FROM:/RCPT TO:, as sent (with its angle brackets); *full
 * gets its length before truncation. */
static char *path_arg(const char *line, size_t len, const char *keyword, unsigned *full)
{
    size_t i = 5; /* past "MAIL " / "RCPT " */
    if (i <= len && prefix_nocase(line + i, len - i, keyword))
        i += strlen(keyword);
    else
        i = i < len ? i : len;
    while (i < len && line[i] == ' ')
        i++;
    size_t end = i;
    if (end < len && line[end] == '<') {
        while (end < len && line[end] != '>')
            end++;
        end += end < len;
    } else {
        while (end < len && line[end] != ' ')
            end++;
    }
    *full = (unsigned)(end - i);
    return dup_text(line + i, end - i);
}

static int parse_bdat(const char *line, size_t len, uint64_t *size, int *last)
{
    size_t i = 4;
    while (i < len && line[i] == ' ')
        i++;
    if (i >= len || !isdigit((unsigned char)line[i]))
        return 0;
    uint64_t n = 0;
    for (; i < len && isdigit((unsigned char)line[i]); i++) {
        if (n > (UINT64_MAX - 9) / 10)
            return 0;
        n = n * 10 + (uint64_t)(line[i] - '0');
    }
    while (i < len && line[i] == ' ')
        i++;
    *last = prefix_nocase(line + i, len - i, "LAST");
    if (i < len && !*last)
        return 0;
    *size = n;
    return 1;
}

static void on_mail(smtp_session *s, const char *line, size_t len)
{
    s->cur = txn_new(s);
    smtp_txn *t = txn_at(s, s->cur);
    if (t) {
        t->mail_from = path_arg(line, len, "FROM:", &t->mail_from_len);
        if (t->mail_from_len > s->rep.asa.sender_max)
            s->rep.asa.sender_max = t->mail_from_len;
    }
    enqueue(s, SMTP_VERB_MAIL, s->cur, 0, 0);
}

static void on_rcpt(smtp_session *s, const char *line, size_t len)
{
    smtp_txn *t = current_txn(s, 0);
    unsigned idx = SMTP_MAX_RCPTS;
    if (t) {
        t->rcpt_total++;
        if (t->nrcpt < SMTP_MAX_RCPTS) {
            idx = t->nrcpt++;
            unsigned full;
            t->rcpt[idx] = path_arg(line, len, "TO:", &full);
        }
    }
    enqueue(s, SMTP_VERB_RCPT, s->cur, idx, 0);
}

static void on_data(smtp_session *s, int crlf)
{
    smtp_txn *t = current_txn(s, 1);
    if (t)
        t->data_at = s->now.ref;
    s->data_line = s->now;
    s->data_line_crlf = crlf;
    s->body_start = s->line_end;
    enqueue(s, SMTP_VERB_DATA, s->cur, 0, 0);
    s->cm = CM_HOLD;
}

/* ---- body digest: XXH3-128 of the body after the header section ---- */

static void digest_start(smtp_session *s)
{
    if (!s->digest)
        s->digest = XXH3_createState();
    if (s->digest)
        XXH3_128bits_reset(s->digest);
    s->digest_ready = 0;
    s->digest_from = 0;
    s->digested = 0;
}

/* Digests body offsets up to hi. They lie in the scanner's old tail (the bytes just before
 * data_off) or in d (from data_off on). Bytes before the end of the headers are skipped. */
static void digest_upto(smtp_session *s, uint64_t hi, const uint8_t *tail, unsigned tn,
                        uint64_t data_off, const uint8_t *d)
{
    if (!s->digest || !s->digest_ready)
        return;
    uint64_t lo = s->digested > s->digest_from ? s->digested : s->digest_from;
    uint64_t tail_off = data_off - tn; /* may wrap below 0: the seeded line end */
    if (lo + tn < data_off)
        lo = tail_off;
    if (hi <= lo)
        return;
    if (lo < data_off) {
        uint64_t end = hi < data_off ? hi : data_off;
        XXH3_128bits_update(s->digest, tail + (lo - tail_off), (size_t)(end - lo));
        lo = end;
    }
    if (lo < hi)
        XXH3_128bits_update(s->digest, d + (lo - data_off), (size_t)(hi - lo));
    s->digested = hi;
}

static void digest_finish(smtp_session *s, smtp_txn *t, uint64_t end)
{
    if (!t || !s->digest || !s->digest_ready || end <= s->digest_from)
        return;
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, XXH3_128bits_digest(s->digest));
    memcpy(t->digest, c.digest, sizeof t->digest);
    t->has_digest = 1;
    t->body_bytes = end - s->digest_from;
}

static void start_headers(smtp_session *s)
{
    s->in_headers = 1;
    s->header_bytes = 0;
    s->msgid_folded = 0;
    linebuf_reset(&s->hl);
    digest_start(s);
}

static void on_bdat(smtp_session *s, const char *line, size_t len)
{
    uint64_t size;
    int last;
    if (!parse_bdat(line, len, &size, &last)) {
        s->rep.count.bad_lines++;
        enqueue(s, SMTP_VERB_OTHER, NO_TXN, 0, 0);
        return;
    }
    smtp_txn *t = current_txn(s, 1);
    if (t && t->bdat_chunks++ == 0)
        start_headers(s);
    enqueue(s, SMTP_VERB_BDAT, s->cur, 0, last);
    s->bdat_left = size;
    s->bdat_last = last;
    s->cm = CM_BDAT;
}

static void on_helo(smtp_session *s, const char *line, size_t len)
{
    if (s->rep.helo[0] == '\0' && len > 5)
        copy_text(s->rep.helo, sizeof s->rep.helo, line + 5, len - 5);
}

static void on_command(smtp_session *s, const line_t *l)
{
    const char *line = l->text;
    size_t len = l->len;
    int crlf = l->crlf;
    if (l->full > s->rep.asa.command_line_max) {
        s->rep.asa.command_line_max = (unsigned)(l->full > UINT32_MAX ? UINT32_MAX : l->full);
        s->rep.asa.command_line_frame = s->now.ref.frame;
    }
    s->rep.count.commands++;
    note_line(s, SMTP_CLIENT, s->now.ref, line, len);
    if (len == 0 || !isalpha((unsigned char)line[0]) || has_binary(line, len))
        s->rep.count.bad_lines++;
    smtp_verb v = smtp_parse_verb(line, len);
    notify(s, (smtp_event){.kind = SMTP_EV_COMMAND, .verb = v});
    switch (v) {
    case SMTP_VERB_MAIL:
        on_mail(s, line, len);
        return;
    case SMTP_VERB_RCPT:
        on_rcpt(s, line, len);
        return;
    case SMTP_VERB_DATA:
        on_data(s, crlf);
        return;
    case SMTP_VERB_BDAT:
        on_bdat(s, line, len);
        return;
    case SMTP_VERB_HELO:
    case SMTP_VERB_EHLO:
        on_helo(s, line, len);
        s->ehlo_sane = l->full <= SMTP_ASA_COMMAND_LINE && !has_binary(line, len);
        break;
    case SMTP_VERB_RSET:
        s->cur = NO_TXN;
        break;
    case SMTP_VERB_QUIT:
        s->rep.quit = 1;
        break;
    default:
        break;
    }
    enqueue(s, v, s->cur, 0, 0);
}

static void on_header_line(smtp_session *s, const char *line, size_t len)
{
    smtp_txn *t = txn_at(s, s->cur);
    if (len == 0) {
        s->in_headers = 0; /* the blank line ends the header section */
        return;
    }
    int folded = line[0] == ' ' || line[0] == '\t';
    const char *value = NULL;
    if (s->msgid_folded && folded)
        value = line;
    else if (prefix_nocase(line, len, "Message-ID:"))
        value = line + 11;
    s->msgid_folded = 0;
    if (!value || !t || t->message_id)
        return;
    size_t vlen = len - (size_t)(value - line);
    while (vlen && (*value == ' ' || *value == '\t'))
        value++, vlen--;
    while (vlen && (value[vlen - 1] == ' ' || value[vlen - 1] == '\t'))
        vlen--;
    if (vlen == 0)
        s->msgid_folded = 1;
    else
        t->message_id = dup_text(value, vlen);
}

static void note_header_length(smtp_session *s, const line_t *l)
{
    smtp_txn *t = txn_at(s, s->cur);
    unsigned full = (unsigned)(l->full > UINT32_MAX ? UINT32_MAX : l->full);
    if (t && full > t->header_line_max) {
        t->header_line_max = full;
        t->header_line_frame = s->now.ref.frame;
    }
    if (full > s->rep.asa.header_line_max) {
        s->rep.asa.header_line_max = full;
        s->rep.asa.header_line_frame = s->now.ref.frame;
    }
}

/* d holds body octets from body offset data_off on. */
static void scan_headers(smtp_session *s, const uint8_t *d, size_t len, uint64_t data_off)
{
    const uint8_t *start = d;
    line_t l;
    s->header_bytes += len;
    while (s->in_headers && len && take_line(&s->hl, &d, &len, &l)) {
        note_header_length(s, &l);
        on_header_line(s, l.text, l.len);
    }
    if (s->in_headers && s->header_bytes > SMTP_HEADER_SCAN)
        s->in_headers = 0; /* no blank line in sight: digest from here */
    if (!s->in_headers && !s->digest_ready) {
        s->digest_from = data_off + (uint64_t)(d - start);
        s->digest_ready = 1;
    }
}

static void start_body(smtp_session *s)
{
    eod_scan_start(&s->eod, s->data_line, s->data_line_crlf);
    start_headers(s);
    s->cm = CM_BODY;
}

void smtp_format_cut(const smtp_eod *e, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (unsigned i = 0; i < e->term_len && n + 4 < cap; i++) {
        if (i > 0 && (e->cuts & (1u << i)))
            out[n++] = '|';
        char c = e->term[i];
        const char *name = c == '\r' ? "CR" : c == '\n' ? "LF" : ".";
        size_t len = strlen(name);
        memcpy(out + n, name, len);
        n += len;
    }
    out[n] = '\0';
}

static void on_end_of_data(smtp_session *s, smtp_txn *t)
{
    enqueue(s, SMTP_VERB_EOD, s->cur, 0, 0);
    s->cm = CM_COMMAND;
    s->in_headers = 0;
    if (!t)
        return;
    notify(s, (smtp_event){.kind = SMTP_EV_EOD, .eod = &t->eod});
    if (t->eod.nparts <= 1) {
        note_event(s, "end of data (%llu bytes), terminator in one segment",
                   (unsigned long long)t->bytes);
        return;
    }
    char cut[32];
    smtp_format_cut(&t->eod, cut, sizeof cut);
    note_event(s, "end of data (%llu bytes), terminator split %s over frames %llu and %llu",
               (unsigned long long)t->bytes, cut, (unsigned long long)t->eod.part[0].frame,
               (unsigned long long)t->eod.part[t->eod.nparts - 1].frame);
}

static size_t feed_body(smtp_session *s, const uint8_t *d, size_t len)
{
    smtp_txn *t = txn_at(s, s->cur);
    smtp_eod scratch = {0};
    smtp_eod *eod = t ? &t->eod : &scratch;
    uint64_t data_off = s->eod.offset, dot = 0;
    uint8_t old_tail[4];
    unsigned old_tn = s->eod.tn;
    int found;
    memcpy(old_tail, s->eod.tail, sizeof old_tail);
    size_t used = eod_scan_feed(&s->eod, d, len, s->now, eod, &dot, &found);
    if (s->in_headers)
        scan_headers(s, d, used, data_off);
    /* the last 4 bytes may still turn out to be the terminator: digest them later */
    uint64_t settled = found ? dot : s->eod.offset > 4 ? s->eod.offset - 4 : 0;
    digest_upto(s, settled, old_tail, old_tn, data_off, d);
    if (!found) {
        if (t)
            t->bytes = s->eod.offset;
        return used;
    }
    if (t) {
        t->bytes = dot;
        t->term_off = s->body_start + dot - (eod->term[1] == '.' ? 1 : 2);
        digest_finish(s, t, dot);
    }
    on_end_of_data(s, t);
    return used;
}

static size_t feed_bdat(smtp_session *s, const uint8_t *d, size_t len)
{
    size_t n = s->bdat_left < len ? (size_t)s->bdat_left : len;
    smtp_txn *t = txn_at(s, s->cur);
    uint64_t data_off = t ? t->bytes : 0;
    if (s->in_headers)
        scan_headers(s, d, n, data_off);
    digest_upto(s, data_off + n, NULL, 0, data_off, d);
    if (t)
        t->bytes += n;
    s->bdat_left -= n;
    if (s->bdat_left == 0) {
        s->cm = CM_COMMAND;
        s->in_headers = s->bdat_last ? 0 : s->in_headers;
        if (s->bdat_last && t) {
            digest_finish(s, t, t->bytes);
            t->eod.seen = 1;
            t->eod.bdat = 1;
            t->eod.nparts = 1;
            t->eod.part[0] = s->now.ref;
            note_event(s, "end of data by BDAT LAST (%llu bytes)", (unsigned long long)t->bytes);
            notify(s, (smtp_event){.kind = SMTP_EV_EOD, .eod = &t->eod});
        }
    }
    return n;
}

static void hold_replay(smtp_session *s)
{
    hold *h = s->hold;
    s->hold = NULL; /* replayed bytes may start a new hold */
    if (!h)
        return;
    eod_seg saved = s->now;
    uint64_t saved_off = s->off[SMTP_CLIENT];
    size_t pos = 0;
    for (unsigned i = 0; i < h->nsegs; i++) {
        s->now = h->segs[i].seg;
        s->off[SMTP_CLIENT] = h->segs[i].off;
        feed_client(s, h->buf + pos, h->segs[i].len);
        pos += h->segs[i].len;
    }
    s->now = saved;
    s->off[SMTP_CLIENT] = saved_off;
    free(h->buf);
    free(h);
}

/* DATA is unanswered: what follows is body if the server says 354, commands otherwise.
 * Held up to a bound; a client that sends more without waiting is sending a body. */
static size_t feed_hold(smtp_session *s, const uint8_t *d, size_t len)
{
    if (!s->hold && !(s->hold = calloc(1, sizeof *s->hold)))
        return len;
    hold *h = s->hold;
    if (!h->buf && !(h->buf = malloc(SMTP_HOLD_MAX)))
        return len;
    if (h->len + len > SMTP_HOLD_MAX || h->nsegs == HOLD_SEGS) {
        note_event(s, "client sent message data before DATA was answered");
        start_body(s);
        hold_replay(s);
        return 0; /* the caller goes on with these bytes in the new mode */
    }
    memcpy(h->buf + h->len, d, len);
    h->len += len;
    h->segs[h->nsegs].len = len;
    h->segs[h->nsegs].off = s->off[SMTP_CLIENT];
    h->segs[h->nsegs++].seg = s->now;
    return len;
}

static size_t feed_tls_probe(smtp_session *s, const uint8_t *d)
{
    if (d[0] == 0x16) { /* TLS handshake record */
        s->rep.tls = 1;
        notify(s, (smtp_event){.kind = SMTP_EV_TLS});
        s->cm = CM_STOP;
        s->sm = SM_STOP;
        s->qlen = 0;
        note_event(s, "TLS handshake: the rest of the session is encrypted");
        return 0;
    }
    note_event(s, "plain SMTP continues after STARTTLS (decrypted capture)");
    s->cm = CM_COMMAND;
    s->sm = SM_REPLY;
    return 0;
}

static size_t feed_lines(smtp_session *s, const uint8_t *d, size_t len)
{
    line_t l;
    const uint8_t *p = d;
    size_t left = len;
    client_mode mode = s->cm;
    while (s->cm == mode && left && take_line(&s->cl, &p, &left, &l)) {
        s->rep.count.long_lines += l.overflow;
        s->line_end = s->off[SMTP_CLIENT] + (uint64_t)(p - d);
        if (s->cm == CM_AUTH_LINE) {
            note_line(s, SMTP_CLIENT, s->now.ref, "[authentication data]", 21);
            s->cm = CM_COMMAND;
            break;
        }
        on_command(s, &l);
    }
    return len - left;
}

static void feed_client(smtp_session *s, const uint8_t *d, size_t len)
{
    while (len) {
        size_t used;
        switch (s->cm) {
        case CM_COMMAND:
        case CM_AUTH_LINE:
            used = feed_lines(s, d, len);
            break;
        case CM_HOLD:
            used = feed_hold(s, d, len);
            break;
        case CM_BODY:
            used = feed_body(s, d, len);
            break;
        case CM_BDAT:
            used = feed_bdat(s, d, len);
            break;
        case CM_TLS_PROBE:
            used = feed_tls_probe(s, d);
            break;
        default:
            return;
        }
        d += used;
        len -= used;
        s->off[SMTP_CLIENT] += used;
    }
}

/* ---- server side ---- */

static void finish_greeting(smtp_session *s, int code)
{
    smtp_banner *b = &s->rep.banner;
    b->done = 1;
    b->code = code;
}

static void greeting_line(smtp_session *s, const char *line, size_t len, int code, int more)
{
    smtp_banner *b = &s->rep.banner;
    int first = !b->seen;
    if (first) {
        b->seen = 1;
        b->at = s->now.ref;
        copy_text(b->text, sizeof b->text, line, len);
    }
    b->lines++;
    note_line(s, SMTP_SERVER, s->now.ref, line, len);
    if (banner_classify(line, len) != BANNER_NORMAL) {
        if (!b->masked) {
            inspect_record(s, SMTP_PRINT_MASKED_BANNER, line, len);
            notify(s, (smtp_event){.kind = SMTP_EV_GREETING, .code = code, .masked = 1});
        }
        b->masked = 1;
        b->masked_lines++;
    } else if (code < 0) {
        s->rep.count.bad_lines++;
    } else if (first) {
        notify(s, (smtp_event){.kind = SMTP_EV_GREETING, .code = code});
    }
    if (code >= 0 && !more)
        finish_greeting(s, code);
}

static void reply_to_data(smtp_session *s, smtp_txn *t, int code)
{
    if (t)
        t->data_reply = code;
    if (s->cm != CM_HOLD)
        return;
    if (code == 354) {
        start_body(s);
    } else {
        s->cm = CM_COMMAND;
        linebuf_reset(&s->cl);
    }
    hold_replay(s);
}

static void reply_to_eod(smtp_session *s, smtp_txn *t, int code, const char *text, size_t len)
{
    if (!t)
        return;
    t->eod.replied = 1;
    t->eod.reply = code;
    t->eod.reply_at = s->now.ref;
    t->reply_off = s->ml_start;
    t->reply_end = s->line_end;
    copy_text(t->eod.reply_text, sizeof t->eod.reply_text, text, len);
    if (t->eod.seen && t->eod.part[0].ts)
        note_event(s, "reply to end of data after %.3f s",
                   (double)(s->now.ref.ts - t->eod.part[t->eod.nparts - 1].ts) / 1e6);
}

static void reply_to_starttls(smtp_session *s, int code)
{
    if (code != 220)
        return;
    s->rep.starttls = 1;
    s->cm = CM_TLS_PROBE;
    s->sm = SM_TLS_PROBE;
    linebuf_reset(&s->cl);
    linebuf_reset(&s->sl);
}

static void dispatch_reply(smtp_session *s, int code, const char *text, size_t len)
{
    pending *p = queue_head(s);
    if (!p) {
        s->rep.count.unpaired_replies++;
        return;
    }
    if (code == 334 && p->verb == SMTP_VERB_AUTH) {
        s->cm = s->cm == CM_COMMAND ? CM_AUTH_LINE : s->cm; /* AUTH waits for its last reply */
        return;
    }
    pending cmd = *p;
    dequeue(s);
    /* The reply to BDAT ... LAST answers the whole message, as the one to a terminator. */
    smtp_verb answered =
        cmd.verb == SMTP_VERB_BDAT && cmd.last ? SMTP_VERB_EOD : (smtp_verb)cmd.verb;
    notify(s, (smtp_event){.kind = SMTP_EV_REPLY, .verb = answered, .code = code});
    inspect_reply(s, (smtp_verb)cmd.verb, code, text, len);
    smtp_txn *t = txn_at(s, cmd.txn);
    switch (cmd.verb) {
    case SMTP_VERB_EHLO:
        s->rep.ehlo_reply = code;
        break;
    case SMTP_VERB_MAIL:
        if (t)
            t->mail_reply = code;
        break;
    case SMTP_VERB_RCPT:
        if (t && cmd.rcpt < t->nrcpt)
            t->rcpt_reply[cmd.rcpt] = code;
        break;
    case SMTP_VERB_DATA:
        reply_to_data(s, t, code);
        break;
    case SMTP_VERB_EOD:
        reply_to_eod(s, t, code, text, len);
        if (s->cur == cmd.txn)
            s->cur = NO_TXN;
        break;
    case SMTP_VERB_BDAT:
        if (cmd.last) {
            reply_to_eod(s, t, code, text, len);
            if (s->cur == cmd.txn)
                s->cur = NO_TXN;
        }
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

static void complete_reply(smtp_session *s, int code, const char *first, size_t len, unsigned lines)
{
    s->rep.count.replies++;
    char shown[SMTP_TRANSCRIPT_TEXT];
    int n = snprintf(shown, sizeof shown, "%.*s", (int)(len < 80 ? len : 80), first);
    if (lines > 1 && n >= 0 && (size_t)n < sizeof shown)
        snprintf(shown + n, sizeof shown - (size_t)n, " (+%u lines)", lines - 1);
    note_line(s, SMTP_SERVER, s->now.ref, shown, strlen(shown));
    dispatch_reply(s, code, first, len);
}

static void give_up_not_smtp(smtp_session *s)
{
    s->rep.non_smtp = 1;
    s->cm = CM_STOP;
    s->sm = SM_STOP;
    note_event(s, "server bytes are not SMTP: parsing stopped");
}

static void invalid_reply_line(smtp_session *s, const char *line, size_t len)
{
    s->rep.count.bad_lines++;
    if (has_binary(line, len)) {
        if (s->rep.count.replies == 0)
            give_up_not_smtp(s);
        return;
    }
    /* Some servers answer without a code (seen from a large provider's MTA); pair the text
     * with the waiting command so that later replies stay in step. */
    if (!s->ml_active && queue_head(s))
        complete_reply(s, 0, line, len, 1);
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
        else if (code < 0 && s->rep.banner.masked_lines == 0 && has_binary(line, len))
            give_up_not_smtp(s);
        return;
    }
    if (code < 0) {
        invalid_reply_line(s, line, len);
        return;
    }
    if (!s->ml_active) {
        s->ml_code = code;
        s->ml_lines = 0;
        s->ml_at = s->now.ref;
        copy_text(s->ml_first, sizeof s->ml_first, line, len);
    }
    s->ml_lines++;
    s->ml_active = more;
    pending *head = queue_head(s);
    if (head && head->verb == SMTP_VERB_EHLO)
        inspect_reply_line(s, SMTP_VERB_EHLO, line, len);
    if (!more)
        complete_reply(s, s->ml_code, s->ml_first, strlen(s->ml_first), s->ml_lines);
}

static void feed_server(smtp_session *s, const uint8_t *d, size_t len)
{
    if (s->sm == SM_TLS_PROBE) {
        if (d[0] == 0x16) {
            feed_tls_probe(s, d);
            return;
        }
        s->sm = SM_REPLY;
    }
    const uint8_t *start = d;
    line_t l;
    while (s->sm == SM_REPLY && len && take_line(&s->sl, &d, &len, &l)) {
        s->rep.count.long_lines += l.overflow;
        s->line_end = s->off[SMTP_SERVER] + (uint64_t)(d - start);
        s->reply_line_start = s->line_end - l.full - (l.crlf ? 2 : 1);
        on_reply_line(s, l.text, l.len);
    }
}

/* ---- session ---- */

smtp_session *smtp_session_new(int64_t ts, uint64_t frame)
{
    smtp_session *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->cur = NO_TXN;
    s->rep.start = ts;
    s->rep.end = ts;
    s->rep.closed_by = -1;
    s->now.ref.ts = ts;
    s->now.ref.frame = frame;
    s->slow_reply = (int64_t)(SMTP_DEFAULT_SLOW_REPLY * 1e6);
    return s;
}

void smtp_session_configure(smtp_session *s, const smtp_options *o)
{
    s->slow_reply = (int64_t)(o->slow_reply * 1e6);
    s->no_transcript = o->no_transcript;
}

void smtp_feed(smtp_session *s, smtp_dir dir, const uint8_t *data, size_t len, int64_t ts,
               uint64_t frame)
{
    if (!len)
        return;
    s->now.ref.ts = ts;
    s->now.ref.frame = frame;
    s->now.id = ++s->seg_ids;
    if (dir == SMTP_CLIENT) {
        s->rep.count.client_bytes += len;
        feed_client(s, data, len);
    } else {
        s->rep.count.server_bytes += len;
        if (s->sm != SM_STOP)
            feed_server(s, data, len);
        s->off[SMTP_SERVER] += len;
    }
}

static const char *end_name(smtp_end_reason why)
{
    static const char *const names[] = {"FIN", "RST", "idle timeout", "capture end",
                                        "eviction from a full table"};
    return names[why];
}

/* A client that writes "QUIT" and closes before its line end still said goodbye. */
static void settle_partial_quit(smtp_session *s)
{
    if (s->cm == CM_COMMAND && !s->rep.quit && prefix_nocase(s->cl.buf, s->cl.len, "QUIT") &&
        s->cl.len <= 6) {
        s->rep.quit = 1;
        note_event(s, "QUIT without its line end");
    }
}

void smtp_end(smtp_session *s, smtp_end_reason why, int closed_by, int64_t ts, uint64_t frame)
{
    settle_partial_quit(s);
    s->now.ref.ts = ts;
    s->now.ref.frame = frame;
    s->rep.end = ts;
    s->rep.end_frame = frame;
    s->rep.end_reason = why;
    s->rep.closed_by = closed_by;
    if (closed_by >= 0)
        note_event(s, "connection ended by %s from the %s", end_name(why),
                   closed_by == SMTP_CLIENT ? "client" : "server");
    else
        note_event(s, "connection ended: %s", end_name(why));
    s->rep.flags = diagnose(s);
}

const smtp_report *smtp_get_report(const smtp_session *s)
{
    return &s->rep;
}

void smtp_session_free(smtp_session *s)
{
    if (!s)
        return;
    for (unsigned i = 0; i < s->rep.ntxn; i++)
        txn_clear(&s->txns[i]);
    txn_clear(&s->spill);
    free(s->txns);
    free(s->cl.buf);
    free(s->sl.buf);
    free(s->hl.buf);
    if (s->hold)
        free(s->hold->buf);
    free(s->hold);
    free(s->q);
    free(s->lines);
    if (s->digest)
        XXH3_freeState(s->digest);
    free(s);
}
