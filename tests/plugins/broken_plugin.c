/* One source, many deliberately broken plugins: each build defines BREAK_<WHAT> to spoil
 * exactly one thing the registry must check (tests/unit/registry_test.cpp), or BAD_IMPORT for
 * a worker half that loads fine but does not import (tests/integration/test_worker_import.py).
 * Plain C, so it also proves the ABI needs nothing from C++. */
#include <labour/plugin_api.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#ifndef PLUGIN_NAME
#define PLUGIN_NAME "Broken"
#endif

#define STR(s) \
  { s, sizeof(s) - 1 }

static char worker[] =
#ifdef BAD_IMPORT
    /* Compiles, but its import fails as a worker half that needs a module the server's
       Python lacks: the host must name the behaviour with Python's line before a server starts. */
    "import labour_no_such_module\n"
#endif
    "def handle(environ, start_response, params, ctx):\n"
    "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
    "    return [b'ok']\n";
static __attribute__((unused)) int instance_token;

#ifdef BREAK_CRASH_ON_LOAD
#include <signal.h>
/* Runs when the library is loaded, before labour can ask it anything. */
__attribute__((constructor)) static void crash_on_load(void) { raise(SIGSEGV); }
#endif
#ifdef BREAK_EXIT_ON_LOAD
#include <stdlib.h>
__attribute__((constructor)) static void exit_on_load(void) { exit(EXIT_CODE); }
#endif
#ifdef BREAK_HANG_ON_LOAD
#include <unistd.h>
/* Waits for ever, as a library stuck on a lock or a network mount would. */
__attribute__((constructor)) static void hang_on_load(void) {
  for (;;) pause();
}
#endif

static __attribute__((unused)) labour_instance_t* on_create(const labour_host_api_t* api, labour_host_t* host,
                                                            const labour_param_value_t* params,
                                                            uint32_t count, uint32_t stride, char* error_buf,
                                                            size_t error_buf_len) {
  (void)api;
  (void)host;
  (void)params;
  (void)count;
  (void)stride;
#ifdef BREAK_CREATE
  snprintf(error_buf, error_buf_len, "this plugin refuses to be created");
  return NULL;
#else
  (void)error_buf;
  (void)error_buf_len;
  return (labour_instance_t*)&instance_token;
#endif
}
static __attribute__((unused)) void on_destroy(labour_instance_t* self) { (void)self; }
static __attribute__((unused)) labour_str_t on_last_error(const labour_instance_t* self) {
  (void)self;
  labour_str_t s = STR("none");
  return s;
}
static int32_t on_build(labour_instance_t* self, labour_host_t* host, labour_request_t* out) {
  (void)self;
  (void)host;
  labour_str_t m = STR("GET"), t = STR("/" PLUGIN_NAME);
  out->method = m;
  out->target = t;
  return 0;
}
static __attribute__((unused)) int32_t on_judge(const labour_instance_t* self, const labour_outcome_t* o) {
  (void)self;
  return o->kind == LABOUR_OUTCOME_HTTP && o->http_status == 200;
}
static uint32_t on_timeout(const labour_instance_t* self, uint32_t ms) {
  (void)self;
  return ms;
}
static int32_t on_innocent(const labour_instance_t* self) {
  (void)self;
#ifdef SHORT_SCRIPT
  return 0;
#else
  return 1;
#endif
}

#if defined(INNOCENT_SCRIPT) || defined(SHORT_SCRIPT)
/* A client-driven behaviour: one send, then a read. INNOCENT_SCRIPT says it is innocent too;
   SHORT_SCRIPT says its script struct is shorter than ABI 2.1's. */
static const labour_step_t steps[] = {
    {sizeof(labour_step_t), LABOUR_STEP_SEND, STR("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 0, 0, 0, 0, 1}};
static int32_t on_build_script(labour_instance_t* self, labour_host_t* host, labour_script_t* out) {
  (void)self;
  (void)host;
  out->steps = steps;
  out->step_count = 1;
  out->step_stride = sizeof(labour_step_t);
  out->connections = 1;
#ifdef SHORT_SCRIPT
  out->struct_size = 8;
#endif
  return 0;
}
#define BUILD_SCRIPT on_build_script
#else
#define BUILD_SCRIPT NULL /* no connection script */
#endif

#ifdef ABI_2_0
/* Built against SDK 2.0: its behaviour API ends before behaviour_on_build_script. */
#define API_SIZE offsetof(labour_behaviour_api_t, behaviour_on_build_script)
#else
#define API_SIZE sizeof(labour_behaviour_api_t)
#endif
static __attribute__((unused)) const labour_behaviour_api_t api = {API_SIZE,    {worker, sizeof(worker) - 1},
                                                                   STR("GET"),  NULL,
                                                                   0,           0,
                                                                   on_build,
#ifdef BREAK_MISSING_FUNCTION
                                                                   NULL,
#else
                                                                   on_judge,
#endif
                                                                   on_timeout,  on_innocent,
                                                                   BUILD_SCRIPT};

#ifdef GROWN_SCHEMA
/* A newer minor's schema: the ABI 2.0 fields, then one appended. The host must step by the
   stride the plugin gives and still read every parameter right. */
typedef struct grown_schema_t {
  labour_param_schema_t v2_0;
  uint64_t appended; /* unknown to this host */
} grown_schema_t;
#define SCHEMA_FIELDS(n, d, h) \
  { sizeof(grown_schema_t), STR(n), LABOUR_PARAM_INT, STR(d), 1, 1, 0, 100, {NULL, 0}, STR(h) }
static const grown_schema_t schema[] = {
    {SCHEMA_FIELDS("first", "1", "the first parameter"), 0xdeadbeefdeadbeefull},
    {SCHEMA_FIELDS("second", "2", "the second parameter"), 0xdeadbeefdeadbeefull},
    {SCHEMA_FIELDS("third", "3", "the third parameter"), 0xdeadbeefdeadbeefull},
};
#define PARAMS &schema[0].v2_0, 3, sizeof(grown_schema_t)
#else
#define PARAMS NULL, 0, 0
#endif

#ifdef ABI_1
/* What a plugin built against SDK 1 starts with: the same first three fields (every major
   keeps them), then ABI 1.0's layout, which this host must not read. */
static const struct { uint32_t struct_size, abi_major, abi_minor, kind; } descriptor = {112, 1, 0, 1};
#else
static const labour_plugin_t descriptor = {sizeof(labour_plugin_t),
#ifdef BREAK_ABI_MAJOR
                                           LABOUR_ABI_MAJOR + 1,
#else
                                           LABOUR_ABI_MAJOR,
#endif
#ifdef BREAK_ABI_MINOR
                                           LABOUR_ABI_MINOR + 1,
#elif defined(ABI_2_0)
                                           0,
#else
                                           LABOUR_ABI_MINOR,
#endif
                                           STR(PLUGIN_NAME),
                                           STR("0.0.1"),
                                           STR("a test plugin"),
                                           PARAMS,
                                           on_create,
                                           on_destroy,
                                           on_last_error,
                                           &api,
                                           NULL,
                                           NULL};
#endif

#ifndef BREAK_NO_ENTRY
__attribute__((visibility("default"))) const labour_plugin_t* labour_plugin_entry(void) {
  return (const labour_plugin_t*)&descriptor;
}
#else
__attribute__((visibility("default"))) int not_the_entry(void) { return (int)descriptor.abi_major; }
#endif
