/* The capture side of live monitoring that can be tested without an interface: the kernel
 * filter made from the port list, stepping through a file without blocking, the output file
 * that refuses symlinks, and giving root up. */
#include <CUnit/CUnit.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sniff/live.h"
#include "sniff/privs.h"
#include "sniff/sniff.h"
#include "tests/suites.h"

/* Ethernet + IPv4 + TCP frame; vlan adds an 802.1Q tag; frag sets the IPv4 offset. */
static size_t make_frame(uint8_t *f, int vlan, uint16_t sport, uint16_t dport, int frag)
{
    size_t n = 0;
    memset(f, 0, 128);
    n = 12;
    if (vlan) {
        f[n++] = 0x81, f[n++] = 0x00, f[n++] = 0x00, f[n++] = 0x05;
    }
    f[n++] = 0x08, f[n++] = 0x00;
    uint8_t *ip = f + n;
    ip[0] = 0x45, ip[3] = 40, ip[8] = 64, ip[9] = 6;
    if (frag)
        ip[6] = 0x00, ip[7] = 0x10; /* offset 128 bytes: a later fragment */
    ip[12] = 10, ip[15] = 1, ip[16] = 10, ip[19] = 2;
    uint8_t *tcp = ip + 20;
    tcp[0] = (uint8_t)(sport >> 8), tcp[1] = (uint8_t)sport;
    tcp[2] = (uint8_t)(dport >> 8), tcp[3] = (uint8_t)dport;
    tcp[12] = 0x50, tcp[13] = 0x02;
    return n + 40;
}

static int kernel_filter_keeps(const char *expr, int vlan, uint16_t sport, uint16_t dport, int frag)
{
    pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
    struct bpf_program prog;
    uint8_t f[128];
    struct pcap_pkthdr h = {{0, 0}, 0, 0};
    h.caplen = h.len = (bpf_u_int32)make_frame(f, vlan, sport, dport, frag);
    int ok = pcap_compile(dead, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) == 0;
    CU_ASSERT_TRUE_FATAL(ok);
    int keep = pcap_offline_filter(&prog, &h, f) != 0;
    pcap_freecode(&prog);
    pcap_close(dead);
    return keep;
}

static void test_port_filter(void)
{
    uint8_t ports[65536 / 8] = {0};
    char expr[2600];
    ports[25 / 8] |= 1u << (25 % 8);
    ports[2525 / 8] |= 1u << (2525 % 8);
    live_port_filter(ports, 0, expr, sizeof expr);
    CU_ASSERT_PTR_NOT_NULL(strstr(expr, "tcp port 25 or tcp port 2525"));
    CU_ASSERT_TRUE(kernel_filter_keeps(expr, 0, 40000, 25, 0));
    CU_ASSERT_TRUE(kernel_filter_keeps(expr, 0, 2525, 40000, 0)); /* the server's side */
    CU_ASSERT_TRUE(kernel_filter_keeps(expr, 1, 40000, 25, 0));   /* VLAN-tagged */
    CU_ASSERT_TRUE(kernel_filter_keeps(expr, 0, 1, 2, 1));        /* a later fragment */
    CU_ASSERT_FALSE(kernel_filter_keeps(expr, 0, 40000, 80, 0));
    CU_ASSERT_FALSE(kernel_filter_keeps(expr, 1, 40000, 443, 0));
}

static void test_port_filter_many_ports(void)
{
    uint8_t ports[65536 / 8];
    char expr[2600];
    memset(ports, 0xff, sizeof ports); /* too many to list: plain tcp, still a superset */
    live_port_filter(ports, 0, expr, sizeof expr);
    CU_ASSERT_EQUAL(strncmp(expr, "tcp or ", 7), 0);
    CU_ASSERT_TRUE(kernel_filter_keeps(expr, 0, 40000, 80, 0));
    live_port_filter(NULL, 1, expr, sizeof expr); /* --detect */
    CU_ASSERT_TRUE(kernel_filter_keeps(expr, 0, 1234, 5678, 0));
    live_port_filter(NULL, 0, expr, sizeof expr); /* a user's expression instead */
    CU_ASSERT_STRING_EQUAL(expr, "");
}

static char tmpdir[64];

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/smtpscope-capture-XXXXXX");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(tmpdir));
}

static void path_in(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", tmpdir, name);
}

static void test_output_refuses_symlink(void)
{
    char target[128], link[128], err[256] = "";
    make_tmpdir();
    path_in(target, sizeof target, "target");
    path_in(link, sizeof link, "link");
    CU_ASSERT_EQUAL_FATAL(symlink(target, link), 0);
    CU_ASSERT_PTR_NULL(privs_create_output(link, err, sizeof err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "symbolic link"));
    CU_ASSERT_NOT_EQUAL(access(target, F_OK), 0); /* the link's target was not created */
    unlink(link);
    rmdir(tmpdir);
}

static void test_output_regular_file_only(void)
{
    char fifo[128], file[128], err[256] = "";
    make_tmpdir();
    path_in(fifo, sizeof fifo, "fifo");
    CU_ASSERT_EQUAL_FATAL(mkfifo(fifo, 0600), 0);
    /* a FIFO planted under the name must neither block the capture nor be written */
    CU_ASSERT_PTR_NULL(privs_create_output(fifo, err, sizeof err));
    CU_ASSERT_PTR_NULL(privs_create_output(tmpdir, err, sizeof err)); /* a directory */
    struct stat st;
    path_in(file, sizeof file, "out.pcap");
    FILE *f = fopen(file, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("old content", f);
    fclose(f);
    f = privs_create_output(file, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fclose(f);
    CU_ASSERT_EQUAL(stat(file, &st), 0);
    CU_ASSERT_EQUAL(st.st_size, 0); /* truncated, as tcpdump -w does */
    unlink(file);
    unlink(fifo);
    rmdir(tmpdir);
}

static void test_drop_unknown_user(void)
{
    char err[256] = "";
    CU_ASSERT_EQUAL(privs_drop("no-such-user-smtpscope", err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "no-such-user-smtpscope"));
}

/* Dropping is for the whole process: done in a child, which reports its ids. */
static void test_drop_in_child(void)
{
    if (geteuid() != 0) {
        char err[256] = "";
        CU_ASSERT_EQUAL(privs_drop("root", err, sizeof err), -1); /* only root can switch */
        return;
    }
    /* getpwnam's result is overwritten by the next call: take the uid at once */
    const struct passwd *pw = getpwnam("smtpscope");
    if (!pw)
        pw = getpwnam("nobody");
    CU_ASSERT_PTR_NOT_NULL_FATAL(pw);
    uid_t expect = pw->pw_uid;
    int fds[2];
    CU_ASSERT_EQUAL_FATAL(pipe(fds), 0);
    pid_t pid = fork();
    CU_ASSERT_TRUE_FATAL(pid >= 0);
    if (pid == 0) {
        char err[256];
        uid_t ids[3] = {0, 0, 0};
        if (privs_drop(NULL, err, sizeof err) != 0)
            fprintf(stderr, "privs_drop: %s\n", err);
        else {
            ids[0] = getuid(), ids[1] = geteuid();
            ids[2] = setuid(0) == 0; /* must fail now */
        }
        if (write(fds[1], ids, sizeof ids) != (ssize_t)sizeof ids)
            _exit(1);
        _exit(0);
    }
    close(fds[1]);
    uid_t ids[3] = {0, 0, 1};
    CU_ASSERT_EQUAL(read(fds[0], ids, sizeof ids), (ssize_t)sizeof ids);
    close(fds[0]);
    waitpid(pid, NULL, 0);
    CU_ASSERT_EQUAL(ids[0], expect);
    CU_ASSERT_EQUAL(ids[1], expect);
    CU_ASSERT_EQUAL(ids[2], 0);
}

static void count_packet(void *ctx, uint64_t frame, const struct pcap_pkthdr *h, const uint8_t *b)
{
    (void)frame, (void)h, (void)b;
    (*(int *)ctx)++;
}

/* A file read in steps (the live screen's way) delivers every packet once, then ends. */
static void test_step_through_file(void)
{
    char path[128];
    make_tmpdir();
    path_in(path, sizeof path, "five.pcap");
    pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
    pcap_dumper_t *d = pcap_dump_open(dead, path);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    uint8_t f[128];
    for (int i = 0; i < 5; i++) {
        struct pcap_pkthdr h = {{1700000000 + i, 0}, 0, 0};
        h.caplen = h.len = (bpf_u_int32)make_frame(f, 0, 40000, 25, 0);
        pcap_dump((u_char *)d, &h, f);
    }
    pcap_dump_close(d);
    pcap_close(dead);
    sniff_config cfg = {.file = path};
    char err[256];
    sniff *s = sniff_open(&cfg, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL(sniff_fd(s), -1);
    int n = 0;
    CU_ASSERT_EQUAL(sniff_step(s, count_packet, &n, 2), 2);
    CU_ASSERT_EQUAL(sniff_step(s, count_packet, &n, 2), 2);
    CU_ASSERT_EQUAL(sniff_step(s, count_packet, &n, 2), 1);
    CU_ASSERT_EQUAL(sniff_step(s, count_packet, &n, 2), SNIFF_END);
    CU_ASSERT_EQUAL(n, 5);
    char quoted[160];
    snprintf(quoted, sizeof quoted, "'%s'", path);
    CU_ASSERT_STRING_EQUAL(sniff_source(s), quoted);
    sniff_close(s);
    unlink(path);
    rmdir(tmpdir);
}

void add_capture_suite(void)
{
    CU_pSuite s = CU_add_suite("capture", NULL, NULL);
    CU_add_test(s, "kernel port filter", test_port_filter);
    CU_add_test(s, "kernel filter: many ports, detect", test_port_filter_many_ports);
    CU_add_test(s, "-w refuses a symlink", test_output_refuses_symlink);
    CU_add_test(s, "-w regular files only, truncated", test_output_regular_file_only);
    CU_add_test(s, "-Z unknown user", test_drop_unknown_user);
    CU_add_test(s, "root dropped for good", test_drop_in_child);
    CU_add_test(s, "file read in steps", test_step_through_file);
}
