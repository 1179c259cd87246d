/* The session API: an SMTP session analysed as its segments arrive, client and server bytes in
 * capture order, and diagnosed when it ends. */
#include <stdlib.h>

#include "smtp/internal.h"

smtp_session *smtp_session_new(int64_t ts, uint64_t frame)
{
    smtp_session *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->cur = NO_TXN;
    s->rep.start = ts;
    s->rep.start_frame = frame;
    s->rep.end = ts;
    s->rep.closed_by = -1;
    s->now.ref.ts = ts;
    s->now.ref.frame = frame;
    s->slow_reply = (int64_t)(SMTP_DEFAULT_SLOW_REPLY * 1e6);
    s->slow_banner = (int64_t)(SMTP_DEFAULT_SLOW_BANNER * 1e6);
    return s;
}

void smtp_session_configure(smtp_session *s, const smtp_options *o)
{
    s->slow_reply = (int64_t)(o->slow_reply * 1e6);
    s->slow_banner = (int64_t)(o->slow_banner * 1e6);
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
    if (s->tls_port)
        smtp_first_bytes_on_tls_port(s, data);
    if (dir == SMTP_CLIENT) {
        s->rep.count.client_bytes += len;
        smtp_feed_client(s, data, len);
    } else {
        s->rep.count.server_bytes += len;
        if (s->sm != SM_STOP)
            smtp_feed_server(s, data, len);
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
    if (s->cm == CM_COMMAND && !s->rep.quit && smtp_prefix_nocase(s->cl.buf, s->cl.len, "QUIT") &&
        s->cl.len <= 6) {
        s->rep.quit = 1;
        smtp_note_event(s, "QUIT without its line end");
    }
}

void smtp_end(smtp_session *s, smtp_end_reason why, int closed_by, int64_t ts, uint64_t frame)
{
    settle_partial_quit(s);
    smtp_settle_tls_port(s);
    s->now.ref.ts = ts;
    s->now.ref.frame = frame;
    s->rep.end = ts;
    s->rep.end_frame = frame;
    s->rep.end_reason = why;
    s->rep.closed_by = closed_by;
    if (closed_by >= 0)
        smtp_note_event(s, "connection ended by %s from the %s", end_name(why),
                        closed_by == SMTP_CLIENT ? "client" : "server");
    else
        smtp_note_event(s, "connection ended: %s", end_name(why));
    s->rep.flags = smtp_diagnose(s);
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
        smtp_txn_free_text(&s->txns[i]);
    if (s->spill)
        smtp_txn_free_text(s->spill);
    free(s->spill);
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
