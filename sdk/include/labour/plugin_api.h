/*
 * labour plugin ABI: the only thing that crosses a plugin .so boundary.
 *
 * Pure C, plain data only: integers, doubles, {ptr,len} strings, arrays of those and
 * function pointers. No exceptions, STL types or RTTI cross it. Plugin authors normally
 * use the header-only C++ layer in <labour/sdk.hpp>, which turns a plain class into
 * these entry points with one macro.
 *
 * Versioning (checked by the host when it loads a file):
 *   - LABOUR_ABI_MAJOR must be equal in host and plugin.
 *   - LABOUR_ABI_MINOR of the plugin must not be newer than the host's.
 *   - Every struct starts with `struct_size` (labour_str_t alone is frozen: {data, len} for
 *     all of ABI 2); fields are only ever appended. Removing, reordering or retyping a field
 *     is a major bump. tests/unit/abi_guard_test.cpp holds the layout of every struct and
 *     fails on an unversioned edit.
 *   - Every array of structs that crosses the boundary comes with its element stride, the
 *     sizeof its writer compiled: the reader steps by the stride and reads only the fields
 *     that both its own struct and the element's struct_size hold. So either side may be
 *     built against a newer minor than the other.
 *   - Capabilities are found from optional groups of functions (after Falco's plugin API):
 *     the descriptor points to the groups a plugin implements, and a newer minor adds groups
 *     (and optional functions within a group) by appending them. A NULL optional function is
 *     "not implemented"; the host then does what the field documents.
 *
 * Naming (after Envoy's dynamic-module ABI): `labour_*_t` types; `*_on_*` functions the
 * plugin implements; `*_callback` functions the host implements. Every `*_on_*` function
 * that may call back receives the host's handle for that call (`labour_host_t*`, as Envoy
 * passes its `*_envoy_ptr`) and passes it back to the callbacks, so the host knows which
 * test or report the call acts for. A handle is valid only during the call it came with.
 *
 * OWNERSHIP conventions: "plugin-owned" memory stays valid for the time stated on the
 * field and is freed by the plugin; "host-owned" memory is only borrowed for the duration
 * of the call. Neither side frees the other's memory.
 */
#ifndef LABOUR_PLUGIN_API_H
#define LABOUR_PLUGIN_API_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LABOUR_ABI_MAJOR 2
#define LABOUR_ABI_MINOR 1

/* Name of the one symbol every plugin exports (see labour_plugin_entry_fn). */
#define LABOUR_PLUGIN_ENTRY_SYMBOL "labour_plugin_entry"

/* Element `i` of an array that crosses the boundary, `stride` bytes apart (the sizeof its
   writer compiled). Read arrays with this, never with the reader's own sizeof. */
#define LABOUR_ELEMENT(type, first, stride, i) \
  ((const type*)((const char*)(first) + (size_t)(stride) * (size_t)(i)))

/* A string that is not necessarily NUL-terminated. {NULL, 0} is the empty string. */
typedef struct labour_str_t {
  const char* data;
  size_t len;
} labour_str_t;

/* ---------------------------------------------------------------- parameters ---- */

typedef enum labour_param_type_t {
  LABOUR_PARAM_INT = 1,    /* 64-bit signed integer, decimal text */
  LABOUR_PARAM_FLOAT = 2,  /* double, decimal text */
  LABOUR_PARAM_BOOL = 3,   /* "true" or "false" */
  LABOUR_PARAM_STRING = 4, /* free text; plain data, never executed */
  LABOUR_PARAM_ENUM = 5,   /* one of `choices` */
} labour_param_type_t;

/*
 * One parameter (behaviour) or option (server, reporter), declared by the plugin.
 * The host validates user input against it and documents it (`labour list`).
 * OWNERSHIP: plugin-owned, static; valid while the library is loaded.
 */
typedef struct labour_param_schema_t {
  uint32_t struct_size;
  labour_str_t name;          /* Required. [a-z_][a-z0-9_]* */
  labour_param_type_t type;   /* Required. */
  labour_str_t default_value; /* Required. Text in the type's syntax; empty = no default
                                 (the parameter must then be given). */
  uint32_t has_min;           /* Optional. Non-zero: `min` applies (INT, FLOAT). */
  uint32_t has_max;           /* Optional. Non-zero: `max` applies (INT, FLOAT). */
  double min;                 /* Inclusive bound, if has_min. */
  double max;                 /* Inclusive bound, if has_max. */
  labour_str_t choices;       /* Required for ENUM: choices separated by '|'. */
  labour_str_t help;          /* Required. One line for --help and the docs. */
} labour_param_schema_t;

/*
 * A validated parameter value, always the full set in schema order (defaults filled in).
 * OWNERSHIP: host-owned, borrowed for the duration of the call that receives it.
 */
typedef struct labour_param_value_t {
  uint32_t struct_size;
  labour_str_t name;
  labour_str_t value; /* canonical text: integers and floats as decimal, bools true/false */
} labour_param_value_t;

/* ---------------------------------------------------------------- host services -- */

typedef enum labour_log_level_t {
  LABOUR_LOG_DEBUG = 1,
  LABOUR_LOG_INFO = 2,
  LABOUR_LOG_WARN = 3,
  LABOUR_LOG_ERROR = 4,
} labour_log_level_t;

/* The host's object for one call: which plugin, and which test or report it acts for.
   Opaque to plugins; valid only during the call that passed it. */
typedef struct labour_host_t labour_host_t;

/*
 * Services the host offers, passed to create.
 * OWNERSHIP: host-owned; valid until the instance is destroyed.
 */
typedef struct labour_host_api_t {
  uint32_t struct_size;
  /* Required. Log one message; the host adds the plugin's name and what `host` acts for.
     Thread-safe. */
  void (*log_callback)(labour_host_t* host, labour_log_level_t level, labour_str_t message);
} labour_host_api_t;

/* An output stream the host owns (stdout or a file). Returns 0 on success.
   OWNERSHIP: host-owned, borrowed for the duration of the call that receives it. */
typedef struct labour_sink_t {
  uint32_t struct_size;
  void* sink_ctx;
  int32_t (*write_callback)(void* sink_ctx, labour_str_t bytes);
} labour_sink_t;

/* A file the host writes for a plugin: a server's config (into the run dir) or a behaviour's
   data (into the app folder). OWNERSHIP: plugin-owned, as stated where it is used. */
typedef struct labour_file_t {
  uint32_t struct_size;
  labour_str_t path; /* relative, no ".."; a behaviour's data file: [A-Za-z0-9._-] words
                        separated by '/' */
  labour_str_t content;
} labour_file_t;

/* Opaque per-instance state of a plugin. */
typedef struct labour_instance_t labour_instance_t;

/* ---------------------------------------------------------------- behaviours ----- */

/*
 * What the client saw for one request, at transport level. Append only: a plugin must take
 * a kind it does not know for a failure of some new sort.
 * "Expected" is decided by the behaviour from this, never by the host.
 */
typedef enum labour_outcome_kind_t {
  LABOUR_OUTCOME_HTTP = 1,                  /* a complete response; see http_status */
  LABOUR_OUTCOME_CONNECT_REFUSED = 2,       /* nobody listening */
  LABOUR_OUTCOME_CONNECT_TIMEOUT = 3,       /* connect did not finish in time */
  LABOUR_OUTCOME_RESET_BEFORE_RESPONSE = 4, /* RST before any response byte */
  LABOUR_OUTCOME_RESET_MID_RESPONSE = 5,    /* RST after some response bytes */
  LABOUR_OUTCOME_EOF_BEFORE_RESPONSE = 6,   /* orderly close before any response byte */
  LABOUR_OUTCOME_TRUNCATED_BODY = 7,        /* close before Content-Length/chunks completed */
  LABOUR_OUTCOME_FIRST_BYTE_TIMEOUT = 8,    /* no response byte within the timeout */
  LABOUR_OUTCOME_TOTAL_TIMEOUT = 9,         /* response started but did not finish in time */
  LABOUR_OUTCOME_MALFORMED_RESPONSE = 10,   /* bytes that are not HTTP/1.x */
  LABOUR_OUTCOME_OTHER_ERROR = 11,          /* any other local error (named in logs) */
  /* ABI 2.1, client-driven behaviours only (their connection scripts, below): */
  LABOUR_OUTCOME_CLIENT_ABORT = 12, /* the script reset the connection itself, on purpose, before
                                       the server answered or closed it */
  LABOUR_OUTCOME_HELD = 13,         /* the connection was still open when the script (or the phase
                                       it ran in) ended: the server neither answered in full nor
                                       closed it */
} labour_outcome_kind_t;

/* OWNERSHIP: host-owned, borrowed for the duration of on_judge. */
typedef struct labour_outcome_t {
  uint32_t struct_size;
  labour_outcome_kind_t kind;
  int32_t http_status;  /* for LABOUR_OUTCOME_HTTP, else 0 */
  labour_str_t body;    /* for LABOUR_OUTCOME_HTTP: the body (may be cut to its first
                           64 KiB; body_length is the full length) */
  uint64_t body_length; /* bytes of body received */
  uint64_t elapsed_us;  /* from send to outcome */
  /* ABI 2.1: complete responses read on the connection (a connection script may read several,
     e.g. pipelined requests; an ordinary request: 1 for LABOUR_OUTCOME_HTTP, else 0). A judge
     reads it only when struct_size covers it. */
  uint32_t responses;
} labour_outcome_t;

/* One request header. OWNERSHIP: as the request that holds it. */
typedef struct labour_header_t {
  uint32_t struct_size;
  labour_str_t name;  /* an HTTP token; not Host, Content-Length, Transfer-Encoding or
                         Connection, which the host writes itself */
  labour_str_t value; /* no CR, LF or NUL */
} labour_header_t;

/*
 * One HTTP request built by a behaviour's client half. The host checks it, writes the
 * request line, Host, Content-Length and Connection itself, and the worker app's dispatcher
 * accepts only the method a behaviour declared for its route (GET also allows HEAD).
 * OWNERSHIP: plugin-owned; valid until the instance is destroyed.
 */
typedef struct labour_request_t {
  uint32_t struct_size;
  labour_str_t method;            /* an HTTP token, e.g. "GET" or "POST" */
  labour_str_t target;            /* origin-form, e.g. "/Sleeping?seconds=0.5" */
  labour_str_t body;              /* may be empty; sent with its Content-Length */
  const labour_header_t* headers; /* Optional. header_count elements, header_stride apart. */
  uint32_t header_count;
  uint32_t header_stride;
} labour_request_t;

/*
 * ABI 2.1: a client-driven behaviour describes how its connection behaves, as plain data the
 * host's engine executes (no socket crosses the boundary). Such a behaviour runs on its own
 * connections beside the scenario's mix, not in its concurrency slots: `connections` of them
 * at once for the whole fault phase, each running the script, judging its outcome, and
 * starting again `repeat_after_ms` later.
 *
 * While a script sends or pauses, the host watches the connection: when the server answers
 * or closes it, the script stops there and that is its outcome (a 408, a close, a reset). A
 * script whose last step is not READ, RESET or an endless PAUSE reads one response after its
 * steps. A connection still running when the phase ends has outcome LABOUR_OUTCOME_HELD.
 */
typedef enum labour_step_kind_t {
  LABOUR_STEP_SEND = 1,       /* write `bytes` */
  LABOUR_STEP_TRICKLE = 2,    /* write `total` bytes (0: until the phase ends), cycling through
                                 `bytes`, `chunk` bytes every `interval_ms` */
  LABOUR_STEP_PAUSE = 3,      /* send nothing for `interval_ms` (0: until the phase ends) */
  LABOUR_STEP_HALF_CLOSE = 4, /* shutdown(SHUT_WR): no more bytes from the client */
  LABOUR_STEP_RESET = 5,      /* close with SO_LINGER 0 (an RST): outcome CLIENT_ABORT */
  LABOUR_STEP_READ = 6,       /* read `count` responses (0: 1), at most `rate` bytes/s (0: as
                                 fast as they come; with a rate, the receive buffer is
                                 `chunk` bytes, 0: 4096); the behaviour's timeout applies to
                                 each wait for bytes */
} labour_step_kind_t;

/* One step of a connection script. OWNERSHIP: as the script that holds it. */
typedef struct labour_step_t {
  uint32_t struct_size;
  labour_step_kind_t kind;
  labour_str_t bytes;   /* SEND, TRICKLE: what to write (may hold any bytes, even malformed
                           HTTP: the host adds nothing) */
  uint64_t total;       /* TRICKLE */
  uint32_t chunk;       /* TRICKLE: bytes per write (>= 1); READ: receive buffer with a rate */
  uint32_t interval_ms; /* TRICKLE, PAUSE */
  uint64_t rate;        /* READ: bytes per second, 0: no cap */
  uint32_t count;       /* READ: responses to read, 0: 1 */
} labour_step_t;

/* A client-driven behaviour's connection script. OWNERSHIP: plugin-owned; valid until the
   instance is destroyed. */
typedef struct labour_script_t {
  uint32_t struct_size;
  const labour_step_t* steps; /* step_count elements, step_stride apart; at least one */
  uint32_t step_count;
  uint32_t step_stride;
  uint32_t connections;     /* run at once, beside the mix (>= 1) */
  uint32_t repeat_after_ms; /* between an outcome and the connection's next run */
} labour_script_t;

typedef struct labour_behaviour_api_t {
  uint32_t struct_size;
  /* Required. Python source of the worker half (docs/writing-plugins.md): a module defining
     `handle(environ, start_response, params, ctx)`. Plugin-owned, static. */
  labour_str_t worker_source;
  /* Required. The method the worker half serves its route for, e.g. "GET" or "POST": the
     dispatcher answers any other with 405. Plugin-owned, static. */
  labour_str_t method;
  /* Optional. Files the worker half needs, written into <app>/labour_files/<Name>/ before the
     server starts (ctx.files_dir). file_count elements, file_stride apart. Plugin-owned,
     static. */
  const labour_file_t* files;
  uint32_t file_count;
  uint32_t file_stride;
  /* Required. Fill `out` with the request this instance sends. Called once per instance
     before any load; the host reuses the bytes. Returns 0, or non-zero with last_error. */
  int32_t (*behaviour_on_build_request)(labour_instance_t* self, labour_host_t* host, labour_request_t* out);
  /* Required. 1 if `outcome` is what this behaviour expects, 0 if not, any other value if the
     plugin could not judge it (a failure of the plugin, which the host reports against the
     plugin, never against the server). Called from many threads at once: must not modify the
     instance. */
  int32_t (*behaviour_on_judge)(const labour_instance_t* self, const labour_outcome_t* outcome);
  /* Required. Per-request timeout (ms) this instance needs, given the scenario's. */
  uint32_t (*behaviour_on_timeout_ms)(const labour_instance_t* self, uint32_t scenario_timeout_ms);
  /* Required. 1 if the request is innocent: harmless, so a failure is collateral damage. */
  int32_t (*behaviour_on_is_innocent)(const labour_instance_t* self);
  /* Optional (ABI 2.1; read only when struct_size covers it). A client-driven behaviour: fill
     `out` with its connection script. Called once per instance before any load. NULL: an
     ordinary behaviour, whose request is sent in the mix. A client-driven behaviour's
     build_request still describes its route (what `labour serve` lists), and its timeout
     applies to each wait for the server's bytes. Returns 0, or non-zero with last_error. */
  int32_t (*behaviour_on_build_script)(labour_instance_t* self, labour_host_t* host, labour_script_t* out);
} labour_behaviour_api_t;

/* ---------------------------------------------------------------- servers -------- */

/* What the host provides for a launch. OWNERSHIP: host-owned, borrowed for the call. */
typedef struct labour_launch_context_t {
  uint32_t struct_size;
  labour_str_t python;       /* interpreter, e.g. /usr/bin/python3 */
  labour_str_t app_dir;      /* folder holding the worker app module */
  labour_str_t app_module;   /* module name, e.g. labour_app */
  labour_str_t app_callable; /* WSGI callable in it, e.g. application */
  labour_str_t host;         /* 127.0.0.1 */
  uint32_t port;
  labour_str_t run_dir; /* private (0700) folder for configs, logs, pid files */
} labour_launch_context_t;

/*
 * How to start (or probe) a server: argv, no shell.
 * OWNERSHIP: plugin-owned; valid until the next call on the instance or its destruction.
 */
typedef struct labour_launch_plan_t {
  uint32_t struct_size;
  const labour_str_t* argv; /* argv[0] is an absolute path or a name looked up in PATH */
  uint32_t argc;
  const labour_str_t* env; /* "NAME=value" added to the inherited environment */
  uint32_t envc;
  const labour_file_t* files; /* written into run_dir before the start, file_stride apart */
  uint32_t filec;
  uint32_t file_stride;
  labour_str_t workdir; /* empty: run_dir */
} labour_launch_plan_t;

/*
 * ABI 2.1: what can be done to the running server (lifecycle events of a scenario), declared by
 * its adapter from the server's own documentation. The host sends the signals, to the main
 * process it started; a 0 signal means the server has no such thing, and `*_note` then says
 * why (it is the reason an `unsupported` verdict gives).
 * OWNERSHIP: plugin-owned; valid until the next call on the instance or its destruction.
 */
typedef struct labour_lifecycle_t {
  uint32_t struct_size;
  int32_t reload_signal;        /* graceful reload: new workers, old ones finish (0: none) */
  labour_str_t reload_note;     /* one line: what the reload does and where that is documented,
                                   or why the server has none */
  int32_t graceful_stop_signal; /* stop accepting, finish in-flight requests, exit (0: none) */
  labour_str_t graceful_stop_note;
  uint32_t has_workers; /* 1: requests run in worker processes, children of the main one */
  labour_str_t workers_note;
  labour_str_t worker_cmdline; /* Optional. Among the main process's children, workers are
                                  those whose /proc/<pid>/cmdline contains this; empty: all */
} labour_lifecycle_t;

typedef struct labour_server_api_t {
  uint32_t struct_size;
  /* Required. One line: how to make this server available, e.g. "apt-get install gunicorn". */
  labour_str_t install_hint;
  /* Required. The command that starts the server in the foreground on host:port hosting
     app_module:app_callable. Returns 0, or non-zero with last_error. */
  int32_t (*server_on_plan_launch)(labour_instance_t* self, labour_host_t* host,
                                   const labour_launch_context_t* ctx, labour_launch_plan_t* out);
  /* Required. A short command that exits 0 and prints the server's version as its first
     line of output if the server is available here, and fails otherwise. */
  int32_t (*server_on_plan_probe)(labour_instance_t* self, labour_host_t* host,
                                  const labour_launch_context_t* ctx, labour_launch_plan_t* out);
  /* Optional (ABI 2.1; read only when struct_size covers it). Fill `out` with what this server,
     with this instance's options, supports. NULL: no lifecycle event is supported. Returns 0,
     or non-zero with last_error. */
  int32_t (*server_on_lifecycle)(labour_instance_t* self, labour_host_t* host, labour_lifecycle_t* out);
} labour_server_api_t;

/* ---------------------------------------------------------------- reporters ------ */

typedef struct labour_reporter_api_t {
  uint32_t struct_size;
  /* Required. Render a results document (docs/results-schema.md, UTF-8 JSON) to `sink`.
     Returns 0, or non-zero with last_error. */
  int32_t (*reporter_on_render)(labour_instance_t* self, labour_host_t* host, labour_str_t results_json,
                                const labour_sink_t* sink);
} labour_reporter_api_t;

/* ---------------------------------------------------------------- descriptor ----- */

/*
 * The plugin's descriptor, returned by the entry symbol.
 * OWNERSHIP: plugin-owned, static; valid while the library is loaded.
 */
typedef struct labour_plugin_t {
  uint32_t struct_size;
  uint32_t abi_major;                  /* Required. LABOUR_ABI_MAJOR the plugin was built with. */
  uint32_t abi_minor;                  /* Required. LABOUR_ABI_MINOR the plugin was built with. */
  labour_str_t name;                   /* Required. Unique per kind, [A-Za-z][A-Za-z0-9_-]* */
  labour_str_t version;                /* Required. The plugin's own version. */
  labour_str_t summary;                /* Required. One line. */
  const labour_param_schema_t* params; /* Optional. param_count elements, param_stride apart. */
  uint32_t param_count;
  uint32_t param_stride;
  /*
   * Required. Make an instance from validated parameters (all of them, in schema order,
   * param_stride apart). `api` stays valid for the instance's life; `host` for this call.
   * On failure returns NULL and writes a one-line reason, NUL-terminated, into error_buf
   * (host-owned, error_buf_len bytes).
   */
  labour_instance_t* (*plugin_on_create)(const labour_host_api_t* api, labour_host_t* host,
                                         const labour_param_value_t* params, uint32_t param_count,
                                         uint32_t param_stride, char* error_buf, size_t error_buf_len);
  /* Required. Destroy an instance; nothing of it may run afterwards. */
  void (*plugin_on_destroy)(labour_instance_t* self);
  /* Required. The reason for the last failed call on `self`. Plugin-owned, valid until the
     next call on `self`. */
  labour_str_t (*plugin_on_last_error)(const labour_instance_t* self);
  /*
   * Capability groups, each optional; plugin-owned, static. A plugin points to the groups it
   * implements; its file name (labour_<kind>_<name>.so) says which one it is loaded as, and
   * that group must be there. Later minors append groups (a client-side connection script,
   * lifecycle events, ...) after these.
   */
  const labour_behaviour_api_t* behaviour;
  const labour_server_api_t* server;
  const labour_reporter_api_t* reporter;
} labour_plugin_t;

/* The entry point: `const labour_plugin_t* labour_plugin_entry(void)`. */
typedef const labour_plugin_t* (*labour_plugin_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* LABOUR_PLUGIN_API_H */
