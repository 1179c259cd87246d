/* The fuzz targets that take a whole capture file: the input is written to a memfd and opened
 * by name (/proc/self/fd/N), because sniff_open takes a file name; nothing is written to disk.
 * Header-only, for the targets' LLVMFuzzerInitialize and LLVMFuzzerTestOneInput. */
#ifndef SMTPSCOPE_FUZZ_MEMFD_H
#define SMTPSCOPE_FUZZ_MEMFD_H

#ifndef _GNU_SOURCE /* memfd_create; before any header, as the targets define it */
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static int memfd = -1;
static char memfd_path[64];

static void memfd_open(void)
{
    memfd = memfd_create("smtpscope-fuzz", 0);
    if (memfd < 0) {
        perror("memfd_create");
        abort();
    }
    snprintf(memfd_path, sizeof memfd_path, "/proc/self/fd/%d", memfd);
}

/* The input, whole, as the file's bytes. */
static void memfd_fill(const uint8_t *data, size_t size)
{
    if (ftruncate(memfd, 0) != 0 || pwrite(memfd, data, size, 0) != (ssize_t)size)
        abort();
}

#endif
