#ifndef SMTPSCOPE_TEST_SUITES_H
#define SMTPSCOPE_TEST_SUITES_H
#include <CUnit/CUnit.h>
void add_smtp_suite(void);
void add_banner_suite(void);
void add_json_suite(void);
void add_reasm_suite(void);
void add_link_suite(void);
void add_hostile_suite(void);
void add_diagnose_suite(void);
void add_correlate_suite(void);
void add_ui_suite(void);
void add_capture_suite(void);
void add_pack_suite(void);
void add_map_suite(void);
void add_pkt_suite(void);
#endif
