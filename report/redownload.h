/* redownload: the POP3 correlator. Finds every message downloaded two or more times from one
 * mailbox (USER@SERVERADDRESS) across sessions and ranks why (pop3/flags.def CAUSE rows:
 * a rolled-back DELE, two collectors, leave-on-server), and the sessions of one mailbox from
 * different clients that overlap in time (pop3_concurrent_mailbox).
 *
 * A download is a complete RETR, or a complete TOP that brought the whole message (its octets
 * at least LIST's size, or LIST's size unknown): fetchmail downloads with TOP n 99999999, a
 * header preview (TOP n 0) is no download. One message of one session is one download, however
 * many times it was fetched in it.
 *
 * Memory: per session 48 bytes, per download 32 bytes, per message downloaded 64 bytes (its
 * Message-ID and UIDL are kept as strings only once it is downloaded a second time) and its
 * keys in a hash map, mailbox and client names once each. All of it is windowed as the SMTP
 * correlator is (redownload_set_window): sessions older than the window before the latest
 * one go, oldest first, with their downloads, and so do the oldest past the memory budget; a
 * message leaves with its first download (a re-downloaded one handed to the sink, final). At
 * most REDOWNLOAD_MAX_DOWNLOADS downloads are held whatever the budget. */
#ifndef SMTPSCOPE_REDOWNLOAD_H
#define SMTPSCOPE_REDOWNLOAD_H

#include <stdint.h>

#include "pop3/pop3.h"

#define REDOWNLOAD_MAX_DOWNLOADS (1u << 24)
/* Earlier sessions of a mailbox a new one is compared with for overlap. */
#define REDOWNLOAD_OVERLAP_LOOKBACK 64
/* Sessions a concurrent_mailbox object lists (all are flagged and counted). */
#define REDOWNLOAD_LISTED 32

typedef struct rd_session {
    int64_t start, end;
    uint64_t id;
    uint32_t mailbox;          /* names index of USER@SERVERADDRESS */
    uint32_t client;           /* names index of the client's address (no port) */
    uint32_t prev;             /* the previous session (serial) of the mailbox; UINT32_MAX: none */
    uint32_t end_frame;        /* report_frame_pack32 */
    uint8_t end_reason, flags; /* flow_end; pop3 flags as written (CONCURRENT_MAILBOX fits) */
    int8_t closed_by, quit_reply;
    uint8_t concurrent; /* overlaps another client's session of its mailbox */
    uint8_t written;    /* the flag was on its session line (known when it ended) */
    uint8_t deleting;   /* it DELEted some message */
    uint8_t pad;
} rd_session;

typedef struct rd_download {
    int64_t time;     /* the +OK that began the content */
    uint32_t session; /* rd_session serial */
    uint32_t next;    /* the message's next download; UINT32_MAX: none */
    uint32_t frame;   /* of that +OK (report_frame_pack32) */
    uint32_t dele_frame;
    uint32_t msg; /* its message's slot (the message may have left since); UINT32_MAX: none */
    uint8_t deleted, committed, top, pad;
} rd_download;

typedef struct rd_cause {
    unsigned id; /* POP3_CAUSE_* */
    double score;
} rd_cause;

typedef struct rd_message {
    uint64_t uidl_key;    /* its UIDL's key, 0 while unknown */
    uint32_t first, last; /* download serials */
    uint32_t n;           /* downloads; 0: a free slot */
    uint32_t mailbox;
    uint8_t digest[16];
    uint8_t has_digest;
    char *message_id, *uidl; /* from its second download on */
} rd_message;

typedef struct redownload redownload;

/* Hands over a message downloaded twice or more as it leaves the window: final, it is not
 * reported again. Everything it names (downloads, sessions, names) is valid during the call. */
typedef void (*rd_leave_fn)(void *ctx, const redownload *rd, const rd_message *m);

/* What the window let go and what is held (redownload_counts). */
typedef struct rd_counts {
    uint64_t expired;                       /* downloads let go */
    uint64_t sessions_expired;              /* sessions let go */
    uint64_t groups_expired;                /* re-downloaded messages handed over as they left */
    uint64_t bytes, peak;                   /* held now; the most after any session */
    uint32_t sessions, downloads, messages; /* held now */
} rd_counts;

redownload *redownload_new(void);
void redownload_free(redownload *rd);
/* Correlates over window usec of capture time (0: no limit) within budget bytes (0: none): the
 * same figures as the SMTP correlator's (--dup-window, --dup-memory), each applied to its own
 * state. */
void redownload_set_window(redownload *rd, int64_t window, uint64_t budget);
void redownload_set_sink(redownload *rd, rd_leave_fn fn, void *ctx);
/* Records a finished session between client and server ("ADDR:PORT"); 1 when it overlaps an
 * earlier session of its mailbox from another client (its line gets pop3_concurrent_mailbox). */
int redownload_session(redownload *rd, uint64_t id, const char *client, const char *server,
                       const pop3_report *s);
/* Orders the messages downloaded twice or more and still held, worst (most downloads)
 * first. */
void redownload_finish(redownload *rd);
unsigned redownload_count(const redownload *rd);
const rd_message *redownload_message(const redownload *rd, unsigned i);
/* Its causes, best first (none when nothing explains it); returns how many. */
unsigned redownload_causes(const redownload *rd, const rd_message *m, rd_cause out[]);
/* A download or a session by serial; NULL once it left. */
const rd_download *redownload_download(const redownload *rd, uint32_t i);
const rd_session *redownload_session_at(const redownload *rd, uint32_t i);
/* A mailbox (rd_session.mailbox, rd_message.mailbox) or a client (rd_session.client). */
const char *redownload_mailbox(const redownload *rd, uint32_t i);
const char *redownload_client(const redownload *rd, uint32_t i);
void redownload_counts(const redownload *rd, rd_counts *out);

/* Mailboxes with concurrent sessions, in the order their first overlap was seen (each kept
 * to the end, its name and counts, when its sessions have left). */
unsigned redownload_nmailboxes(const redownload *rd);
/* Its mailbox (redownload_mailbox), and the first start and last end of its sessions flagged
 * concurrent. */
uint32_t redownload_concurrent_mailbox(const redownload *rd, unsigned i, int64_t *first,
                                       int64_t *last);
/* Its sessions flagged concurrent and still held, oldest first (at most REDOWNLOAD_LISTED;
 * *total: all ever flagged). */
unsigned redownload_mailbox_sessions(const redownload *rd, unsigned i, uint32_t *out,
                                     unsigned *total);
/* Sessions flagged concurrent only after their line was written: the summary counts them. */
unsigned redownload_late_flagged(const redownload *rd, unsigned *had_no_flags);

#endif
