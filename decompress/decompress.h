/* decompress: reads a capture that may be compressed, the format told by its first bytes (not
 * its name): gzip, zstd, xz or bzip2, with the Debian libraries, streaming through bounded
 * buffers (a file of any size, a pipe). Concatenated gzip members and bzip2 streams, and zstd
 * frames and xz streams one after the other, read as one. What comes out is a FILE * for
 * libpcap's pcap_fopen_offline; where compressed data breaks, a read of it fails and
 * decompress_error says where and why. */
#ifndef SMTPSCOPE_DECOMPRESS_H
#define SMTPSCOPE_DECOMPRESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

typedef struct decompress decompress;

/* The compressed format these first bytes open ("gzip", "zstd", "xz", "bzip2"), or NULL
 * (a plain capture, or anything else: libpcap says what it is). */
const char *decompress_detect(const uint8_t *head, size_t len);

/* Reads fd from where it stands. Returns a stream of the decompressed bytes, or of the bytes
 * themselves when they are not compressed (the bytes looked at first given back first, read
 * 64 KB at a time; where fd can seek, so can the stream, its offsets counted from where fd
 * stood). *dc is the reader behind the stream, valid until the stream is closed;
 * closing the stream closes fd, unless fd is 0. NULL with a message in err when fd cannot be
 * read or memory is short (fd is then left open). */
FILE *decompress_open(int fd, decompress **dc, char *err, size_t errlen);
/* The compressed format being read, or NULL for plain bytes. */
const char *decompress_format(const decompress *dc);
/* Why the stream's read failed: "gzip data damaged at compressed byte 1234, decompressed
 * byte 5678 (invalid distance too far back)", "... truncated at ...", a read error; NULL
 * while nothing failed. */
const char *decompress_error(const decompress *dc);
/* A plain stream over a descriptor that can seek: the descriptor, *origin set to where in it
 * the stream starts (the fast reader reads it with pread, leaving its offset to the stream);
 * -1 for any other. Valid until the stream is closed. */
int decompress_plain_file(const decompress *dc, off_t *origin);
/* Compressed bytes consumed so far: with damage libpcap finds in what came out, the damage
 * in the compressed file is before this. */
uint64_t decompress_consumed(const decompress *dc);

#endif
