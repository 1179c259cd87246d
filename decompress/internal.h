/* decompress/internal.h: the table of compressed formats, each a decoder behind the same three
 * functions; decompress.c drives them. */
#ifndef SMTPSCOPE_DECOMPRESS_INTERNAL_H
#define SMTPSCOPE_DECOMPRESS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

typedef struct dc_buf {
    const uint8_t *in; /* compressed bytes not yet consumed, advanced by read */
    size_t in_len;
    uint8_t *out; /* room for decompressed bytes, advanced by read */
    size_t out_len;
    int finish; /* in holds the last bytes there are: the file ends after them */
} dc_buf;

typedef enum {
    DC_GO,   /* progress made, or more may come: call again */
    DC_DONE, /* finish, and every stream ended whole: nothing more */
    DC_CUT,  /* finish, and the file ends inside a stream */
    DC_BAD   /* damaged data (or a limit): *why says what */
} dc_status;

typedef struct dc_format {
    const char *name;
    uint8_t magic[6];
    size_t magic_len;
    void *(*init)(void); /* NULL: out of memory */
    dc_status (*read)(void *state, dc_buf *b, const char **why);
    void (*end)(void *state);
} dc_format;

extern const dc_format dc_formats[];
extern const size_t dc_format_count;

/* The most memory a decoder may take for its window or dictionary: a hostile header cannot
 * make it allocate more (xz -9 needs 65 MiB, zstd -19 8 MiB, zstd --long=27 128 MiB). */
#define DC_MEMLIMIT ((uint64_t)256 << 20)

#endif
