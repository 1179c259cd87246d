/* analyser: the POP3 analyser as the pipeline sees it (analyser/analyser.h), and how POP3 is
 * recognised on any port (--detect) and in a connection seen without its handshake.
 *
 * Ports: 110 by default, and 995 (POP3S, --pop3s-ports) as implicit TLS: the session is
 * counted as encrypted (tls, implicit_tls) with its bytes, and nothing is parsed. A TLS
 * record as the first bytes on any other port is noticed too (pop3/session.c). */
#include <string.h>
#include <strings.h>

#include "pop3/pop3.h"

static void *open_session(const void *config, int64_t ts, uint64_t frame)
{
    const pop3_options *o = config;
    pop3_session *s = pop3_session_new(ts, frame);
    if (s && o && o->no_transcript)
        pop3_keep_no_transcript(s);
    return s;
}

static void data(void *session, const flow_segment *seg)
{
    pop3_feed(session, seg->from, seg->data, seg->len, seg->ts, seg->frame);
}

static void tcp(void *session, const flow_tcp *ev)
{
    if (ev->kind == FLOW_TCP_FIN)
        pop3_tcp_fin(session, ev->from, ev->ts, ev->frame);
    else if (ev->kind == FLOW_TCP_SNAPLEN_CUT)
        pop3_snaplen_cut(session, ev->ts, ev->frame);
}

static void implicit_tls(void *session)
{
    pop3_implicit_tls(session);
}

static void end(void *session, flow_end why, int closed_by, int64_t ts, uint64_t frame)
{
    pop3_end(session, why, closed_by, ts, frame);
}

static const void *report(const void *session)
{
    return pop3_get_report(session);
}

static void free_session(void *session)
{
    pop3_session_free(session);
}

static void relay(void *ctx, const pop3_event *ev)
{
    const analyser_observer *o = ctx;
    o->fn(o->ctx, PROTO_POP3, ev);
}

static void observe(void *session, const analyser_observer *o)
{
    pop3_set_observer(session, relay, (void *)o);
}

static size_t pack(const void *rep, uint8_t *buf, size_t cap)
{
    return pop3_report_pack(rep, buf, cap);
}

static int unpack(uint8_t *buf, size_t len, const void **rep)
{
    const pop3_report *r;
    if (pop3_report_unpack(buf, len, &r) < 0)
        return -1;
    *rep = r;
    return 0;
}

int pop3_looks_like_response(const uint8_t *p, size_t n)
{
    static const char ok[] = "+OK", err[] = "-ERR";
    size_t k = n < 3 ? n : 3;
    if (n && p[0] == '+')
        return memcmp(p, ok, k) == 0;
    k = n < 4 ? n : 4;
    return n && memcmp(p, err, k) == 0;
}

/* The client's first line opens a POP3 session: USER, APOP, CAPA, AUTH or STLS. */
static int opens_session(const uint8_t *line, size_t n)
{
    static const char *const first[] = {"USER", "APOP", "CAPA", "AUTH", "STLS"};
    for (unsigned i = 0; i < sizeof first / sizeof first[0]; i++)
        if (n >= 4 && strncasecmp((const char *)line, first[i], 4) == 0 &&
            (n == 4 || line[4] == ' ' || line[4] == '\r' || line[4] == '\n'))
            return 1;
    return 0;
}

/* POP3 on any port: a +OK greeting, then the client's first line is one of opens_session's. */
static detect_verdict detect(const uint8_t *server, size_t server_len, const uint8_t *client,
                             size_t client_len, int final)
{
    if (server_len == 0)
        return client_len == 0 && !final ? DETECT_UNDECIDED : DETECT_NO;
    if (server[0] != '+' || !pop3_looks_like_response(server, server_len))
        return DETECT_NO;
    const uint8_t *eol = memchr(client, '\n', client_len);
    if (!eol)
        return final ? DETECT_NO : DETECT_UNDECIDED;
    return opens_session(client, (size_t)(eol - client) + 1) ? DETECT_YES : DETECT_NO;
}

static int looks_like_server(const uint8_t *p, size_t n)
{
    return n >= 3 && pop3_looks_like_response(p, n);
}

const analyser pop3_analyser = {
    .proto = PROTO_POP3,
    .name = "pop3",
    .title = "POP3",
    .ports_option = "pop3-ports",
    .default_ports = "110",
    .tls_ports_option = "pop3s-ports",
    .default_tls_ports = "995",
    .implicit_tls = implicit_tls,
    .nflags = POP3_FLAG_COUNT,
    .flag = pop3_flag,
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
    .looks_like_server = looks_like_server,
    .looks_like_client = pop3_looks_like_command,
};
