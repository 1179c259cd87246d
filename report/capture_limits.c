/* capture_limits: what a session's bytes could not show: payload the capture's snaplen cut,
 * and sessions encrypted from the first byte (implicit TLS) — per session and in the summary. */
#include <inttypes.h>

#include "report/internal.h"

void report_limits_count(report *r, proto_id proto, int snaplen_cut, int implicit_tls)
{
    limits_totals *t = &r->limits;
    t->implicit_tls += implicit_tls != 0;
    if (!snaplen_cut)
        return;
    t->snaplen_cut++;
    t->cut_smtp += proto == PROTO_SMTP;
    t->cut_pop3 += proto == PROTO_POP3;
}

void report_limits_session_json(json *j, int snaplen_cut, int implicit_tls)
{
    json_field_bool(j, "implicit_tls", implicit_tls);
    json_field_bool(j, "snaplen_cut", snaplen_cut);
}

void report_limits_session_text(report *r, const char *proto, int snaplen_cut, uint64_t cut_frame,
                                int implicit_tls)
{
    if (implicit_tls)
        fprintf(r->out, "  (encrypted from the first byte: implicit TLS, %sS; counted, not read)\n",
                proto);
    if (snaplen_cut)
        fprintf(r->out,
                "  (payload cut by the capture's snaplen from frame %s: the %s content after it is "
                "not in the capture and is not analysed)\n",
                report_frame_ref(cut_frame).s, proto);
}

/* The bytes packets were cut at: the longest cut frame as captured, which is the snaplen
 * unless a tool wrote a header that says otherwise. */
static uint32_t cut_at(const capture_summary *c)
{
    return c->cut_frames && c->cut_len ? c->cut_len : c->snaplen;
}

void report_limits_summary_json(report *r, const capture_summary *c)
{
    json *j = &r->j;
    json_field_uint(j, "snaplen", c->snaplen);
    json_field_uint(j, "snaplen_cut", r->limits.snaplen_cut);
    json_field_uint(j, "snaplen_cut_packets", c->cut_frames);
    json_field_uint(j, "snaplen_unusable", c->snaplen_unusable);
    json_field_uint(j, "implicit_tls", r->limits.implicit_tls);
}

static const char *cut_content(const limits_totals *t)
{
    if (t->cut_smtp && t->cut_pop3)
        return "SMTP and POP3 content is";
    return t->cut_pop3 ? "POP3 content is" : "SMTP content is";
}

static void text_cut(report *r, const capture_summary *c)
{
    const limits_totals *t = &r->limits;
    if (t->snaplen_cut)
        fprintf(r->out,
                "  snaplen   packets were cut at %" PRIu32
                " bytes by the capture's snaplen: %s not in this capture; capture again with "
                "`-s 0` (%" PRIu64 " session%s cut, %" PRIu64 " packets)\n",
                cut_at(c), cut_content(t), t->snaplen_cut, t->snaplen_cut == 1 ? "" : "s",
                c->cut_frames);
    else
        fprintf(r->out,
                "  snaplen   %" PRIu64 " packets were cut at %" PRIu32
                " bytes by the capture's snaplen, no session's content: only headers and TCP "
                "options\n",
                c->cut_frames, cut_at(c));
    if (c->snaplen_window)
        fprintf(r->out,
                "  snaplen   %" PRIu64 " packets were cut inside the TCP header (IPv6 at 68 bytes "
                "keeps 14 of its 20 bytes): ports, sequence numbers and flags are there, so "
                "sessions, handshakes and ends are found; the window is not (zero windows are "
                "not seen)\n",
                c->snaplen_window);
    if (c->snaplen_unusable)
        fprintf(r->out,
                "  snaplen   %" PRIu64 " packets were cut before their TCP flags and could not "
                "be followed\n",
                c->snaplen_unusable);
}

void report_limits_summary_text(report *r, const capture_summary *c)
{
    if (c->cut_frames)
        text_cut(r, c);
    if (r->limits.implicit_tls)
        fprintf(r->out,
                "  implicit TLS  %" PRIu64 " session%s on SMTPS/POP3S ports (--smtps-ports, "
                "--pop3s-ports): encrypted from the first byte, counted, not analysed\n",
                r->limits.implicit_tls, r->limits.implicit_tls == 1 ? "" : "s");
}
