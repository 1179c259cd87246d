/* report counts: what a run has counted so far, for periodic stats and metrics. */
#include "report/internal.h"

void report_get_counts(const report *r, report_counts *out)
{
    corr_counts cc;
    correlate_counts(r->corr, &cc);
    *out = (report_counts){
        .sessions = r->t.sessions + r->pop3.sessions,
        .flagged = r->t.flagged + r->pop3.flagged,
        .smtp_sessions = r->t.sessions,
        .pop3_sessions = r->pop3.sessions,
        .smtp_flags = r->t.per_flag,
        .pop3_flags = r->pop3.per_flag,
        .not_analysed = r->not_analysed,
        .connects_failed = r->connects_failed,
        .dup_groups = cc.groups,
        .correlation_expired = cc.expired,
        .correlation_bytes = cc.bytes,
    };
}
