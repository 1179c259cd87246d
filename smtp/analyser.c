/* analyser: the SMTP analyser as the pipeline sees it (analyser/analyser.h): the session API
 * of smtp.h behind the protocol-neutral functions, and how SMTP is recognised on any port
 * (--detect) and in a connection seen without its handshake. */
#include <string.h>

#include "analyser/analyser.h"
#include "smtp/smtp.h"

/* The neutral sides and ends are SMTP's, value for value. */
_Static_assert((int)FLOW_CLIENT == (int)SMTP_CLIENT && (int)FLOW_SERVER == (int)SMTP_SERVER,
               "flow sides");
_Static_assert((int)FLOW_END_FIN == (int)SMTP_END_FIN && (int)FLOW_END_RST == (int)SMTP_END_RST &&
                   (int)FLOW_END_TIMEOUT == (int)SMTP_END_TIMEOUT &&
                   (int)FLOW_END_CAPTURE_END == (int)SMTP_END_CAPTURE_END &&
                   (int)FLOW_END_EVICTED == (int)SMTP_END_EVICTED,
               "flow ends");

static const flag_info *flag(unsigned index)
{
    const smtp_flag_info *f = smtp_flag(index);
    return f ? &f->info : NULL;
}

static void *open_session(const void *config, int64_t ts, uint64_t frame)
{
    smtp_session *s = smtp_session_new(ts, frame);
    if (s && config)
        smtp_session_configure(s, config);
    return s;
}

static void data(void *session, const flow_segment *seg)
{
    smtp_feed(session, (smtp_dir)seg->from, seg->data, seg->len, seg->ts, seg->frame);
}

static void tcp(void *session, const flow_tcp *ev)
{
    smtp_dir from = (smtp_dir)ev->from;
    switch (ev->kind) {
    case FLOW_TCP_FIN:
        smtp_tcp_fin(session, from, ev->ts, ev->frame);
        break;
    case FLOW_TCP_RETRANSMISSION:
        smtp_tcp_retransmission(session, from, ev->offset, ev->len, ev->ts, ev->frame);
        break;
    case FLOW_TCP_ZERO_WINDOW:
        smtp_tcp_zero_window(session, from, ev->ts, ev->frame);
        break;
    case FLOW_TCP_SNAPLEN_CUT:
        smtp_snaplen_cut(session, ev->ts, ev->frame);
        break;
    }
}

static void implicit_tls(void *session)
{
    smtp_implicit_tls(session);
}

static void end(void *session, flow_end why, int closed_by, int64_t ts, uint64_t frame)
{
    smtp_end(session, (smtp_end_reason)why, closed_by, ts, frame);
}

static const void *report(const void *session)
{
    return smtp_get_report(session);
}

static void free_session(void *session)
{
    smtp_session_free(session);
}

static void relay(void *ctx, const smtp_event *ev)
{
    const analyser_observer *o = ctx;
    o->fn(o->ctx, PROTO_SMTP, ev);
}

static void observe(void *session, const analyser_observer *o)
{
    smtp_set_observer(session, relay, (void *)o);
}

static size_t pack(const void *rep, uint8_t *buf, size_t cap)
{
    return smtp_report_pack(rep, buf, cap);
}

static int unpack(uint8_t *buf, size_t len, const void **rep)
{
    const smtp_report *r;
    if (smtp_report_unpack(buf, len, &r) < 0)
        return -1;
    *rep = r;
    return 0;
}

/* SMTP on any port: the server greets first with 220, then the client's first line opens a
 * session (EHLO, HELO, or QUIT giving up at once). A 220 the client has not answered when
 * nothing more will come (a long or stalled greeting) counts too. */
static detect_verdict detect(const uint8_t *server, size_t server_len, const uint8_t *client,
                             size_t client_len, int final)
{
    if (server_len == 0) /* nothing yet, or the client spoke first */
        return client_len == 0 && !final ? DETECT_UNDECIDED : DETECT_NO;
    if (!smtp_greeting_prefix(server, server_len))
        return DETECT_NO;
    const uint8_t *eol = memchr(client, '\n', client_len);
    if (!final && (server_len < 4 || !eol))
        return DETECT_UNDECIDED;
    if (eol)
        return smtp_opens_session(client, (size_t)(eol - client) + 1) ? DETECT_YES : DETECT_NO;
    return client_len == 0 && server_len >= 3 ? DETECT_YES : DETECT_NO;
}

const analyser smtp_analyser = {
    .proto = PROTO_SMTP,
    .name = "smtp",
    .title = "SMTP",
    .ports_option = "ports",
    .default_ports = "25,587,2525",
    .tls_ports_option = "smtps-ports",
    .default_tls_ports = "465",
    .implicit_tls = implicit_tls,
    .nflags = SMTP_FLAG_COUNT,
    .flag = flag,
    .open = open_session,
    .data = data,
    .tcp = tcp,
    .end = end,
    .report = report,
    .free = free_session,
    .observe = observe,
    .pack = pack,
    .unpack = unpack,
    .detect = detect,
    .looks_like_server = smtp_looks_like_reply,
    .looks_like_client = smtp_looks_like_command,
};
