/* The public session API: new, feed, TCP evidence, end (the flags), report, free. */
#include <stdlib.h>
#include <string.h>

#include "pop3/internal.h"

pop3_session *pop3_session_new(int64_t ts, uint64_t frame)
{
    pop3_session *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->rep.start = ts;
    s->rep.end = ts;
    s->rep.start_frame = frame;
    s->rep.closed_by = -1;
    s->c.msg = -1;
    return s;
}

void pop3_set_observer(pop3_session *s, pop3_event_fn fn, void *ctx)
{
    s->observer = fn;
    s->observer_ctx = ctx;
}

/* A TLS handshake record (content type 22, version 3.x) as the session's first bytes: POP3S
 * (port 995), or TLS on another port. */
static int tls_first_bytes(const pop3_session *s, const uint8_t *d, size_t len)
{
    return s->rep.count.client_bytes == 0 && s->rep.count.server_bytes == 0 && d[0] == 0x16 &&
           (len < 2 || d[1] == 0x03);
}

void pop3_feed(pop3_session *s, flow_side from, const uint8_t *data, size_t len, int64_t ts,
               uint64_t frame)
{
    if (s->ended || len == 0)
        return;
    s->now = (pop3_ref){frame, ts};
    if (tls_first_bytes(s, data, len)) {
        s->rep.implicit_tls = s->tls_port;
        pop3_go_tls(s, "TLS from the first byte");
    } else if (s->tls_port && !s->rep.count.client_bytes && !s->rep.count.server_bytes) {
        pop3_note_event(s, "plain POP3 on an implicit-TLS port");
    }
    if (from == FLOW_SERVER) {
        s->rep.count.server_bytes += len;
        pop3_feed_server(s, data, len);
    } else {
        s->rep.count.client_bytes += len;
        pop3_feed_client(s, data, len);
    }
}

void pop3_tcp_fin(pop3_session *s, flow_side from, int64_t ts, uint64_t frame)
{
    (void)frame;
    if ((unsigned)from < 2 && s->rep.fin_ts[from] == 0)
        s->rep.fin_ts[from] = ts;
}

static int any_uncommitted(const pop3_report *r)
{
    for (unsigned i = 0; i < r->nmsgs; i++)
        if (r->msgs[i].deleted && !r->msgs[i].committed)
            return 1;
    return r->count.deleted_not_kept > 0 && r->quit_reply != 1;
}

/* The flags. A capture that ends (or a full stream table that drops the session) is not the
 * connection ending: nothing is said of what it cut. */
static unsigned diagnose(const pop3_report *r)
{
    int ended = r->end_reason != FLOW_END_CAPTURE_END && r->end_reason != FLOW_END_EVICTED;
    unsigned f = 0;
    if (ended && any_uncommitted(r) && !r->snaplen_cut)
        f |= POP3_FLAG_DELE_UNCOMMITTED;
    if (ended && r->cut_inside && !r->snaplen_cut)
        f |= POP3_FLAG_RETR_CUT;
    if (r->quit_reply < 0)
        f |= POP3_FLAG_QUIT_FAILED;
    if (r->locked)
        f |= POP3_FLAG_MAILBOX_LOCKED;
    /* before a login there is nothing to commit (RFC 1939: QUIT in the AUTHORIZATION state
     * only closes), and a server that refuses one, [IN-USE] say, often closes itself */
    if (ended && !r->quit && !r->tls && !r->non_pop3 && !r->snaplen_cut && r->greeting > 0 &&
        r->login > 0)
        f |= POP3_FLAG_MISSING_QUIT;
    return f;
}

void pop3_end(pop3_session *s, flow_end why, int closed_by, int64_t ts, uint64_t frame)
{
    if (s->ended)
        return;
    pop3_report *r = &s->rep;
    s->now = (pop3_ref){frame, ts};
    if (s->sm == SM_CONTENT)
        pop3_content_cut(s);
    if (s->tls_port && !r->count.client_bytes && !r->count.server_bytes)
        r->tls = r->implicit_tls = 1; /* no byte said otherwise: what the port promises */
    r->end_reason = why;
    r->closed_by = closed_by;
    r->end = ts;
    r->end_frame = frame;
    r->flags = diagnose(r);
    pop3_transcript_settle(s);
    s->ended = 1;
}

const pop3_report *pop3_get_report(const pop3_session *s)
{
    return &s->rep;
}

void pop3_session_free(pop3_session *s)
{
    if (!s)
        return;
    free(s->msgs);
    free(s->listing);
    free(s->lines);
    if (s->digest)
        XXH3_freeState(s->digest);
    free(s);
}
