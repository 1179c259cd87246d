/* The client's bytes, by mode: command lines, bytes held while DATA awaits its reply, the
 * message body, BDAT chunks, and the first bytes after an accepted STARTTLS. */
#include <stdlib.h>
#include <string.h>

#include "smtp/internal.h"

/* Each held segment is fed again as itself (its frame, time and stream offset). */
void smtp_hold_replay(smtp_session *s)
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
        smtp_feed_client(s, h->buf + pos, h->segs[i].len);
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
        smtp_note_event(s, "client sent message data before DATA was answered");
        smtp_start_body(s);
        smtp_hold_replay(s);
        return 0; /* the caller goes on with these bytes in the new mode */
    }
    memcpy(h->buf + h->len, d, len);
    h->len += len;
    h->segs[h->nsegs].len = len;
    h->segs[h->nsegs].off = s->off[SMTP_CLIENT];
    h->segs[h->nsegs++].seg = s->now;
    return len;
}

/* Returns 0: the bytes are parsed again in the mode chosen here (or only counted). */
size_t smtp_tls_probe(smtp_session *s, const uint8_t *d)
{
    if (d[0] == 0x16) { /* TLS handshake record */
        s->rep.tls = 1;
        smtp_notify(s, (smtp_event){.kind = SMTP_EV_TLS});
        s->cm = CM_STOP;
        s->sm = SM_STOP;
        s->qlen = 0;
        smtp_note_event(s, "TLS handshake: the rest of the session is encrypted");
        return 0;
    }
    smtp_note_event(s, "plain SMTP continues after STARTTLS (decrypted capture)");
    s->cm = CM_COMMAND;
    s->sm = SM_REPLY;
    return 0;
}

/* Command lines, and the line that answers an AUTH challenge (kept out of the transcript). */
static size_t feed_lines(smtp_session *s, const uint8_t *d, size_t len)
{
    line_t l;
    const uint8_t *p = d;
    size_t left = len;
    client_mode mode = s->cm;
    while (s->cm == mode && left && smtp_take_line(&s->cl, &p, &left, &l)) {
        s->rep.count.long_lines += l.overflow;
        s->line_end = s->off[SMTP_CLIENT] + (uint64_t)(p - d);
        if (s->cm == CM_AUTH_LINE) {
            smtp_note_line(s, SMTP_CLIENT, s->now.ref, SMTP_AUTH_PLACEHOLDER,
                           strlen(SMTP_AUTH_PLACEHOLDER));
            s->cm = CM_COMMAND;
            break;
        }
        smtp_on_command(s, &l);
    }
    return len - left;
}

void smtp_feed_client(smtp_session *s, const uint8_t *d, size_t len)
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
            used = smtp_feed_body(s, d, len);
            break;
        case CM_BDAT:
            used = smtp_feed_bdat(s, d, len);
            break;
        case CM_TLS_PROBE:
            used = smtp_tls_probe(s, d);
            break;
        default:
            return;
        }
        d += used;
        len -= used;
        s->off[SMTP_CLIENT] += used;
    }
}
