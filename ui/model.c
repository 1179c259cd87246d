/* ui model: the session table behind the live screen (see model.h). Everything is allocated
 * in ui_model_new except each ended session's detail text, so packets and SMTP events never
 * allocate. */
#include "ui/model.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/escape.h"
#include "pop3/pop3.h"
#include "ui/model_internal.h"

#define NO_SLOT SIZE_MAX

/* ---- flags ---- */

/* The serious flags as one mask (the worst-first sort counts them), made from the table at
 * compile time. */
static const unsigned serious_mask =
#define FLAG(id, name, badge, serious, cause, weight, rule, advice)                                \
    ((serious) ? SMTP_FLAG_##id : 0u) |
#include "smtp/flags.def"
    0u;

const char *ui_flag_badge(unsigned index)
{
    return index < SMTP_FLAG_COUNT ? smtp_flag(index)->info.badge : "?";
}

int ui_flag_serious(unsigned index)
{
    return index < SMTP_FLAG_COUNT && smtp_flag(index)->info.serious;
}

const flag_info *ui_proto_flag(proto_id p, unsigned i)
{
    if (p == PROTO_POP3)
        return pop3_flag(i);
    const smtp_flag_info *f = smtp_flag(i);
    return f ? &f->info : NULL;
}

const flag_info *ui_session_flag(const ui_session *s, unsigned i)
{
    return ui_proto_flag(s->proto, i);
}

/* ---- table ---- */

ui_model *ui_model_new(size_t capacity)
{
    if (capacity == 0)
        capacity = 1;
    ui_model *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->cap = capacity;
    m->slot = calloc(capacity, sizeof *m->slot);
    m->kept = calloc(capacity, sizeof *m->kept);
    m->free_slot = calloc(capacity, sizeof *m->free_slot);
    m->next = calloc(capacity, sizeof *m->next);
    m->prev = calloc(capacity, sizeof *m->prev);
    m->dups = calloc(UI_DUP_CAPACITY, sizeof *m->dups);
    m->head[0] = m->head[1] = m->tail[0] = m->tail[1] = NO_SLOT;
    if (!m->slot || !m->kept || !m->free_slot || !m->next || !m->prev || !m->dups) {
        ui_model_free(m);
        return NULL;
    }
    for (size_t i = 0; i < capacity; i++)
        m->free_slot[i] = capacity - 1 - i; /* slot 0 first: cache friendly, deterministic */
    m->nfree = capacity;
    return m;
}

void ui_model_free(ui_model *m)
{
    if (!m)
        return;
    if (m->slot)
        for (size_t i = 0; i < m->nkept; i++)
            free(m->slot[m->kept[i]].detail);
    free(m->slot);
    free(m->kept);
    free(m->next);
    free(m->prev);
    free(m->free_slot);
    free(m->dups);
    free(m);
}

/* Ended sessions queue up to make room: q 0 without flags, 1 with. */
static void enqueue(ui_model *m, size_t slot, int q)
{
    m->next[slot] = NO_SLOT;
    m->prev[slot] = m->tail[q];
    if (m->tail[q] == NO_SLOT)
        m->head[q] = slot;
    else
        m->next[m->tail[q]] = slot;
    m->tail[q] = slot;
}

static void unlink_slot(ui_model *m, size_t slot, int q)
{
    size_t p = m->prev[slot], n = m->next[slot];
    if (p == NO_SLOT)
        m->head[q] = n;
    else
        m->next[p] = n;
    if (n == NO_SLOT)
        m->tail[q] = p;
    else
        m->prev[n] = p;
}

long ui_model_find_order(const ui_model *m, uint64_t order)
{
    size_t lo = 0, hi = m->nkept;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint64_t o = m->slot[m->kept[mid]].order;
        if (o == order)
            return (long)mid;
        if (o < order)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* The oldest ended session without flags, else the oldest ended flagged one, or NO_SLOT. */
static size_t victim(const ui_model *m)
{
    return m->head[0] != NO_SLOT ? m->head[0] : m->head[1];
}

static void drop(ui_model *m, size_t slot)
{
    size_t pos = (size_t)ui_model_find_order(m, m->slot[slot].order); /* kept: found */
    unlink_slot(m, slot, m->slot[slot].flags != 0);
    free(m->slot[slot].detail);
    m->slot[slot].detail = NULL;
    memmove(m->kept + pos, m->kept + pos + 1, (m->nkept - pos - 1) * sizeof *m->kept);
    m->nkept--;
    m->free_slot[m->nfree++] = slot;
}

static void add_event(ui_session *s, int64_t ts, uint64_t frame, ui_event_kind k, int from,
                      int nparts);

ui_session *ui_model_open(ui_model *m, uint64_t id, const char *client, const char *server,
                          int64_t ts, uint64_t frame, void *owner)
{
    if (m->nfree == 0) {
        size_t v = victim(m);
        if (v == NO_SLOT) {
            m->untracked++;
            return NULL;
        }
        drop(m, v);
    }
    size_t slot = m->free_slot[--m->nfree];
    m->kept[m->nkept++] = slot;
    ui_session *s = &m->slot[slot];
    memset(s, 0, sizeof *s);
    s->id = id;
    escape_str(s->client, sizeof s->client, client);
    escape_str(s->server, sizeof s->server, server);
    s->start = s->last = ts;
    s->state = UI_ST_GREETING;
    s->owner = owner;
    s->order = ++m->next_order;
    if (m->opened && id <= m->last_id)
        m->ids_unordered = 1;
    m->last_id = id;
    m->opened++;
    add_event(s, ts, frame, UI_EV_CONNECT, SMTP_CLIENT, 0);
    return s;
}

/* ---- events ---- */

#define HALF (UI_MAX_EVENTS / 2)

const ui_event *ui_session_event(const ui_session *s, unsigned i)
{
    if (i < HALF)
        return &s->ev[i];
    return &s->ev[HALF + (s->ring_start + (i - HALF)) % HALF];
}

static ui_event *event_at(ui_session *s, unsigned i)
{
    return (ui_event *)ui_session_event(s, i);
}

/* The first half fills once; after that the second half is a ring of the latest. */
static void add_event(ui_session *s, int64_t ts, uint64_t frame, ui_event_kind k, int from,
                      int nparts)
{
    ui_event e = {.ts = ts,
                  .frame = frame,
                  .kind = (uint8_t)k,
                  .from = (uint8_t)from,
                  .nparts = (uint8_t)nparts};
    if (s->nev < UI_MAX_EVENTS) {
        s->ev[s->nev++] = e;
    } else {
        s->ev[HALF + s->ring_start] = e;
        s->ring_start = (s->ring_start + 1) % HALF;
        s->ev_dropped++;
    }
    if (ts > s->last)
        s->last = ts;
}

static const ui_event *last_event(const ui_session *s)
{
    return s->nev ? ui_session_event(s, s->nev - 1) : NULL;
}

/* A masked line after a normal first greeting line: the banner was masked after all. */
static void on_greeting(ui_session *s, const smtp_event *ev)
{
    if (ev->masked) {
        for (unsigned i = s->nev; i-- > 0;) {
            ui_event *e = event_at(s, i);
            if (e->kind == UI_EV_BANNER) {
                e->kind = UI_EV_BANNER_MASKED;
                return;
            }
        }
    }
    add_event(s, ev->ts, ev->frame, ev->masked ? UI_EV_BANNER_MASKED : UI_EV_BANNER, SMTP_SERVER,
              0);
    if (s->state == UI_ST_GREETING)
        s->state = UI_ST_HELO;
}

static void on_command(ui_session *s, const smtp_event *ev)
{
    ui_event_kind k;
    ui_state st = s->state;
    switch (ev->verb) {
    case SMTP_VERB_HELO:
    case SMTP_VERB_EHLO:
        k = UI_EV_HELO;
        st = UI_ST_HELO;
        break;
    case SMTP_VERB_MAIL:
        k = UI_EV_MAIL;
        st = UI_ST_MAIL;
        break;
    case SMTP_VERB_RCPT:
        k = UI_EV_RCPT;
        st = UI_ST_MAIL;
        break;
    case SMTP_VERB_DATA:
    case SMTP_VERB_BDAT:
        k = UI_EV_DATA;
        st = UI_ST_DATA;
        break;
    case SMTP_VERB_STARTTLS:
        k = UI_EV_STARTTLS;
        break;
    case SMTP_VERB_QUIT:
        k = UI_EV_QUIT;
        st = UI_ST_QUIT;
        break;
    default:
        return;
    }
    s->state = st;
    const ui_event *prev = last_event(s);
    if (k == UI_EV_RCPT && prev && prev->kind == UI_EV_RCPT)
        return; /* a run of RCPTs is one event (the first): 100 recipients stay readable */
    add_event(s, ev->ts, ev->frame, k, SMTP_CLIENT, 0);
}

static void on_reply(ui_session *s, const smtp_event *ev)
{
    int ok = ev->code >= 200 && ev->code < 300;
    switch (ev->verb) {
    case SMTP_VERB_HELO:
    case SMTP_VERB_EHLO:
        if (ev->verb == SMTP_VERB_EHLO && ev->code >= 500 && ev->code < 600)
            add_event(s, ev->ts, ev->frame, UI_EV_HELO_REFUSED, SMTP_SERVER, 0);
        if (ok && s->state == UI_ST_HELO)
            s->state = UI_ST_READY;
        break;
    case SMTP_VERB_BDAT: /* a chunk before the last: only a refusal ends the message */
        if (ok)
            break;
        /* fall through */
    case SMTP_VERB_EOD: /* the terminator, or the BDAT LAST chunk */
        add_event(s, ev->ts, ev->frame, ok ? UI_EV_EOD_REPLY_OK : UI_EV_EOD_REPLY_FAIL, SMTP_SERVER,
                  0);
        s->eod_wait = 0;
        if (s->state == UI_ST_WAIT_EOD || !ok)
            s->state = UI_ST_READY;
        break;
    case SMTP_VERB_DATA:
        if (ev->code != 354 && s->state == UI_ST_DATA)
            s->state = UI_ST_READY;
        break;
    case SMTP_VERB_RSET:
        if (ok)
            s->state = UI_ST_READY;
        break;
    case SMTP_VERB_STARTTLS:
        if (ev->code == 220)
            s->state = UI_ST_TLS;
        break;
    case SMTP_VERB_QUIT:
        if (ev->code == 221)
            add_event(s, ev->ts, ev->frame, UI_EV_QUIT_REPLY, SMTP_SERVER, 0);
        break;
    default:
        break;
    }
}

static void on_eod(ui_session *s, const smtp_event *ev)
{
    const smtp_eod *e = ev->eod;
    int n = e ? e->nparts : 0;
    if (n > 5)
        n = 5;
    if (n <= 0) {
        add_event(s, ev->ts, ev->frame, UI_EV_EOD_PART, SMTP_CLIENT, 1);
        s->eod_wait = ev->ts;
    } else {
        for (int i = 0; i < n; i++)
            add_event(s, e->part[i].ts, e->part[i].frame, UI_EV_EOD_PART, SMTP_CLIENT, n);
        s->eod_wait = e->part[n - 1].ts;
    }
    s->messages++;
    s->state = UI_ST_WAIT_EOD;
}

void ui_model_smtp_event(ui_model *m, ui_session *s, const smtp_event *ev)
{
    (void)m;
    if (!s || !ev || s->ended)
        return;
    switch (ev->kind) {
    case SMTP_EV_GREETING:
        on_greeting(s, ev);
        break;
    case SMTP_EV_COMMAND:
        on_command(s, ev);
        break;
    case SMTP_EV_REPLY:
        on_reply(s, ev);
        break;
    case SMTP_EV_EOD:
        on_eod(s, ev);
        break;
    case SMTP_EV_TLS:
        s->state = UI_ST_TLS;
        break;
    }
}

/* ---- POP3 events ---- */

static int verb_is(const pop3_event *ev, const char *verb)
{
    return ev->verb && strcmp(ev->verb, verb) == 0;
}

static void pop3_command(ui_session *s, const pop3_event *ev)
{
    if (verb_is(ev, "QUIT")) {
        s->state = UI_ST_QUIT;
        add_event(s, ev->ts, ev->frame, UI_EV_QUIT, SMTP_CLIENT, 0);
        return;
    }
    if (!verb_is(ev, "LIST") && !verb_is(ev, "UIDL"))
        return;
    const ui_event *prev = last_event(s);
    if (prev && prev->kind == UI_EV_POP3_LIST)
        return; /* LIST 1, LIST 2, ... is one event: the strip stays readable */
    add_event(s, ev->ts, ev->frame, UI_EV_POP3_LIST, SMTP_CLIENT, 0);
}

/* The answers the strip shows: a login settled, a download begun, a DELE, QUIT's +OK (which
 * commits the DELEs). */
static void pop3_response(ui_session *s, const pop3_event *ev)
{
    ui_event_kind k;
    if (ev->login) {
        k = ev->ok ? UI_EV_POP3_LOGIN : UI_EV_POP3_LOGIN_REFUSED;
        if (ev->ok && s->state == UI_ST_LOGIN)
            s->state = UI_ST_READY;
    } else if (!ev->ok) {
        return;
    } else if (verb_is(ev, "RETR") || verb_is(ev, "TOP")) {
        k = UI_EV_POP3_RETR;
        s->state = UI_ST_RETR;
    } else if (verb_is(ev, "DELE")) {
        k = UI_EV_POP3_DELE;
    } else if (verb_is(ev, "QUIT")) {
        k = UI_EV_QUIT_REPLY;
    } else {
        return;
    }
    add_event(s, ev->ts, ev->frame, k, SMTP_SERVER, 0);
}

static void pop3_message(ui_session *s, const pop3_event *ev)
{
    add_event(s, ev->ts, ev->frame, ev->ok ? UI_EV_POP3_RETR_DONE : UI_EV_POP3_RETR_CUT,
              SMTP_SERVER, 0);
    s->messages++;
    if (s->state == UI_ST_RETR)
        s->state = UI_ST_READY;
}

void ui_model_pop3_event(ui_model *m, ui_session *s, const pop3_event *ev)
{
    (void)m;
    if (!s || !ev || s->ended)
        return;
    switch (ev->kind) {
    case POP3_EV_GREETING:
        add_event(s, ev->ts, ev->frame, UI_EV_BANNER, SMTP_SERVER, 0);
        if (s->state == UI_ST_GREETING)
            s->state = UI_ST_LOGIN;
        break;
    case POP3_EV_COMMAND:
        pop3_command(s, ev);
        break;
    case POP3_EV_RESPONSE:
        pop3_response(s, ev);
        break;
    case POP3_EV_MESSAGE:
        pop3_message(s, ev);
        break;
    case POP3_EV_TLS:
        add_event(s, ev->ts, ev->frame, UI_EV_STARTTLS, SMTP_SERVER, 0);
        s->state = UI_ST_TLS;
        break;
    }
}

void ui_model_tcp_end(ui_model *m, ui_session *s, int rst, smtp_dir from, int64_t ts,
                      uint64_t frame)
{
    (void)m;
    if (!s || s->ended)
        return;
    add_event(s, ts, frame, rst ? UI_EV_RST : UI_EV_FIN, from, 0);
}

/* Sanitised (newlines kept: the pane shows it line by line) and bounded; a cut says so. */
static void copy_detail(ui_session *s, const char *detail, size_t len)
{
    static const char cut[] = "\n[... detail truncated]\n";
    if (!detail || len == 0)
        return;
    s->detail = malloc(UI_DETAIL_MAX);
    if (!s->detail)
        return;
    size_t room = UI_DETAIL_MAX - sizeof cut; /* sizeof counts the NUL */
    size_t n = escape_text(s->detail, room + 1, detail, len, 1);
    if (escape_len(detail, len, 1) > room) { /* the whole did not fit */
        memcpy(s->detail + n, cut, sizeof cut);
        n += sizeof cut - 1;
    }
    s->detail_len = n;
    /* Kept for as long as the session is on screen: give back what the text did not use. */
    char *fit = realloc(s->detail, n + 1);
    if (fit)
        s->detail = fit;
}

void ui_model_set_proto(ui_model *m, ui_session *s, proto_id p)
{
    if (!s || s->proto == p || (unsigned)p >= PROTO_COUNT)
        return;
    s->proto = p;
    m->proto_sessions[p]++;
}

void ui_model_event(ui_model *m, ui_session *s, proto_id proto, const void *event)
{
    if (proto == PROTO_SMTP) {
        ui_model_smtp_event(m, s, event);
    } else if (proto == PROTO_POP3) {
        ui_model_set_proto(m, s, proto); /* in case the opener did not say */
        ui_model_pop3_event(m, s, event);
    }
}

/* A POP3 session's ending: its flags (by its own table), its mailbox for the / filter. */
static void end_pop3(ui_model *m, ui_session *s, const pop3_report *r)
{
    ui_model_set_proto(m, s, PROTO_POP3);
    s->flags = r->flags;
    s->end_reason = (smtp_end_reason)r->end_reason;
    if (r->end > s->last)
        s->last = r->end;
    escape_str(s->mail_from, sizeof s->mail_from, r->mailbox);
}

/* The header's counts, per protocol: a POP3 bit means something else than the SMTP one. */
static void count_flags(ui_model *m, const ui_session *s)
{
    int pop3 = s->proto == PROTO_POP3;
    uint64_t *count = pop3 ? m->pop3_flag_count : m->flag_count;
    unsigned n = pop3 ? POP3_FLAG_COUNT : SMTP_FLAG_COUNT;
    for (unsigned i = 0; i < n; i++)
        if (s->flags & (1u << i))
            count[i]++;
}

void ui_model_end(ui_model *m, ui_session *s, const flow_report *f, const char *detail, size_t len)
{
    const smtp_report *r = f && f->proto == PROTO_SMTP ? f->report : NULL;
    if (!s || s->ended)
        return;
    if (f && f->proto == PROTO_POP3)
        end_pop3(m, s, f->report);
    s->ended = 1;
    s->state = UI_ST_CLOSED;
    s->owner = NULL;
    if (r) {
        s->flags = r->flags;
        s->end_reason = r->end_reason;
        if (r->end > s->last)
            s->last = r->end;
        if (r->ntxn > 0 && r->txns && r->txns[0].mail_from)
            escape_str(s->mail_from, sizeof s->mail_from, r->txns[0].mail_from);
    }
    copy_detail(s, detail, len);
    enqueue(m, (size_t)(s - m->slot), s->flags != 0);
    m->ended++;
    count_flags(m, s);
}

/* ---- accessors ---- */

const char *ui_state_name(ui_state st)
{
    static const char *const name[UI_ST_COUNT] = {"greeting", "helo",     "ready", "mail",
                                                  "data",     "wait-eod", "tls",   "quit",
                                                  "closed",   "login",    "retr"};
    return (unsigned)st < UI_ST_COUNT ? name[st] : "?";
}

ui_capture *ui_model_capture(ui_model *m)
{
    return &m->capture;
}

size_t ui_model_count(const ui_model *m)
{
    return m->nkept;
}

const ui_session *ui_model_session(const ui_model *m, size_t i)
{
    return i < m->nkept ? &m->slot[m->kept[i]] : NULL;
}

long ui_model_find_id(const ui_model *m, uint64_t id)
{
    if (m->ids_unordered) {
        for (size_t i = 0; i < m->nkept; i++)
            if (m->slot[m->kept[i]].id == id)
                return (long)i;
        return -1;
    }
    size_t lo = 0, hi = m->nkept;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint64_t got = m->slot[m->kept[mid]].id;
        if (got == id)
            return (long)mid;
        if (got < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

uint64_t ui_model_untracked(const ui_model *m)
{
    return m->untracked;
}

uint64_t ui_model_open_count(const ui_model *m)
{
    return m->opened - m->ended;
}

uint64_t ui_model_ended_count(const ui_model *m)
{
    return m->ended;
}

uint64_t ui_model_flag_count(const ui_model *m, unsigned flag_index)
{
    return flag_index < SMTP_FLAG_COUNT ? m->flag_count[flag_index] : 0;
}

uint64_t ui_model_proto_flag_count(const ui_model *m, proto_id p, unsigned flag_index)
{
    if (p == PROTO_POP3)
        return flag_index < POP3_FLAG_COUNT ? m->pop3_flag_count[flag_index] : 0;
    return ui_model_flag_count(m, flag_index);
}

uint64_t ui_model_proto_sessions(const ui_model *m, proto_id p)
{
    return (unsigned)p < PROTO_COUNT ? m->proto_sessions[p] : 0;
}

/* ---- rows ---- */

const char *ui_sort_name(ui_sort s)
{
    static const char *const name[UI_SORT_COUNT] = {"newest", "worst", "oldest"};
    return (unsigned)s < UI_SORT_COUNT ? name[s] : "?";
}

/* Serious findings weigh more than all the others together. */
static unsigned severity(const ui_session *s)
{
    unsigned mask = serious_mask;
    if (s->proto != PROTO_SMTP)
        for (unsigned i = mask = 0; ui_session_flag(s, i); i++)
            mask |= ui_session_flag(s, i)->serious ? 1u << i : 0u;
    unsigned serious = (unsigned)__builtin_popcount(s->flags & mask);
    unsigned other = (unsigned)__builtin_popcount(s->flags & ~mask);
    if (!s->ended && s->eod_wait)
        serious++;
    return serious * 64 + other;
}

static int flagged(const ui_session *s)
{
    return s->flags != 0 || (!s->ended && s->eod_wait);
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static int has_text(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] && lower(hay[i]) == lower(needle[i]))
            i++;
        if (i == n)
            return 1;
    }
    return n == 0;
}

static int passes(const ui_session *s, const ui_filter *f)
{
    if (!f)
        return 1;
    if (f->flagged_only && !flagged(s))
        return 0;
    if (!f->text[0])
        return 1;
    return has_text(s->client, f->text) || has_text(s->server, f->text) ||
           has_text(s->mail_from, f->text);
}

typedef struct row_key {
    size_t idx;
    unsigned sev;
    uint64_t order;
} row_key;

static int by_newest(const void *a, const void *b)
{
    const row_key *x = a, *y = b;
    return x->order < y->order ? 1 : x->order > y->order ? -1 : 0;
}

static int by_oldest(const void *a, const void *b)
{
    return by_newest(b, a);
}

static int by_worst(const void *a, const void *b)
{
    const row_key *x = a, *y = b;
    if (x->sev != y->sev)
        return x->sev < y->sev ? 1 : -1;
    return by_newest(a, b);
}

size_t ui_rows(const ui_model *m, const ui_filter *f, ui_sort sort, size_t *rows, size_t cap)
{
    row_key *k = malloc((m->nkept ? m->nkept : 1) * sizeof *k); /* per draw, not per packet */
    size_t n = 0;
    if (!k)
        return 0;
    for (size_t i = 0; i < m->nkept; i++) {
        const ui_session *s = &m->slot[m->kept[i]];
        if (passes(s, f))
            k[n++] = (row_key){.idx = i, .sev = severity(s), .order = s->order};
    }
    int (*cmp)(const void *, const void *) = sort == UI_SORT_WORST    ? by_worst
                                             : sort == UI_SORT_OLDEST ? by_oldest
                                                                      : by_newest;
    qsort(k, n, sizeof *k, cmp);
    if (n > cap)
        n = cap;
    for (size_t i = 0; i < n; i++)
        rows[i] = k[i].idx;
    free(k);
    return n;
}
