#include "report/advice.h"

#include "smtp/smtp.h"

/* One line each: what the flag means. What to do comes from the ranked cause; the README
 * and smtpscope(1) explain every flag at length. */
static const char *const advice[SMTP_FLAG_COUNT] = {
    /* split_eod_unacked */
    "end of data cut across TCP segments and never accepted: the signature of PIX/ASA SMTP "
    "inspection (CSCds90792), which drops such terminators; the sender will send it again.",
    /* missing_quit */
    "the connection ended without the client's QUIT (a timeout, a reset, or a careless client).",
    /* masked_banner */
    "the 220 greeting is masked with '*': an SMTP-inspecting firewall rewrites this path.",
    /* eod_no_reply */
    "the whole end of data was sent but never answered: a stalled server, or data dropped "
    "after the capture point.",
    /* slow_eod_reply */
    "the reply to end of data came later than the threshold (--slow-reply): clients that "
    "give up sooner send the message again.",
    /* client_gave_up */
    "the client closed or reset after end of data, before any reply: it timed out.",
    /* reply_after_close */
    "the server accepted after the client had closed: the client believes it failed and "
    "will send it again.",
    /* eod_retransmitted */
    "TCP sent the end-of-data bytes again: loss on the way to the server.",
    /* eod_reply_retransmitted */
    "TCP sent the reply to end of data again: loss on the way back to the client.",
    /* rst_after_eod */
    "the connection was reset right after end of data.",
    /* zero_window_data */
    "the server advertised a zero TCP window during DATA: it stopped reading the message.",
    /* ehlo_refused */
    "EHLO refused with 5xx while HELO worked: PIX Mailguard passes only RFC 821 commands.",
    /* esmtp_masked */
    "EHLO keywords masked with X's (250-XXXXXXXA): ASA ESMTP inspection hides extensions.",
    /* command_masked */
    "a command came back as 'XXXX' in a 500: a firewall rewrote it (PIX Mailguard).",
    /* starttls_refused */
    "STARTTLS refused with 5xx (with ASA inspection this follows the masked keywords).",
    /* smtp_inspection */
    "the fingerprints together: an SMTP-inspecting firewall is in the path.",
    /* asa_policy_risk */
    "something an ASA 'inspect esmtp' default policy drops (command over 512, over 100 "
    "recipients, header line over 998, sender over 320 octets).",
};

const char *advice_for_flag(unsigned index)
{
    return index < SMTP_FLAG_COUNT ? advice[index] : "";
}
