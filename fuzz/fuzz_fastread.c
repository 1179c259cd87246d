/* libFuzzer target: a capture file read through sniff (the fast reader while it can, libpcap
 * from the first record it leaves) against the same file read by libpcap alone
 * (fuzz/readers.h). Any difference aborts: the frames' headers and bytes, their number, how
 * the read ended and libpcap's message. */
#define _GNU_SOURCE
#include "fuzz/memfd.h"
#include "fuzz/readers.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    memfd_open();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    readers_seen a, b;
    memfd_fill(data, size);
    if (!readers_sniff(memfd_path, &a) || !readers_libpcap(memfd_path, &b))
        return 0; /* sniff also refuses link types it cannot decode: nothing to compare */
    if (!readers_agree(&a, &b))
        abort();
    return 0;
}
