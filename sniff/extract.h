/* extract: writes the packets of chosen sessions from a capture to a new pcap file, and says
 * which frame of the new file is which frame of the capture. A session is its two endpoints
 * and its frame range (from its first SYN to its last packet, as the reassembly saw them):
 * every TCP packet between those endpoints, either way, inside the range is the session's,
 * which is exactly what its Wireshark display filter selects (report/wireshark.h). */
#ifndef SMTPSCOPE_EXTRACT_H
#define SMTPSCOPE_EXTRACT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct extract_endpoint {
    uint8_t family; /* 4 or 6 */
    uint8_t addr[16];
    uint16_t port;
} extract_endpoint;

/* "192.0.2.1:25" or "[2001:db8::1]:25" (reasm_format_endpoint's form) into e; 0, or -1 for
 * anything else. */
int extract_parse_endpoint(const char *text, extract_endpoint *e);

/* Frames new_first .. new_first + count - 1 of the extract are frames orig_first .. of the
 * capture: the mapping, one run per stretch where both go up by one together. */
typedef struct extract_run {
    uint64_t new_first, orig_first, count;
} extract_run;

typedef struct extract_session {
    uint64_t id; /* the report's session number */
    extract_endpoint client, server;
    uint64_t first, last; /* its frame range */
    /* filled by extract_write */
    uint64_t packets;
    extract_run *runs;
    size_t nruns, cap;
} extract_session;

/* Reads the capture from in (pcap or pcapng, frames counted from 1 as sniff counts them) and
 * writes to out, as pcap with the capture's link type and snapshot length, every frame that
 * is a session's; each session's runs tell where its frames went. A capture damaged part way
 * is read up to the damage, as the analysis read it. Takes both files (closed on return).
 * Returns the frames written, or -1 with a message in err (not a capture, a failed write, out
 * of memory). IP fragments are left out: a later fragment carries no ports to tell whose it
 * is. */
int64_t extract_write(FILE *in, FILE *out, extract_session *s, size_t n, char *err, size_t errlen);
/* Frees the runs of n sessions (not the array). */
void extract_free_runs(extract_session *s, size_t n);

#endif
