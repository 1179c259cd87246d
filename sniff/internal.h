/* sniff internal: what sniff.c and merge.c share (offline.c opens the files for both), not
 * for other modules. */
#ifndef SMTPSCOPE_SNIFF_INTERNAL_H
#define SMTPSCOPE_SNIFF_INTERNAL_H

#include "decompress/decompress.h"
#include "sniff/sniff.h"

/* ---- offline.c ---- */

/* How a file is named in messages ("-" alone would read badly). */
void sniff_describe_file(const char *file, char *out, size_t outlen);
/* Opens a capture file (decompressed when its first bytes say so) with libpcap; NULL with a
 * message naming the file in err. */
pcap_t *sniff_offline(const char *file, decompress **dc, const char **compression, char *err,
                      size_t errlen);
/* -1 with a message naming the file when its link type cannot be decoded. */
int sniff_check_link(const char *file, int dlt, char *err, size_t errlen);
/* Compiles a BPF expression for the handle's link type (nothing for NULL or ""): 1 compiled,
 * 0 none, -1 with a message in err. */
int sniff_compile(pcap_t *p, struct bpf_program *prog, const char *filter, char *err,
                  size_t errlen);
/* Why a read of the handle failed, in out. */
void sniff_read_error(pcap_t *p, decompress *dc, const char *compression, char *out, size_t outlen);
/* Keeps a file's packet time within what the microsecond arithmetic downstream holds. */
void sniff_sane_time(struct pcap_pkthdr *hdr);

/* ---- fastread.c: a plain classic pcap file read in place ---- */
typedef struct sniff_fast sniff_fast;
/* A reader of the file libpcap opened as p, read in large blocks from fd (the stream's
 * descriptor, with pread from origin on: decompress_plain_file), when it is a regular file
 * holding a classic pcap (version 2.4, microseconds or nanoseconds, either byte order) and p
 * gives microsecond times; NULL otherwise (libpcap reads it alone). fd must outlive it. */
sniff_fast *fast_open(int fd, off_t origin, pcap_t *p);
/* The next record as libpcap's pcap_next_ex would give it (its bytes valid until the next
 * call): 1; 0 at the end of the file; -1 at a record this reader leaves to libpcap (cut
 * short, longer than the snapshot length, after a failed read): libpcap reads from there. */
int fast_next(sniff_fast *f, struct pcap_pkthdr **hdr, const u_char **bytes);
/* The stream offset of the next record: where libpcap takes over. */
uint64_t fast_offset(const sniff_fast *f);
void fast_close(sniff_fast *f);

/* ---- merge.c: several files read as one, in time order ---- */
typedef struct sniff_merge sniff_merge;
sniff_merge *merge_open(const char *const *files, unsigned n, const char *filter, char *err,
                        size_t errlen);
/* The next packet in time order: 1 (file, its frame, header and bytes set), 0 when every file
 * is read to its end or to its damage (merge_error then says which, NULL if none). */
int merge_next(sniff_merge *m, unsigned *file, uint64_t *frame, struct pcap_pkthdr **hdr,
               const u_char **bytes);
/* The file's BPF program run on a packet of it: 1 kept, 0 not; 1 without an expression. */
int merge_filter(const sniff_merge *m, unsigned file, const struct pcap_pkthdr *hdr,
                 const u_char *bytes);
int merge_has_filter(const sniff_merge *m);
int merge_dlt(const sniff_merge *m, unsigned file);
pcap_t *merge_first(const sniff_merge *m);
uint32_t merge_snaplen(const sniff_merge *m);
const char *merge_compression(const sniff_merge *m);
const char *merge_error(const sniff_merge *m);
void merge_close(sniff_merge *m);

#endif
