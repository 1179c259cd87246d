/* A RETR or TOP response's message as it goes by: its end (CRLF.CRLF, cut anywhere across
 * segments; a line beginning with a dot is dot-stuffed and is not the end), its header
 * section (the Message-ID, by message/'s rules) and the digest of the body after it. Only
 * the header line being read is kept. The digest covers what SMTP's does: the octets as
 * transferred (dot-stuffed, as an SMTP DATA body is), after the blank line that ends the
 * headers, up to the terminating dot, so a message relayed by SMTP and then downloaded by
 * POP3 has one digest. */
#include <string.h>

#include "pop3/internal.h"

void pop3_content_start(pop3_session *s, uint32_t number, int top)
{
    content *c = &s->c;
    pop3_msg *m = pop3_msg_get(s, number);
    memset(c, 0, sizeof *c);
    c->msg = m ? (int)(m - s->msgs) : -1;
    c->number = number;
    c->top = top;
    c->bol = 1; /* the +OK line's end is the first line end */
    c->in_headers = 1;
    if (!s->digest)
        s->digest = XXH3_createState();
    if (s->digest)
        XXH3_128bits_reset(s->digest);
    s->rep.count.retrieved++;
    s->sm = SM_CONTENT;
}

static pop3_msg *content_msg(pop3_session *s)
{
    return s->c.msg >= 0 ? &s->msgs[s->c.msg] : NULL;
}

static void header_line(content *c, const char *line, size_t len)
{
    const char *v;
    size_t vlen;
    switch (message_header_line(&c->mh, line, len, &v, &vlen)) {
    case MESSAGE_HEADER_END:
        c->in_headers = 0;
        c->digesting = 1;
        break;
    case MESSAGE_HEADER_MESSAGE_ID:
        if (!c->message_id[0])
            pop3_copy_text(c->message_id, sizeof c->message_id, v, vlen);
        break;
    default:
        break;
    }
}

/* Header bytes: p holds part of a line, or the rest of one up to its LF. */
static void scan_header(content *c, const uint8_t *p, size_t n)
{
    c->header_bytes += n;
    size_t room = POP3_LINE_MAX - c->hl.len;
    size_t keep = n < room ? n : room;
    memcpy(c->hl.buf + c->hl.len, p, keep);
    c->hl.len += keep;
    if (p[n - 1] == '\n') {
        size_t len = c->hl.len;
        while (len && (c->hl.buf[len - 1] == '\n' || c->hl.buf[len - 1] == '\r'))
            len--;
        header_line(c, c->hl.buf, len);
        c->hl.len = 0;
    }
    if (c->in_headers && p[n - 1] == '\n' && c->header_bytes > MESSAGE_HEADER_SCAN) {
        c->in_headers = 0; /* no blank line in sight: digest from here, as SMTP does */
        c->digesting = 1;
    }
}

/* Message octets (n > 0, never past a line's LF). */
static void take(pop3_session *s, const uint8_t *p, size_t n)
{
    content *c = &s->c;
    c->octets += n;
    if (c->in_headers)
        scan_header(c, p, n);
    else if (c->digesting && s->digest) {
        XXH3_128bits_update(s->digest, p, n);
        c->body_bytes += n;
    }
}

static void finish(pop3_session *s, int complete)
{
    content *c = &s->c;
    pop3_msg *m = content_msg(s);
    s->sm = SM_RESPONSE;
    if (complete)
        s->rep.count.retrieved_complete++;
    pop3_notify(
        s, (pop3_event){.kind = POP3_EV_MESSAGE, .verb = c->top ? "TOP" : "RETR", .ok = complete});
    pop3_note_event(s, "%s %u: %llu octets%s", c->top ? "TOP" : "message", (unsigned)c->number,
                    (unsigned long long)c->octets, complete ? "" : ", cut");
    if (!m)
        return;
    m->octets = c->octets;
    m->complete = (uint8_t)complete;
    if (c->message_id[0])
        memcpy(m->message_id, c->message_id, sizeof m->message_id);
    if (complete && !c->top && c->body_bytes > 0 && s->digest) {
        message_digest_final(s->digest, m->digest);
        m->has_digest = 1;
        m->body_bytes = c->body_bytes;
    }
}

/* The bytes held at a line start ("." or ".\r") were not the terminator: they are the
 * message's. */
static void release_held(pop3_session *s)
{
    static const uint8_t held[2] = {'.', '\r'};
    take(s, held, s->c.held);
    s->c.held = 0;
    s->c.bol = 0;
}

/* At a held dot: 1 when byte b ends the message (the terminator's last byte). */
static int held_ends(pop3_session *s, uint8_t b)
{
    content *c = &s->c;
    if (c->held == 1 && b == '\r') {
        c->held = 2;
        return 0;
    }
    if (b == '\n') /* ".\r\n", or a bare ".\n" */
        return 1;
    release_held(s);
    return -1; /* b is an ordinary byte: look at it again */
}

size_t pop3_content_feed(pop3_session *s, const uint8_t *d, size_t len)
{
    content *c = &s->c;
    size_t i = 0;
    while (i < len) {
        if (c->held) {
            int r = held_ends(s, d[i]);
            if (r == 1) {
                finish(s, 1);
                return i + 1;
            }
            i += r == 0;
        } else if (c->bol && d[i] == '.') {
            c->held = 1;
            i++;
        } else {
            const uint8_t *nl = memchr(d + i, '\n', len - i);
            size_t n = nl ? (size_t)(nl - d) + 1 - i : len - i;
            take(s, d + i, n);
            c->bol = nl != NULL;
            i += n;
        }
    }
    return len;
}

/* The connection ended inside the content: what was received is kept, not digested. */
void pop3_content_cut(pop3_session *s)
{
    s->rep.cut_inside = 1;
    s->rep.cut_number = s->c.number;
    s->rep.cut_octets = s->c.octets + s->c.held;
    s->rep.cut_top = s->c.top;
    finish(s, 0);
}
