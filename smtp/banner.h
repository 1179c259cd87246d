/* Greeting-line classifier: tells a 220 banner masked by an SMTP-inspecting firewall
 * (Cisco PIX Mailguard, ASA mask-banner) from a normal one, by rule. */
#ifndef SMTPSCOPE_BANNER_H
#define SMTPSCOPE_BANNER_H

#include <stddef.h>

typedef enum {
    BANNER_NORMAL = 0,
    BANNER_MASKED_EXCEPT_20 = 1, /* PIX 5.1+: all but '2', '0' and blanks became '*' */
    BANNER_MASKED_ALL = 2,       /* PIX 4.4: every character of the text became '*' */
} banner_mask;

/* Classify one greeting line, without its line end. The reply code and separator, when
 * present and intact ("220 " or "220-"), are not part of the text judged. */
banner_mask smtp_banner_classify(const char *line, size_t len);

#endif
