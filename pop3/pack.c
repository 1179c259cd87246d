/* A finished session's report as flat bytes, for worker processes (--workers) to hand to the
 * parent (the same scheme as smtp/pack.c).
 *
 * Layout (host byte order: both ends are the same program); every part 8-byte aligned:
 *   pack_header
 *   pop3_report       its pointers cleared
 *   pop3_msg[nmsgs]
 *   pop3_tline[nlines] the transcript, in order
 * Every text is a fixed array, so there are no offsets: unpacking checks the counts, that
 * each text ends within its array, each value a reader indexes a table with, and the times,
 * then points the report at its parts. */
#include <string.h>

#include "pop3/pop3.h"

#define PACK_MAGIC 0x50524f50u /* "POPR" */
enum { PACK_VERSION = 1 };
#define PACK_LAYOUT                                                                                \
    ((uint32_t)PACK_VERSION << 24 ^ (uint32_t)sizeof(pop3_report) << 12 ^                          \
     (uint32_t)sizeof(pop3_msg) << 4 ^ (uint32_t)sizeof(pop3_tline))
/* Within +-2^61 us any difference a reader takes of two times fits an int64_t. */
#define TIME_LIMIT ((int64_t)1 << 61)

typedef struct pack_header {
    uint32_t magic;
    uint32_t layout;
    uint64_t total;
} pack_header;

_Static_assert(sizeof(pack_header) % 8 == 0, "parts start 8-byte aligned");
_Static_assert(sizeof(pop3_report) % 8 == 0, "parts start 8-byte aligned");
_Static_assert(sizeof(pop3_msg) % 8 == 0, "parts start 8-byte aligned");
_Static_assert(sizeof(pop3_tline) % 8 == 0, "parts start 8-byte aligned");

static size_t msgs_at(void)
{
    return sizeof(pack_header) + sizeof(pop3_report);
}

static size_t lines_at(unsigned nmsgs)
{
    return msgs_at() + (size_t)nmsgs * sizeof(pop3_msg);
}

static size_t total_size(unsigned nmsgs, unsigned nlines)
{
    return lines_at(nmsgs) + (size_t)nlines * sizeof(pop3_tline);
}

size_t pop3_report_pack(const pop3_report *r, uint8_t *buf, size_t cap)
{
    unsigned nlines = r->lines ? r->nlines : 0;
    unsigned nmsgs = r->msgs ? r->nmsgs : 0;
    size_t total = total_size(nmsgs, nlines);
    if (total > cap)
        return total;
    pack_header h = {PACK_MAGIC, PACK_LAYOUT, total};
    pop3_report c = *r;
    c.msgs = NULL;
    c.lines = NULL;
    c.nmsgs = nmsgs;
    c.nlines = nlines;
    memcpy(buf, &h, sizeof h);
    memcpy(buf + sizeof h, &c, sizeof c);
    if (nmsgs)
        memcpy(buf + msgs_at(), r->msgs, nmsgs * sizeof(pop3_msg));
    if (nlines)
        memcpy(buf + lines_at(nmsgs), r->lines, nlines * sizeof(pop3_tline));
    return total;
}

/* ---- checking ---- */

static int time_ok(int64_t t)
{
    return t > -TIME_LIMIT && t < TIME_LIMIT;
}

static int text_ok(const char *text, size_t size)
{
    return text[size - 1] == '\0';
}

/* Read as an integer: loading a stray value as the enum would already be undefined. */
static int end_reason_ok(const pop3_report *r)
{
    uint32_t v;
    _Static_assert(sizeof r->end_reason == sizeof v, "flow_end is 32 bits");
    memcpy(&v, &r->end_reason, sizeof v);
    return v <= FLOW_END_EVICTED;
}

static int sign_ok(int v)
{
    return v >= -1 && v <= 1;
}

static int report_texts_ok(const pop3_report *r)
{
    return text_ok(r->greeting_text, sizeof r->greeting_text) &&
           text_ok(r->mailbox, sizeof r->mailbox) &&
           text_ok(r->login_error, sizeof r->login_error) &&
           text_ok(r->quit_text, sizeof r->quit_text);
}

static int report_ok(const pop3_report *r)
{
    return (r->flags >> POP3_FLAG_COUNT) == 0 && end_reason_ok(r) && r->closed_by >= -1 &&
           r->closed_by <= FLOW_SERVER && sign_ok(r->greeting) && sign_ok(r->login) &&
           sign_ok(r->quit_reply) && r->nmsgs <= POP3_MAX_MSGS && r->nlines <= POP3_TRANSCRIPT &&
           r->nhead <= r->nlines && time_ok(r->start) && time_ok(r->end) && time_ok(r->fin_ts[0]) &&
           time_ok(r->fin_ts[1]) && time_ok(r->login_error_at.ts) && report_texts_ok(r);
}

static int msg_ok(const pop3_msg *m)
{
    return text_ok(m->message_id, sizeof m->message_id) && text_ok(m->uidl, sizeof m->uidl) &&
           time_ok(m->retr_at.ts) && time_ok(m->dele_at.ts);
}

static int line_ok(const pop3_tline *t)
{
    return t->dir <= 2 && time_ok(t->ts) && text_ok(t->text, sizeof t->text);
}

int pop3_report_unpack(uint8_t *buf, size_t len, const pop3_report **out)
{
    pack_header h;
    if (!buf || (uintptr_t)buf % 8 || len < sizeof h + sizeof(pop3_report))
        return -1;
    memcpy(&h, buf, sizeof h);
    if (h.magic != PACK_MAGIC || h.layout != PACK_LAYOUT || h.total != len)
        return -1;
    pop3_report *r = (pop3_report *)(buf + sizeof h);
    if (!report_ok(r) || total_size(r->nmsgs, r->nlines) != len)
        return -1;
    pop3_msg *msgs = (pop3_msg *)(buf + msgs_at());
    pop3_tline *lines = (pop3_tline *)(buf + lines_at(r->nmsgs));
    for (unsigned i = 0; i < r->nmsgs; i++)
        if (!msg_ok(&msgs[i]))
            return -1;
    for (unsigned i = 0; i < r->nlines; i++)
        if (!line_ok(&lines[i]))
            return -1;
    r->msgs = r->nmsgs ? msgs : NULL;
    r->lines = r->nlines ? lines : NULL;
    *out = r;
    return 0;
}
