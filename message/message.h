/* message: what smtp/ and pop3/ both read in a mail message as it goes by, so that a message
 * relayed by SMTP and downloaded by POP3 is recognised as the same one: the header lines that
 * carry its Message-ID (folded or not) and its Received: count, and the 16 bytes of the body
 * digest (XXH3-128, canonical order). Pure: no allocation, no I/O. */
#ifndef SMTPSCOPE_MESSAGE_H
#define SMTPSCOPE_MESSAGE_H

#include <stddef.h>
#include <stdint.h>
#include <xxhash.h>

/* Header bytes scanned for the Message-ID before the rest counts as body. */
#define MESSAGE_HEADER_SCAN 65536

typedef enum {
    MESSAGE_HEADER_END,        /* the blank line that ends the header section */
    MESSAGE_HEADER_MESSAGE_ID, /* a Message-ID value: *value, *vlen */
    MESSAGE_HEADER_RECEIVED,   /* a Received: line (each relay adds one) */
    MESSAGE_HEADER_OTHER
} message_header_kind;

/* What one header line tells depends on the line before (a folded Message-ID). */
typedef struct message_header {
    int msgid_folded; /* Message-ID: header with its value on the next line */
} message_header;

/* One header line without its line end. A Message-ID's value comes back trimmed of blanks,
 * pointing into line. */
message_header_kind message_header_line(message_header *h, const char *line, size_t len,
                                        const char **value, size_t *vlen);

/* The digest of what st was fed, in the canonical (big-endian) byte order reports print. */
void message_digest_final(XXH3_state_t *st, uint8_t out[16]);

#endif
