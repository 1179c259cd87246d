/* The header section of a message: its Message-ID (folded or not), its Received: lines and
 * its longest line, read up to SMTP_HEADER_SCAN bytes; the digest starts where it ends. */
#include <stdint.h>

#include "smtp/internal.h"

void smtp_start_headers(smtp_session *s)
{
    s->in_headers = 1;
    s->header_bytes = 0;
    s->msgid_folded = 0;
    smtp_linebuf_reset(&s->hl);
    smtp_digest_start(s);
}

/* Removes the blanks (spaces, tabs) around the text at *p. */
static void trim_blanks(const char **p, size_t *len)
{
    while (*len && (**p == ' ' || **p == '\t'))
        (*p)++, (*len)--;
    while (*len && ((*p)[*len - 1] == ' ' || (*p)[*len - 1] == '\t'))
        (*len)--;
}

/* Takes the Message-ID from its header line, or from the next one when it is folded there;
 * counts the Received: lines (each relay adds one). */
static void on_header_line(smtp_session *s, const char *line, size_t len)
{
    smtp_txn *t = smtp_txn_at(s, s->cur);
    if (len == 0) {
        s->in_headers = 0; /* the blank line ends the header section */
        return;
    }
    int folded = line[0] == ' ' || line[0] == '\t';
    if (t && !folded && smtp_prefix_nocase(line, len, "Received:"))
        t->received++;
    const char *value = NULL;
    if (s->msgid_folded && folded)
        value = line;
    else if (smtp_prefix_nocase(line, len, "Message-ID:"))
        value = line + 11;
    s->msgid_folded = 0;
    if (!value || !t || t->message_id)
        return;
    size_t vlen = len - (size_t)(value - line);
    trim_blanks(&value, &vlen);
    if (vlen == 0)
        s->msgid_folded = 1;
    else
        t->message_id = smtp_dup_text(value, vlen);
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
    if (s->in_headers && s->header_bytes > SMTP_HEADER_SCAN)
        s->in_headers = 0; /* no blank line in sight: digest from here */
    if (!s->in_headers)
        smtp_digest_from(s, data_off + (uint64_t)(d - start));
}
