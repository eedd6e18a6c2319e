// Guards the plugin ABI against unversioned edits: the layout of every struct as of ABI 1.0.
// If this fails, you changed the ABI: only append fields (and bump LABOUR_ABI_MINOR), or bump
// LABOUR_ABI_MAJOR for anything else — then update the expectations here.
#include <catch2/catch.hpp>

#include <cstddef>

#include <labour/plugin_api.h>

TEST_CASE("ABI version is the one these layouts describe", "[abi]") {
  CHECK(LABOUR_ABI_MAJOR == 1);
  CHECK(LABOUR_ABI_MINOR == 0);
}

TEST_CASE("ABI 1.0 struct layouts are unchanged", "[abi]") {
  static_assert(sizeof(void*) == 8, "the layouts below are for LP64");
  CHECK(sizeof(labour_str_t) == 16);
  CHECK(offsetof(labour_param_schema_t, name) == 8);
  CHECK(offsetof(labour_param_schema_t, type) == 24);
  CHECK(offsetof(labour_param_schema_t, default_value) == 32);
  CHECK(offsetof(labour_param_schema_t, min) == 56);
  CHECK(offsetof(labour_param_schema_t, choices) == 72);
  CHECK(offsetof(labour_param_schema_t, help) == 88);
  CHECK(sizeof(labour_param_schema_t) == 104);
  CHECK(sizeof(labour_param_value_t) == 32);
  CHECK(offsetof(labour_host_api_t, log_callback) == 16);
  CHECK(offsetof(labour_outcome_t, http_status) == 8);
  CHECK(offsetof(labour_outcome_t, body) == 16);
  CHECK(offsetof(labour_outcome_t, elapsed_us) == 40);
  CHECK(sizeof(labour_outcome_t) == 48);
  CHECK(offsetof(labour_request_t, body) == 40);
  CHECK(offsetof(labour_behaviour_api_t, worker_source) == 8);
  CHECK(offsetof(labour_behaviour_api_t, behaviour_on_is_innocent) == 48);
  CHECK(offsetof(labour_launch_context_t, port) == 88);
  CHECK(offsetof(labour_launch_context_t, run_dir) == 96);
  CHECK(offsetof(labour_launch_plan_t, workdir) == 56);
  CHECK(offsetof(labour_server_api_t, server_on_plan_probe) == 32);
  CHECK(offsetof(labour_reporter_api_t, reporter_on_render) == 8);
  CHECK(offsetof(labour_plugin_t, kind) == 12);
  CHECK(offsetof(labour_plugin_t, name) == 16);
  CHECK(offsetof(labour_plugin_t, params) == 64);
  CHECK(offsetof(labour_plugin_t, plugin_on_create) == 80);
  CHECK(offsetof(labour_plugin_t, kind_api) == 104);
  CHECK(sizeof(labour_plugin_t) == 112);
}

TEST_CASE("ABI enum values are unchanged", "[abi]") {
  CHECK(LABOUR_KIND_BEHAVIOUR == 1);
  CHECK(LABOUR_KIND_REPORTER == 3);
  CHECK(LABOUR_PARAM_ENUM == 5);
  CHECK(LABOUR_OUTCOME_HTTP == 1);
  CHECK(LABOUR_OUTCOME_TRUNCATED_BODY == 7);
  CHECK(LABOUR_OUTCOME_OTHER_ERROR == 11);
}
