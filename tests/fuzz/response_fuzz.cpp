// libFuzzer target: arbitrary byte streams through the response parser and the outcome
// classifier, split into arbitrary pieces as a socket would deliver them. Checks the
// parser's invariants; the sanitizers check memory.
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "engine/response.hpp"

using labour::engine::classify;
using labour::engine::Ending;
using labour::engine::outcome_key;
using labour::engine::ResponseParser;

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  // First byte: piece size (1..256); second: flags (HEAD request, when to stop).
  const std::size_t piece = static_cast<std::size_t>(data[0]) + 1;
  const bool head = data[1] & 1;
  const auto* bytes = reinterpret_cast<const char*>(data + 2);
  size -= 2;

  static ResponseParser parser;  // reused across inputs, as a connection reuses it
  parser.reset(head);
  std::size_t offset = 0;
  while (offset < size && !parser.done() && !parser.failed()) {
    const std::size_t n = std::min(piece, size - offset);
    const std::size_t used = parser.feed(bytes + offset, n);
    check(used <= n);
    check(used == n || parser.done() || parser.failed());
    offset += used;
    if (used < n) break;
  }
  if (parser.done() || parser.failed()) check(parser.feed("x", 1) == 0);  // final states stay final
  check(parser.body().size() <= ResponseParser::kBodyKeep);
  check(parser.body().size() <= parser.body_length());
  if (parser.done()) check(parser.status() >= 100 && parser.status() <= 999);
  if (parser.failed()) check(*parser.error() != '\0');
  if (offset > 0) check(parser.started());

  if (data[1] & 2) parser.finish_on_eof();
  for (Ending e : {Ending::Complete, Ending::Malformed, Ending::Eof, Ending::ReadError, Ending::ConnectError,
                   Ending::ConnectTimeout, Ending::Timeout}) {
    for (int err : {0, ECONNRESET, EPIPE, ECONNREFUSED, ETIMEDOUT, EMFILE}) {
      const labour_outcome_kind_t kind = classify(e, parser, err);
      check(kind >= LABOUR_OUTCOME_HTTP && kind <= LABOUR_OUTCOME_OTHER_ERROR);
      check(!outcome_key(kind, parser.status()).empty());
    }
  }
  if (parser.done()) check(classify(Ending::Eof, parser) == LABOUR_OUTCOME_HTTP);
  return 0;
}
