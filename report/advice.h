/* Internal to report/: what each diagnostic means and what to do about it. */
#ifndef SMTPSCOPE_ADVICE_H
#define SMTPSCOPE_ADVICE_H

/* One paragraph per flag index (smtp_flag_name order). */
const char *advice_for_flag(unsigned index);

#endif
