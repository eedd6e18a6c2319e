// The one way the results model and each measured quantity are written into a results
// document (docs/results-schema.md): every producer (run_test, `labour load`) uses these.
#pragma once

#include <nlohmann/json.hpp>

#include "engine/histogram.hpp"
#include "scenario/scenario.hpp"

namespace labour::run {

struct TestResult;

// The test's entry in the results document: the one serialiser of the results model.
nlohmann::ordered_json to_json(const TestResult& t);

// A scenario as run (after the command line's overrides): its load settings, phases,
// verdict thresholds and mix, with each behaviour's parameters as written.
nlohmann::ordered_json scenario_json(const scenario::Scenario& s);

// {"count", "min", "p50", "p90", "p99", "p999", "max", "mean"} in microseconds; only
// {"count": 0} when nothing was recorded.
nlohmann::ordered_json latency_json(const engine::Histogram& h);

}  // namespace labour::run
