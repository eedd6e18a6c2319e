// Guards the plugin ABI against unversioned edits: the layout of every struct as of ABI 2.0, and
// what ABI 2.1 appended.
// If this fails, you changed the ABI: only append fields (and bump LABOUR_ABI_MINOR), or bump
// LABOUR_ABI_MAJOR for anything else — then update the expectations here.
#include <catch2/catch.hpp>

#include <cstddef>

#include <labour/plugin_api.h>

TEST_CASE("ABI version is the one these layouts describe", "[abi]") {
  CHECK(LABOUR_ABI_MAJOR == 2);
  CHECK(LABOUR_ABI_MINOR == 1);
}

TEST_CASE("ABI 2.0 struct layouts are unchanged", "[abi]") {
  static_assert(sizeof(void*) == 8, "the layouts below are for LP64");
  // The first three fields of the descriptor are the same in every major: the host reads
  // them to refuse another major before it reads anything else.
  CHECK(offsetof(labour_plugin_t, struct_size) == 0);
  CHECK(sizeof(labour_str_t) == 16);
  CHECK(offsetof(labour_param_schema_t, name) == 8);
  CHECK(offsetof(labour_param_schema_t, type) == 24);
  CHECK(offsetof(labour_param_schema_t, default_value) == 32);
  CHECK(offsetof(labour_param_schema_t, min) == 56);
  CHECK(offsetof(labour_param_schema_t, choices) == 72);
  CHECK(offsetof(labour_param_schema_t, help) == 88);
  CHECK(sizeof(labour_param_schema_t) == 104);
  CHECK(offsetof(labour_param_value_t, name) == 8);
  CHECK(offsetof(labour_param_value_t, value) == 24);
  CHECK(sizeof(labour_param_value_t) == 40);
  CHECK(offsetof(labour_host_api_t, log_callback) == 8);
  CHECK(sizeof(labour_host_api_t) == 16);
  CHECK(offsetof(labour_sink_t, sink_ctx) == 8);
  CHECK(offsetof(labour_sink_t, write_callback) == 16);
  CHECK(sizeof(labour_sink_t) == 24);
  CHECK(offsetof(labour_file_t, path) == 8);
  CHECK(offsetof(labour_file_t, content) == 24);
  CHECK(sizeof(labour_file_t) == 40);
  CHECK(offsetof(labour_outcome_t, http_status) == 8);
  CHECK(offsetof(labour_outcome_t, body) == 16);
  CHECK(offsetof(labour_outcome_t, elapsed_us) == 40);
  CHECK(offsetof(labour_header_t, name) == 8);
  CHECK(offsetof(labour_header_t, value) == 24);
  CHECK(sizeof(labour_header_t) == 40);
  CHECK(offsetof(labour_request_t, body) == 40);
  CHECK(offsetof(labour_request_t, headers) == 56);
  CHECK(offsetof(labour_request_t, header_count) == 64);
  CHECK(offsetof(labour_request_t, header_stride) == 68);
  CHECK(sizeof(labour_request_t) == 72);
  CHECK(offsetof(labour_behaviour_api_t, worker_source) == 8);
  CHECK(offsetof(labour_behaviour_api_t, method) == 24);
  CHECK(offsetof(labour_behaviour_api_t, files) == 40);
  CHECK(offsetof(labour_behaviour_api_t, file_count) == 48);
  CHECK(offsetof(labour_behaviour_api_t, file_stride) == 52);
  CHECK(offsetof(labour_behaviour_api_t, behaviour_on_build_request) == 56);
  CHECK(offsetof(labour_behaviour_api_t, behaviour_on_is_innocent) == 80);
  CHECK(offsetof(labour_launch_context_t, port) == 88);
  CHECK(offsetof(labour_launch_context_t, run_dir) == 96);
  CHECK(offsetof(labour_launch_plan_t, files) == 40);
  CHECK(offsetof(labour_launch_plan_t, filec) == 48);
  CHECK(offsetof(labour_launch_plan_t, file_stride) == 52);
  CHECK(offsetof(labour_launch_plan_t, workdir) == 56);
  CHECK(sizeof(labour_launch_plan_t) == 72);
  CHECK(offsetof(labour_server_api_t, install_hint) == 8);
  CHECK(offsetof(labour_server_api_t, server_on_plan_probe) == 32);
  CHECK(offsetof(labour_reporter_api_t, reporter_on_render) == 8);
  CHECK(offsetof(labour_plugin_t, abi_major) == 4);
  CHECK(offsetof(labour_plugin_t, abi_minor) == 8);
  CHECK(offsetof(labour_plugin_t, name) == 16);
  CHECK(offsetof(labour_plugin_t, params) == 64);
  CHECK(offsetof(labour_plugin_t, param_count) == 72);
  CHECK(offsetof(labour_plugin_t, param_stride) == 76);
  CHECK(offsetof(labour_plugin_t, plugin_on_create) == 80);
  CHECK(offsetof(labour_plugin_t, behaviour) == 104);
  CHECK(offsetof(labour_plugin_t, server) == 112);
  CHECK(offsetof(labour_plugin_t, reporter) == 120);
  CHECK(sizeof(labour_plugin_t) == 128);
}

TEST_CASE("every struct that crosses the boundary starts with struct_size", "[abi]") {
  CHECK(offsetof(labour_param_schema_t, struct_size) == 0);
  CHECK(offsetof(labour_param_value_t, struct_size) == 0);
  CHECK(offsetof(labour_host_api_t, struct_size) == 0);
  CHECK(offsetof(labour_sink_t, struct_size) == 0);
  CHECK(offsetof(labour_file_t, struct_size) == 0);
  CHECK(offsetof(labour_outcome_t, struct_size) == 0);
  CHECK(offsetof(labour_header_t, struct_size) == 0);
  CHECK(offsetof(labour_request_t, struct_size) == 0);
  CHECK(offsetof(labour_behaviour_api_t, struct_size) == 0);
  CHECK(offsetof(labour_launch_context_t, struct_size) == 0);
  CHECK(offsetof(labour_launch_plan_t, struct_size) == 0);
  CHECK(offsetof(labour_server_api_t, struct_size) == 0);
  CHECK(offsetof(labour_reporter_api_t, struct_size) == 0);
}

TEST_CASE("ABI enum values are unchanged", "[abi]") {
  CHECK(LABOUR_PARAM_INT == 1);
  CHECK(LABOUR_PARAM_ENUM == 5);
  CHECK(LABOUR_LOG_ERROR == 4);
  CHECK(LABOUR_OUTCOME_HTTP == 1);
  CHECK(LABOUR_OUTCOME_TRUNCATED_BODY == 7);
  CHECK(LABOUR_OUTCOME_OTHER_ERROR == 11);
}

TEST_CASE("ABI 2.1 appended only: connection scripts, lifecycle, responses", "[abi]") {
  // Appended to 2.0 structs: the 2.0 fields above stay where they were.
  CHECK(LABOUR_OUTCOME_OTHER_ERROR == 11);
  CHECK(LABOUR_OUTCOME_CLIENT_ABORT == 12);
  CHECK(LABOUR_OUTCOME_HELD == 13);
  CHECK(offsetof(labour_outcome_t, responses) == 48);
  CHECK(sizeof(labour_outcome_t) == 56);
  CHECK(offsetof(labour_behaviour_api_t, behaviour_on_build_script) == 88);
  CHECK(sizeof(labour_behaviour_api_t) == 96);
  CHECK(offsetof(labour_server_api_t, server_on_lifecycle) == 40);
  CHECK(sizeof(labour_server_api_t) == 48);
  // New in 2.1.
  CHECK(LABOUR_STEP_SEND == 1);
  CHECK(LABOUR_STEP_READ == 6);
  CHECK(offsetof(labour_step_t, bytes) == 8);
  CHECK(offsetof(labour_step_t, total) == 24);
  CHECK(offsetof(labour_step_t, chunk) == 32);
  CHECK(offsetof(labour_step_t, interval_ms) == 36);
  CHECK(offsetof(labour_step_t, rate) == 40);
  CHECK(offsetof(labour_step_t, count) == 48);
  CHECK(sizeof(labour_step_t) == 56);
  CHECK(offsetof(labour_script_t, steps) == 8);
  CHECK(offsetof(labour_script_t, step_count) == 16);
  CHECK(offsetof(labour_script_t, step_stride) == 20);
  CHECK(offsetof(labour_script_t, connections) == 24);
  CHECK(offsetof(labour_script_t, repeat_after_ms) == 28);
  CHECK(sizeof(labour_script_t) == 32);
  CHECK(offsetof(labour_lifecycle_t, reload_signal) == 4);
  CHECK(offsetof(labour_lifecycle_t, reload_note) == 8);
  CHECK(offsetof(labour_lifecycle_t, graceful_stop_signal) == 24);
  CHECK(offsetof(labour_lifecycle_t, graceful_stop_note) == 32);
  CHECK(offsetof(labour_lifecycle_t, has_workers) == 48);
  CHECK(offsetof(labour_lifecycle_t, workers_note) == 56);
  CHECK(offsetof(labour_lifecycle_t, worker_cmdline) == 72);
  CHECK(sizeof(labour_lifecycle_t) == 88);
}
