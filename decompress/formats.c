/* decompress/formats.c: gzip (zlib), zstd (libzstd), xz (liblzma) and bzip2 (libbz2) behind
 * dc_format's three functions, and the table of their magic bytes. */
#include <bzlib.h>
#include <limits.h>
#include <lzma.h>
#include <stdlib.h>
#include <zlib.h>
#include <zstd.h>

#include "decompress/internal.h"

/* The libraries count in unsigned int: a larger buffer is handed over in parts. */
static unsigned clamp_uint(size_t n)
{
    return n > UINT_MAX ? UINT_MAX : (unsigned)n;
}

/* ---- gzip ---- */

typedef struct gz_state {
    z_stream z;
    int in_member; /* bytes of a member were fed and its end not reached */
} gz_state;

static void *gz_init(void)
{
    gz_state *g = calloc(1, sizeof *g);
    if (g && inflateInit2(&g->z, 15 + 16) != Z_OK) { /* +16: the gzip wrapper only */
        free(g);
        return NULL;
    }
    return g;
}

static const char *gz_reason(const gz_state *g, int rc)
{
    if (rc == Z_MEM_ERROR)
        return "out of memory";
    if (rc == Z_NEED_DICT)
        return "a preset dictionary is needed";
    return g->z.msg ? g->z.msg : "invalid data";
}

static dc_status gz_read(void *state, dc_buf *b, const char **why)
{
    gz_state *g = state;
    if (b->in_len == 0)
        return b->finish ? (g->in_member ? DC_CUT : DC_DONE) : DC_GO;
    g->z.next_in = (Bytef *)b->in;
    g->z.avail_in = clamp_uint(b->in_len);
    g->z.next_out = b->out;
    g->z.avail_out = clamp_uint(b->out_len);
    g->in_member = 1;
    int rc = inflate(&g->z, Z_NO_FLUSH);
    size_t used = (size_t)(g->z.next_in - b->in), made = (size_t)(g->z.next_out - b->out);
    b->in += used, b->in_len -= used, b->out += made, b->out_len -= made;
    if (rc == Z_STREAM_END) { /* `cat a.gz b.gz`, pigz: another member may follow */
        inflateReset(&g->z);
        g->in_member = 0;
        return DC_GO;
    }
    if (rc == Z_OK || rc == Z_BUF_ERROR)
        return DC_GO;
    *why = gz_reason(g, rc);
    return DC_BAD;
}

static void gz_end(void *state)
{
    gz_state *g = state;
    inflateEnd(&g->z);
    free(g);
}

/* ---- zstd ---- */

typedef struct zs_state {
    ZSTD_DStream *d;
    int in_frame; /* a frame begun and not yet wholly decoded and flushed */
} zs_state;

static void *zs_init(void)
{
    zs_state *z = calloc(1, sizeof *z);
    if (z && !(z->d = ZSTD_createDStream())) {
        free(z);
        return NULL;
    }
    /* libzstd's own window limit (128 MiB) stays: DC_MEMLIMIT is above it */
    return z;
}

/* Frames one after the other need nothing here: libzstd goes on into the next. */
static dc_status zs_read(void *state, dc_buf *b, const char **why)
{
    zs_state *z = state;
    ZSTD_inBuffer in = {b->in, b->in_len, 0};
    ZSTD_outBuffer out = {b->out, b->out_len, 0};
    if (b->in_len == 0 && b->finish && !z->in_frame)
        return DC_DONE;
    size_t rc = ZSTD_decompressStream(z->d, &out, &in);
    b->in += in.pos, b->in_len -= in.pos, b->out += out.pos, b->out_len -= out.pos;
    if (ZSTD_isError(rc)) {
        *why = ZSTD_getErrorName(rc);
        return DC_BAD;
    }
    z->in_frame = rc != 0;
    if (b->finish && b->in_len == 0 && in.pos == 0 && out.pos == 0) /* nothing left to flush */
        return z->in_frame ? DC_CUT : DC_DONE;
    return DC_GO;
}

static void zs_end(void *state)
{
    zs_state *z = state;
    ZSTD_freeDStream(z->d);
    free(z);
}

/* ---- xz ---- */

typedef struct xz_state {
    lzma_stream s;
} xz_state;

static void *xz_init(void)
{
    xz_state *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->s = (lzma_stream)LZMA_STREAM_INIT;
    /* LZMA_CONCATENATED: streams one after the other (xz appends them so), read as one */
    if (lzma_stream_decoder(&x->s, DC_MEMLIMIT, LZMA_CONCATENATED) != LZMA_OK) {
        free(x);
        return NULL;
    }
    return x;
}

static const char *xz_reason(lzma_ret rc)
{
    switch (rc) {
    case LZMA_MEM_ERROR:
        return "out of memory";
    case LZMA_MEMLIMIT_ERROR:
        return "it needs more than 256 MiB of memory to decompress";
    case LZMA_FORMAT_ERROR:
        return "not in the xz format";
    case LZMA_OPTIONS_ERROR:
        return "unsupported compression options";
    case LZMA_DATA_ERROR:
        return "compressed data is corrupt";
    default:
        return "decoder error";
    }
}

static dc_status xz_read(void *state, dc_buf *b, const char **why)
{
    xz_state *x = state;
    x->s.next_in = b->in;
    x->s.avail_in = b->in_len;
    x->s.next_out = b->out;
    x->s.avail_out = b->out_len;
    /* liblzma checks for itself that the last stream ended whole, once told input ends */
    lzma_ret rc = lzma_code(&x->s, b->finish ? LZMA_FINISH : LZMA_RUN);
    size_t used = (size_t)(x->s.next_in - b->in), made = (size_t)(x->s.next_out - b->out);
    b->in += used, b->in_len -= used, b->out += made, b->out_len -= made;
    if (rc == LZMA_STREAM_END)
        return DC_DONE;
    if (rc == LZMA_OK)
        return DC_GO;
    if (rc == LZMA_BUF_ERROR) /* no progress possible: the input ended too early */
        return b->finish ? DC_CUT : DC_GO;
    *why = xz_reason(rc);
    return DC_BAD;
}

static void xz_end(void *state)
{
    xz_state *x = state;
    lzma_end(&x->s);
    free(x);
}

/* ---- bzip2 ---- */

typedef struct bz_state {
    bz_stream s;
    int in_stream; /* bytes of a stream were fed and its end not reached */
} bz_state;

static void *bz_init(void)
{
    bz_state *z = calloc(1, sizeof *z);
    if (z && BZ2_bzDecompressInit(&z->s, 0, 0) != BZ_OK) {
        free(z);
        return NULL;
    }
    return z;
}

static const char *bz_reason(int rc)
{
    switch (rc) {
    case BZ_MEM_ERROR:
        return "out of memory";
    case BZ_DATA_ERROR_MAGIC:
        return "not bzip2 data";
    case BZ_DATA_ERROR:
        return "data integrity error";
    default:
        return "decoder error";
    }
}

/* A stream ended: pbzip2 and `cat a.bz2 b.bz2` put others after it. */
static dc_status bz_next_stream(bz_state *z, const char **why)
{
    BZ2_bzDecompressEnd(&z->s);
    z->in_stream = 0;
    int rc = BZ2_bzDecompressInit(&z->s, 0, 0);
    if (rc == BZ_OK)
        return DC_GO;
    *why = bz_reason(rc);
    return DC_BAD;
}

static dc_status bz_read(void *state, dc_buf *b, const char **why)
{
    bz_state *z = state;
    if (b->in_len == 0 && b->finish && !z->in_stream)
        return DC_DONE;
    z->s.next_in = (char *)b->in;
    z->s.avail_in = clamp_uint(b->in_len);
    z->s.next_out = (char *)b->out;
    z->s.avail_out = clamp_uint(b->out_len);
    z->in_stream = 1;
    int rc = BZ2_bzDecompress(&z->s);
    size_t used = (size_t)((const uint8_t *)z->s.next_in - b->in);
    size_t made = (size_t)((uint8_t *)z->s.next_out - b->out);
    b->in += used, b->in_len -= used, b->out += made, b->out_len -= made;
    if (rc == BZ_STREAM_END)
        return bz_next_stream(z, why);
    if (rc != BZ_OK) {
        *why = bz_reason(rc);
        return DC_BAD;
    }
    if (b->finish && b->in_len == 0 && used == 0 && made == 0)
        return DC_CUT;
    return DC_GO;
}

static void bz_end(void *state)
{
    bz_state *z = state;
    BZ2_bzDecompressEnd(&z->s);
    free(z);
}

/* ---- the table ---- */

const dc_format dc_formats[] = {
    {"gzip", {0x1f, 0x8b}, 2, gz_init, gz_read, gz_end},
    {"zstd", {0x28, 0xb5, 0x2f, 0xfd}, 4, zs_init, zs_read, zs_end},
    {"xz", {0xfd, '7', 'z', 'X', 'Z', 0x00}, 6, xz_init, xz_read, xz_end},
    {"bzip2", {'B', 'Z', 'h'}, 3, bz_init, bz_read, bz_end},
};
const size_t dc_format_count = sizeof dc_formats / sizeof dc_formats[0];
