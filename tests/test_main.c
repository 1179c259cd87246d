/* One CUnit runner for every suite; each tests/test_*.c contributes one add_*_suite(). */
#include <CUnit/Basic.h>
#include <stdio.h>

#include "tests/suites.h"

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    add_smtp_suite();
    add_banner_suite();
    add_json_suite();
    add_reasm_suite();
    add_link_suite();
    add_hostile_suite();
    add_diagnose_suite();
    add_correlate_suite();
    add_ui_suite();
    add_capture_suite();
    add_fastread_suite();
    add_pack_suite();
    add_map_suite();
    add_pipeline_suite();
    add_escape_suite();
    add_base64_suite();
    add_addrtext_suite();
    add_unseen_suite();
    add_pkt_suite();
    add_quantile_suite();
    add_timeline_suite();
    add_servers_suite();
    add_pop3_suite();
    add_redownload_suite();
    add_rotate_suite();
    add_metrics_suite();
    add_decompress_suite();
    add_wireshark_suite();
    add_snapcut_suite();
    add_html_suite();
    add_triage_suite();
    add_path_suite();
    add_merge_suite();
    CU_basic_set_mode(CU_BRM_NORMAL);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures();
    CU_cleanup_registry();
    return failed ? 1 : 0;
}
