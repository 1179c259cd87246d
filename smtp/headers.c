/* The header section of a message: its Message-ID (folded or not), its Received: lines and
 * its longest line, read up to MESSAGE_HEADER_SCAN bytes; the digest starts where it ends. */
#include <stdint.h>

#include "smtp/internal.h"

void smtp_start_headers(smtp_session *s)
{
    s->in_headers = 1;
    s->header_bytes = 0;
    s->mh.msgid_folded = 0;
    smtp_linebuf_reset(&s->hl);
    smtp_digest_start(s);
}

/* Takes the Message-ID from its header line, or from the next one when it is folded there;
 * counts the Received: lines (each relay adds one). */
static void on_header_line(smtp_session *s, const char *line, size_t len)
{
    smtp_txn *t = smtp_txn_at(s, s->cur);
    const char *value = NULL;
    size_t vlen = 0;
    switch (message_header_line(&s->mh, line, len, &value, &vlen)) {
    case MESSAGE_HEADER_END:
        s->in_headers = 0; /* the blank line ends the header section */
        break;
    case MESSAGE_HEADER_RECEIVED:
        if (t)
            t->received++;
        break;
    case MESSAGE_HEADER_MESSAGE_ID:
        if (t && !t->message_id)
            t->message_id = smtp_dup_text(value, vlen);
        break;
    case MESSAGE_HEADER_OTHER:
        break;
    }
}

static void note_header_length(smtp_session *s, const line_t *l)
{
    smtp_txn *t = smtp_txn_at(s, s->cur);
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

void smtp_scan_headers(smtp_session *s, const uint8_t *d, size_t len, uint64_t data_off)
{
    const uint8_t *start = d;
    line_t l;
    s->header_bytes += len;
    while (s->in_headers && len && smtp_take_line(&s->hl, &d, &len, &l)) {
        note_header_length(s, &l);
        on_header_line(s, l.text, l.len);
    }
    if (s->in_headers && s->header_bytes > MESSAGE_HEADER_SCAN)
        s->in_headers = 0; /* no blank line in sight: digest from here */
    if (!s->in_headers)
        smtp_digest_from(s, data_off + (uint64_t)(d - start));
}
