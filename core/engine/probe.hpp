// One-request probes built on run_load, so that everything labour sends over HTTP goes
// through the one client (readiness polling included).
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <string_view>

#include "engine/engine.hpp"

namespace labour::engine {

// One GET of `path` (a leading '/' is added if missing) on a fresh connection: true if any
// complete HTTP response (any status) came back within `timeout`, connect included; with
// `expect`, only a 200 whose body holds it (whose server is the one meant). Runs on the
// calling thread; returns false early once *stop becomes true. Loopback targets only.
// Throws std::invalid_argument for a bad target or path, as run_load does.
bool answers_http(const Target& target, const std::string& path, std::chrono::milliseconds timeout,
                  const std::atomic<bool>* stop = nullptr, std::string_view expect = {});

}  // namespace labour::engine
