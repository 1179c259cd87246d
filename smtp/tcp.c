/* What TCP showed around the messages, told by the reassembly layer while the session runs:
 * FINs, retransmissions of a terminator or of its reply, zero windows during a body. */
#include "smtp/internal.h"

void smtp_tcp_fin(smtp_session *s, smtp_dir from, int64_t ts, uint64_t frame)
{
    smtp_tcp *t = &s->rep.tcp;
    if (t->fin_ts[from])
        return;
    t->fin_ts[from] = ts;
    t->fin_frame[from] = frame;
}

static int overlaps(uint64_t off, uint64_t len, uint64_t lo, uint64_t hi)
{
    return off < hi && lo < off + len;
}

void smtp_tcp_retransmission(smtp_session *s, smtp_dir from, uint64_t offset, uint64_t len,
                             int64_t ts, uint64_t frame)
{
    smtp_tcp *tcp = &s->rep.tcp;
    (void)ts;
    tcp->retrans[from]++;
    for (unsigned i = 0; i < s->rep.ntxn; i++) {
        const smtp_txn *t = &s->txns[i];
        if (from == SMTP_CLIENT && t->eod.seen && !t->eod.bdat &&
            overlaps(offset, len, t->term_off, t->term_off + t->eod.term_len)) {
            if (tcp->eod_retrans++ == 0)
                tcp->eod_retrans_frame = frame;
        }
        if (from == SMTP_SERVER && t->eod.replied &&
            overlaps(offset, len, t->reply_off, t->reply_end)) {
            if (tcp->reply_retrans++ == 0)
                tcp->reply_retrans_frame = frame;
        }
    }
}

void smtp_tcp_zero_window(smtp_session *s, smtp_dir advertiser, int64_t ts, uint64_t frame)
{
    (void)ts;
    int in_data = s->cm == CM_BODY || s->cm == CM_BDAT || s->cm == CM_HOLD;
    if (advertiser != SMTP_SERVER || !in_data)
        return;
    if (s->rep.tcp.zero_windows++ == 0)
        s->rep.tcp.zero_window_frame = frame;
}

void smtp_snaplen_cut(smtp_session *s, int64_t ts, uint64_t frame)
{
    if (s->rep.snaplen_cut)
        return;
    s->now.ref.ts = ts;
    s->now.ref.frame = frame;
    s->rep.snaplen_cut = 1;
    s->rep.snaplen_cut_frame = frame;
    s->cm = CM_STOP;
    s->sm = SM_STOP;
    s->qlen = 0;
    smtp_note_event(s, "payload cut by the capture's snaplen: the rest is not in the capture");
}

void smtp_implicit_tls(smtp_session *s)
{
    s->tls_port = 1;
}

/* The first bytes on an implicit-TLS port decide: a TLS record, or plain SMTP (a server
 * configured without TLS greets in clear, and what it answers is worth seeing). */
void smtp_first_bytes_on_tls_port(smtp_session *s, const uint8_t *d)
{
    s->tls_port = 0;
    if (d[0] != 0x16) {
        smtp_note_event(s, "plain SMTP on an implicit-TLS port");
        return;
    }
    s->rep.tls = 1;
    s->rep.implicit_tls = 1;
    s->cm = CM_STOP;
    s->sm = SM_STOP;
    smtp_notify(s, (smtp_event){.kind = SMTP_EV_TLS});
    smtp_note_event(s, "TLS from the first byte (implicit TLS): the session is encrypted");
}

void smtp_settle_tls_port(smtp_session *s)
{
    if (!s->tls_port)
        return;
    s->rep.tls = 1; /* no byte said otherwise: what the port promises */
    s->rep.implicit_tls = 1;
}
