#include "report/advice.h"

#include "smtp/smtp.h"

static const char *const advice[SMTP_FLAG_COUNT] = {
    /* split_eod_unacked */
    "the end-of-data sequence CR LF . CR LF was cut across TCP segments and the server did "
    "not accept the message (no 2xx reply). An SMTP-inspecting firewall between the capture "
    "point and the server (Cisco PIX Mailguard 'fixup protocol smtp', ASA 'inspect esmtp'; "
    "bug CSCds90792) is the known cause: it drops the split terminator, the sender times out "
    "and sends the whole message again later (duplicates). Fix: disable SMTP inspection on "
    "that firewall, or upgrade it.",
    /* missing_quit */
    "the connection ended without the client's QUIT. Some servers then treat the transaction "
    "as unfinished, and it often means the client gave up waiting (timeout) or the path reset "
    "the connection. Check the client's timeouts and what ended the connection.",
    /* masked_banner */
    "the server's 220 greeting is masked with '*': an SMTP-inspecting firewall (PIX "
    "Mailguard, ASA 'inspect esmtp' with mask-banner) rewrites this path. Expect ESMTP to be "
    "refused and split terminators to be dropped. Fix: disable SMTP inspection, or at least "
    "make sure the firewall's software is fixed for CSCds90792.",
    /* eod_no_reply */
    "the whole end of data reached the capture point but the server never answered it before "
    "the connection ended. Either the server is stalled (content scanning, DNS, load) or "
    "something after the capture point dropped the data. Capture next to the server to tell.",
    /* slow_eod_reply */
    "the server took longer than the threshold (--slow-reply, 60 s) to answer end of data. "
    "RFC 5321 allows 10 minutes, but many clients give up after one and send the message "
    "again: a duplicate. Find what slows the server (content filters, reverse DNS, disk, "
    "load) or raise the client's data timeout.",
    /* client_gave_up */
    "the client closed or reset the connection after end of data, before any reply came: it "
    "timed out. The server may still deliver the message while the client queues it again "
    "(duplicates). Compare the server's reply time with the client's timeout.",
    /* reply_after_close */
    "the server's reply to end of data arrived after the client had already closed: the "
    "server accepted a message the client believes failed, so the client will send it again. "
    "Make the server answer faster or the client wait longer.",
    /* eod_retransmitted */
    "TCP sent the end-of-data bytes again: they were lost or not acknowledged in time on the "
    "way to the server. Look for loss on the path around the frames named.",
    /* eod_reply_retransmitted */
    "TCP sent the server's reply to end of data again: it was lost on the way to the client, "
    "which may then time out and re-send the message. Look for loss on the return path.",
    /* rst_after_eod */
    "the connection was reset right after end of data. A firewall or the server's software "
    "cutting the session here makes the sender retry. Check which side sent the RST and why.",
    /* zero_window_data */
    "the server advertised a zero TCP window during DATA: it stopped reading the message "
    "(overload, slow disk or content scanning), which stalls the client and can run into its "
    "timeout.",
    /* ehlo_refused */
    "EHLO was refused with 5xx and HELO then accepted: PIX Mailguard passes only the RFC 821 "
    "commands and rewrites the others, so ESMTP (SIZE, PIPELINING, STARTTLS, CHUNKING) is "
    "lost on this path. Disable SMTP inspection on the firewall.",
    /* esmtp_masked */
    "EHLO keywords are masked with X's of the same length (e.g. 250-XXXXXXXA): ASA ESMTP "
    "inspection hides extensions it does not support, such as STARTTLS and CHUNKING. "
    "Disable or relax 'inspect esmtp' (policy-map type inspect esmtp).",
    /* command_masked */
    "a command was answered '500 ... XXXX': an inspecting firewall rewrote it to XXXX before "
    "it reached the server (PIX Mailguard). Disable SMTP inspection on the firewall.",
    /* starttls_refused */
    "STARTTLS was refused with 5xx. With ASA ESMTP inspection this follows the masked "
    "keywords; otherwise check the server's TLS setup.",
    /* smtp_inspection */
    "the fingerprints above together say an SMTP-inspecting firewall is in the path (the "
    "confidence combines them). It explains masked banners, refused ESMTP and dropped split "
    "terminators, and hence duplicates. Disable SMTP inspection (PIX: no fixup protocol smtp "
    "25; ASA: no inspect esmtp) or upgrade past CSCds90792.",
    /* asa_policy_risk */
    "this session has something an ASA 'inspect esmtp' default policy drops: a command line "
    "over 512 octets, more than 100 recipients, a header line over 998 octets (Outlook's long "
    "continuation lines) or a sender address over 320 octets. Behind such a firewall the "
    "connection dies mid-message. Relax the ESMTP policy map or fix the sender.",
};

const char *advice_for_flag(unsigned index)
{
    return index < SMTP_FLAG_COUNT ? advice[index] : "";
}
