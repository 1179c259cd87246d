/* A finished session's report as flat bytes, for worker processes (--workers) to hand to the
 * parent, which reports and correlates as if it had analysed the session itself.
 *
 * Layout (host byte order: both ends are the same program on the same machine); every part
 * starts 8-byte aligned:
 *   pack_header
 *   smtp_report        its pointers cleared, tail_start 0
 *   smtp_txn[ntxn]     mail_from, rcpt[0 .. nrcpt-1], message_id hold offsets from the
 *                      start of the bytes (0: NULL)
 *   smtp_tline[nhead]  the first transcript lines
 *   smtp_tline[ntail]  the latest lines, oldest first: with tail_start 0 the ring is in order
 *   strings            NUL-terminated, back to back
 *   padding            zeros up to a multiple of 8, so that packed reports can follow each
 *                      other in one buffer
 * Array positions follow from the counts; only strings have stored offsets.
 *
 * Unpacking trusts nothing: the bytes come through a pipe from another process. Besides the
 * bounds of every array and string, it checks each value a reader indexes a table with,
 * loops over, or takes a difference of, so that no reader can go out of bounds or overflow
 * on a corrupted buffer. */
#include <string.h>

#include "smtp/internal.h"

#define PACK_MAGIC 0x50524d53u /* "SMRP" */
enum { PACK_VERSION = 1 };
/* The version and this build's struct sizes: bytes from another layout are refused. */
#define PACK_LAYOUT                                                                                \
    ((uint32_t)PACK_VERSION << 24 ^ (uint32_t)sizeof(smtp_report) << 12 ^                          \
     (uint32_t)sizeof(smtp_txn) << 4 ^ (uint32_t)sizeof(smtp_tline))

/* Sniff keeps packet times within 0 .. 2^40 s. Within +-2^61 us, any difference a reader
 * takes of two times fits an int64_t, even on its way back from a double. */
#define TIME_LIMIT ((int64_t)1 << 61)

typedef struct pack_header {
    uint32_t magic;
    uint32_t layout; /* PACK_LAYOUT */
    uint64_t total;  /* bytes, this header and the padding included */
} pack_header;

_Static_assert(sizeof(pack_header) % 8 == 0, "parts start 8-byte aligned");
_Static_assert(sizeof(smtp_report) % 8 == 0, "parts start 8-byte aligned");
_Static_assert(sizeof(smtp_txn) % 8 == 0, "parts start 8-byte aligned");
_Static_assert(sizeof(smtp_tline) % 8 == 0, "parts start 8-byte aligned");
_Static_assert(sizeof(uintptr_t) == sizeof(char *), "an offset fits a pointer's place");

/* Where each part starts, from the counts. */
typedef struct pack_layout {
    size_t txns, head, tail, strings;
} pack_layout;

static pack_layout layout_of(unsigned ntxn, unsigned nhead, unsigned ntail)
{
    pack_layout l;
    l.txns = sizeof(pack_header) + sizeof(smtp_report);
    l.head = l.txns + (size_t)ntxn * sizeof(smtp_txn);
    l.tail = l.head + (size_t)nhead * sizeof(smtp_tline);
    l.strings = l.tail + (size_t)ntail * sizeof(smtp_tline);
    return l;
}

static size_t align8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

/* ---- packing ---- */

/* Readers print rcpt[i] for every i < nrcpt: one lost to a failed allocation travels as
 * an empty address rather than as a NULL they would follow. */
static const char *rcpt_text(const char *s)
{
    return s ? s : "";
}

static size_t string_size(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

static size_t txn_strings_size(const smtp_txn *t)
{
    size_t n = string_size(t->mail_from) + string_size(t->message_id);
    for (unsigned i = 0; i < t->nrcpt; i++)
        n += string_size(rcpt_text(t->rcpt[i]));
    return n;
}

static size_t packed_size(const smtp_report *r)
{
    pack_layout l = layout_of(r->ntxn, r->nhead, r->ntail);
    size_t n = l.strings;
    for (unsigned i = 0; i < r->ntxn; i++)
        n += txn_strings_size(&r->txns[i]);
    return align8(n);
}

typedef struct packer {
    uint8_t *buf;
    size_t next; /* where the next string goes */
} packer;

static uintptr_t put_string(packer *p, const char *s)
{
    if (!s)
        return 0;
    size_t n = strlen(s) + 1;
    memcpy(p->buf + p->next, s, n);
    uintptr_t at = p->next;
    p->next += n;
    return at;
}

static void set_offset(char **slot, uintptr_t off)
{
    memcpy(slot, &off, sizeof off);
}

static void put_txn(packer *p, size_t at, const smtp_txn *t)
{
    smtp_txn c = *t;
    set_offset(&c.mail_from, put_string(p, t->mail_from));
    for (unsigned i = 0; i < SMTP_MAX_RCPTS; i++)
        set_offset(&c.rcpt[i], i < t->nrcpt ? put_string(p, rcpt_text(t->rcpt[i])) : 0);
    set_offset(&c.message_id, put_string(p, t->message_id));
    memcpy(p->buf + at, &c, sizeof c);
}

static void put_report(uint8_t *buf, const smtp_report *r)
{
    smtp_report c = *r;
    c.txns = NULL;
    c.head = NULL;
    c.tail = NULL;
    c.tail_start = 0;
    memcpy(buf + sizeof(pack_header), &c, sizeof c);
}

static void put_lines(uint8_t *buf, const pack_layout *l, const smtp_report *r)
{
    for (unsigned i = 0; i < r->nhead; i++)
        memcpy(buf + l->head + i * sizeof(smtp_tline), &r->head[i], sizeof(smtp_tline));
    for (unsigned i = 0; i < r->ntail; i++)
        memcpy(buf + l->tail + i * sizeof(smtp_tline), smtp_tail_line(r, i), sizeof(smtp_tline));
}

size_t smtp_report_pack(const smtp_report *r, uint8_t *buf, size_t cap)
{
    size_t total = packed_size(r);
    if (total > cap)
        return total;
    pack_header h = {PACK_MAGIC, PACK_LAYOUT, total};
    memcpy(buf, &h, sizeof h);
    put_report(buf, r);
    pack_layout l = layout_of(r->ntxn, r->nhead, r->ntail);
    packer p = {buf, l.strings};
    for (unsigned i = 0; i < r->ntxn; i++)
        put_txn(&p, l.txns + i * sizeof(smtp_txn), &r->txns[i]);
    put_lines(buf, &l, r);
    memset(buf + p.next, 0, total - p.next);
    return total;
}

/* ---- checking ---- */

static int header_ok(const uint8_t *buf, size_t len)
{
    pack_header h;
    if (len < sizeof h + sizeof(smtp_report) || len % 8)
        return 0;
    memcpy(&h, buf, sizeof h);
    return h.magic == PACK_MAGIC && h.layout == PACK_LAYOUT && h.total == len;
}

static int time_ok(int64_t t)
{
    return t > -TIME_LIMIT && t < TIME_LIMIT;
}

/* Fixed text arrays are printed with strlen. */
static int text_ok(const char *text, size_t size)
{
    return text[size - 1] == '\0';
}

/* Read as an integer: loading a stray value as the enum would already be undefined. */
static int end_reason_ok(const smtp_report *r)
{
    uint32_t v;
    _Static_assert(sizeof r->end_reason == sizeof v, "smtp_end_reason is 32 bits");
    memcpy(&v, &r->end_reason, sizeof v);
    return v <= SMTP_END_EVICTED;
}

/* Readers print its text and take differences of its time. */
static int reply_ref_ok(const smtp_reply_ref *ref)
{
    return time_ok(ref->at.ts) && text_ok(ref->text, sizeof ref->text);
}

static int prints_ok(const smtp_report *r)
{
    for (unsigned i = 0; i < SMTP_PRINT_COUNT; i++)
        if (!text_ok(r->prints[i].line, sizeof r->prints[i].line))
            return 0;
    return 1;
}

/* Counts bound the arrays; the ring is in order, so smtp_tail_line(i) is line i. */
static int counts_ok(const smtp_report *r)
{
    return r->ntxn <= SMTP_MAX_TXNS && r->nhead <= HEAD_LINES && r->ntail <= TAIL_LINES &&
           r->tail_start == 0;
}

static int report_times_ok(const smtp_report *r)
{
    return time_ok(r->start) && time_ok(r->end) && time_ok(r->banner.at.ts) &&
           time_ok(r->tcp.fin_ts[0]) && time_ok(r->tcp.fin_ts[1]);
}

static int report_ok(const smtp_report *r)
{
    /* a positive test, so that NaN fails it: readers turn it into integers */
    int confidence_ok = r->inspection_confidence >= 0.0 && r->inspection_confidence <= 1.0;
    return (r->flags >> SMTP_FLAG_COUNT) == 0 && end_reason_ok(r) && r->closed_by >= -1 &&
           r->closed_by <= SMTP_SERVER && confidence_ok && counts_ok(r) && report_times_ok(r) &&
           text_ok(r->helo, sizeof r->helo) && text_ok(r->banner.text, sizeof r->banner.text) &&
           reply_ref_ok(&r->busy) && prints_ok(r);
}

/* Readers take part[nparts - 1] of a terminator seen and format term[0 .. term_len-1]. */
static int eod_ok(const smtp_eod *e)
{
    int nparts_ok = e->nparts >= (e->seen ? 1 : 0) && e->nparts <= 5;
    if (!nparts_ok || e->term_len > sizeof e->term || !time_ok(e->reply_at.ts) ||
        !text_ok(e->reply_text, sizeof e->reply_text))
        return 0;
    for (int i = 0; i < e->nparts; i++)
        if (!time_ok(e->part[i].ts))
            return 0;
    return 1;
}

static uintptr_t offset_in(const void *slot)
{
    uintptr_t off;
    memcpy(&off, slot, sizeof off);
    return off;
}

/* A string lies in the strings part and ends within it, as short as the analyser keeps. */
static int string_ok(const uint8_t *buf, size_t len, size_t first, uintptr_t off, int may_be_null)
{
    if (off == 0)
        return may_be_null;
    if (off < first || off >= len)
        return 0;
    size_t room = len - off < SMTP_TEXT_MAX ? len - off : SMTP_TEXT_MAX;
    return memchr(buf + off, '\0', room) != NULL;
}

static int txn_strings_ok(const smtp_txn *t, const uint8_t *buf, size_t len, size_t first)
{
    if (!string_ok(buf, len, first, offset_in(&t->mail_from), 1) ||
        !string_ok(buf, len, first, offset_in(&t->message_id), 1))
        return 0;
    for (unsigned i = 0; i < t->nrcpt; i++)
        if (!string_ok(buf, len, first, offset_in(&t->rcpt[i]), 0))
            return 0;
    return 1;
}

static int txn_ok(const smtp_txn *t, const uint8_t *buf, size_t len, size_t first)
{
    return t->nrcpt <= SMTP_MAX_RCPTS && time_ok(t->data_at.ts) && eod_ok(&t->eod) &&
           reply_ref_ok(&t->too_big) && txn_strings_ok(t, buf, len, first);
}

/* dir picks the "C:", "S:" or "--" prefix. */
static int line_ok(const smtp_tline *t)
{
    return t->dir <= 2 && time_ok(t->ts) && text_ok(t->text, sizeof t->text);
}

static int parts_ok(const smtp_report *r, const uint8_t *buf, size_t len, const pack_layout *l)
{
    const smtp_txn *txns = (const smtp_txn *)(buf + l->txns);
    const smtp_tline *lines = (const smtp_tline *)(buf + l->head);
    for (unsigned i = 0; i < r->ntxn; i++)
        if (!txn_ok(&txns[i], buf, len, l->strings))
            return 0;
    for (unsigned i = 0; i < r->nhead + r->ntail; i++)
        if (!line_ok(&lines[i]))
            return 0;
    return 1;
}

/* ---- unpacking: everything checked, then the offsets become pointers ---- */

static char *string_at(uint8_t *buf, const void *slot)
{
    uintptr_t off = offset_in(slot);
    return off ? (char *)buf + off : NULL;
}

static void link_txn(smtp_txn *t, uint8_t *buf)
{
    t->mail_from = string_at(buf, &t->mail_from);
    for (unsigned i = 0; i < SMTP_MAX_RCPTS; i++)
        t->rcpt[i] = i < t->nrcpt ? string_at(buf, &t->rcpt[i]) : NULL;
    t->message_id = string_at(buf, &t->message_id);
}

/* Empty parts stay NULL, as in a session that never had them. */
static void link_report(smtp_report *r, uint8_t *buf, const pack_layout *l)
{
    smtp_txn *txns = (smtp_txn *)(buf + l->txns);
    for (unsigned i = 0; i < r->ntxn; i++)
        link_txn(&txns[i], buf);
    r->txns = r->ntxn ? txns : NULL;
    r->head = r->nhead ? (const smtp_tline *)(buf + l->head) : NULL;
    r->tail = r->ntail ? (const smtp_tline *)(buf + l->tail) : NULL;
}

int smtp_report_unpack(uint8_t *buf, size_t len, const smtp_report **out)
{
    if (!buf || (uintptr_t)buf % 8 || !header_ok(buf, len))
        return -1;
    smtp_report *r = (smtp_report *)(buf + sizeof(pack_header));
    if (!report_ok(r))
        return -1;
    pack_layout l = layout_of(r->ntxn, r->nhead, r->ntail);
    if (l.strings > len || !parts_ok(r, buf, len, &l))
        return -1;
    link_report(r, buf, &l);
    *out = r;
    return 0;
}
