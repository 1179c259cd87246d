/* One record of fuzz/segments.h's format applied to an SMTP session: data (the record's own,
 * or a copy a target changed) fed in its direction, or its TCP event. Shared by the SMTP
 * targets. */
#ifndef SMTPSCOPE_FUZZ_SEG_SMTP_H
#define SMTPSCOPE_FUZZ_SEG_SMTP_H

#include "fuzz/segments.h"
#include "smtp/smtp.h"

static inline void seg_smtp_apply(smtp_session *s, const seg_record *rec, const uint8_t *data,
                                  int64_t ts, uint64_t frame)
{
    smtp_dir dir = rec->server ? SMTP_SERVER : SMTP_CLIENT;
    if (rec->kind == SEG_DATA)
        smtp_feed(s, dir, data, rec->len, ts, frame);
    else if (rec->kind == SEG_EV_FIN)
        smtp_tcp_fin(s, dir, ts, frame);
    else if (rec->kind == SEG_EV_RETRANSMISSION)
        smtp_tcp_retransmission(s, dir, rec->offset, rec->len, ts, frame);
    else
        smtp_tcp_zero_window(s, dir, ts, frame);
}

#endif
