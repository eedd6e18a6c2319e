#include "engine/response.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

namespace labour::engine {

namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = lower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool is_token_char(char c) {
  if (c <= 32 || c >= 127) return false;
  return std::strchr("()<>@,;:\\\"/[]?={}", c) == nullptr;
}

// Calls fn(token) for every comma-separated, trimmed, non-empty element of a list value.
template <typename Fn>
void for_each_token(std::string_view value, Fn fn) {
  while (!value.empty()) {
    const std::size_t comma = value.find(',');
    std::string_view token = trim(value.substr(0, comma));
    if (!token.empty()) fn(token);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
}

constexpr std::string_view kVersionPrefix = "HTTP/1.";

}  // namespace

void ResponseParser::reset(bool head_request) {
  state_ = State::StatusLine;
  head_request_ = head_request;
  head_complete_ = keep_alive_ = extra_bytes_ = http10_ = false;
  connection_close_ = connection_keep_alive_ = false;
  chunked_ = has_length_ = other_encoding_ = until_close_ = false;
  status_ = 0;
  content_length_ = remaining_ = body_length_ = bytes_seen_ = 0;
  head_bytes_ = 0;
  line_.clear();  // keeps capacity: no allocation per request once warmed up
  body_.clear();
  error_ = "";
}

bool ResponseParser::fail(const char* why) {
  state_ = State::Error;
  error_ = why;
  keep_alive_ = false;
  return false;
}

void ResponseParser::keep_body(const char* data, std::size_t size) {
  body_length_ += size;
  if (body_.size() < kBodyKeep) body_.append(data, std::min(size, kBodyKeep - body_.size()));
}

std::size_t ResponseParser::feed(const char* data, std::size_t size) {
  std::size_t i = 0;
  while (i < size) {
    switch (state_) {
      case State::Done:
      case State::Error:
        bytes_seen_ += i;
        return i;

      case State::Body: {
        if (until_close_) {
          keep_body(data + i, size - i);
          i = size;
          break;
        }
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, size - i));
        keep_body(data + i, n);
        remaining_ -= n;
        i += n;
        if (remaining_ == 0) state_ = State::Done;
        break;
      }

      case State::ChunkData: {
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, size - i));
        keep_body(data + i, n);
        remaining_ -= n;
        i += n;
        if (remaining_ == 0) state_ = State::ChunkDataEnd;
        break;
      }

      default: {  // line-based states
        const char* start = data + i;
        const auto* newline = static_cast<const char*>(std::memchr(start, '\n', size - i));
        const std::size_t take = newline ? static_cast<std::size_t>(newline - start) + 1 : size - i;
        const bool in_head =
            state_ == State::StatusLine || state_ == State::Headers || state_ == State::Trailers;
        if (in_head) {
          head_bytes_ += take;
          if (head_bytes_ > kMaxHeadBytes) {
            bytes_seen_ += i + take;
            fail("response head larger than 64 KiB");
            return i + take;
          }
        } else if (line_.size() + take > kMaxChunkLine) {
          bytes_seen_ += i + take;
          fail("chunk-size line too long");
          return i + take;
        }
        line_.append(start, take);
        i += take;
        if (state_ == State::StatusLine) {
          // Reject garbage as soon as it differs from "HTTP/1.", not only at the newline,
          // so a peer that sends noise and never a newline is caught at once.
          std::string_view so_far = line_;
          if (so_far != "\r\n" && so_far != "\n" && so_far != "\r") {
            const std::size_t n = std::min(so_far.size(), kVersionPrefix.size());
            if (so_far.substr(0, n) != kVersionPrefix.substr(0, n)) {
              bytes_seen_ += i;
              fail("not an HTTP/1.x status line");
              return i;
            }
          }
        }
        if (!newline) break;
        std::string_view line = line_;
        line.remove_suffix(1);  // '\n'
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        const bool ok = on_line(line);
        line_.clear();
        if (!ok) {
          bytes_seen_ += i;
          return i;
        }
        break;
      }
    }
  }
  bytes_seen_ += i;
  return i;
}

bool ResponseParser::on_line(std::string_view line) {
  switch (state_) {
    case State::StatusLine:
      if (line.empty()) return true;  // tolerate stray CRLFs between responses
      return on_status_line(line);
    case State::Headers:
      return on_header(line);
    case State::ChunkSize:
      return on_chunk_size(line);
    case State::ChunkDataEnd:
      if (!line.empty()) return fail("chunk data longer than its size");
      state_ = State::ChunkSize;
      return true;
    case State::Trailers:
      if (line.empty()) state_ = State::Done;
      return true;  // trailer fields are ignored
    default:
      return fail("internal: line in a non-line state");
  }
}

bool ResponseParser::on_status_line(std::string_view line) {
  // HTTP/1.x SP 3DIGIT [SP reason-phrase]
  if (line.size() < 12 || line.substr(0, 7) != kVersionPrefix || !is_digit(line[7]) || line[8] != ' ' ||
      !is_digit(line[9]) || !is_digit(line[10]) || !is_digit(line[11]) || line[9] == '0' ||
      (line.size() > 12 && line[12] != ' '))
    return fail("malformed status line");
  http10_ = line[7] == '0';
  status_ = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
  state_ = State::Headers;
  return true;
}

bool ResponseParser::on_header(std::string_view line) {
  if (line.empty()) return on_head_end();
  if (line.front() == ' ' || line.front() == '\t') return fail("obsolete header line folding");
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return fail("header line without a name");
  const std::string_view name = line.substr(0, colon);
  for (char c : name)
    if (!is_token_char(c)) return fail("invalid character in a header name");
  const std::string_view value = trim(line.substr(colon + 1));

  if (iequals(name, "content-length")) {
    if (value.empty() || value.size() > 18) return fail("invalid Content-Length");
    std::uint64_t n = 0;
    for (char c : value) {
      if (!is_digit(c)) return fail("invalid Content-Length");
      n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (has_length_ && n != content_length_) return fail("conflicting Content-Length headers");
    has_length_ = true;
    content_length_ = n;
  } else if (iequals(name, "transfer-encoding")) {
    // The last coding decides whether the body is chunked (RFC 9112 6.3).
    for_each_token(value, [this](std::string_view coding) {
      chunked_ = iequals(coding, "chunked");
      other_encoding_ = !chunked_;
    });
  } else if (iequals(name, "connection")) {
    for_each_token(value, [this](std::string_view option) {
      if (iequals(option, "close")) connection_close_ = true;
      if (iequals(option, "keep-alive")) connection_keep_alive_ = true;
    });
  }
  return true;
}

bool ResponseParser::on_head_end() {
  if (status_ >= 100 && status_ < 200 && status_ != 101) {
    // An interim response (100 Continue, 103 Early Hints): the final one follows.
    status_ = 0;
    http10_ = connection_close_ = connection_keep_alive_ = false;
    chunked_ = has_length_ = other_encoding_ = false;
    content_length_ = 0;
    state_ = State::StatusLine;
    return true;
  }
  head_complete_ = true;
  keep_alive_ = http10_ ? (connection_keep_alive_ && !connection_close_) : !connection_close_;
  if (head_request_ || status_ == 204 || status_ == 304 || status_ == 101) {
    if (status_ == 101) keep_alive_ = false;  // the stream is no longer HTTP
    state_ = State::Done;
  } else if (chunked_) {
    if (has_length_) keep_alive_ = false;  // both framings: do not trust the stream after it
    state_ = State::ChunkSize;
  } else if (other_encoding_) {
    until_close_ = true;
    keep_alive_ = false;
    state_ = State::Body;
  } else if (has_length_) {
    remaining_ = content_length_;
    state_ = remaining_ == 0 ? State::Done : State::Body;
  } else {
    until_close_ = true;
    keep_alive_ = false;
    state_ = State::Body;
  }
  return true;
}

bool ResponseParser::on_chunk_size(std::string_view line) {
  std::uint64_t size = 0;
  std::size_t digits = 0;
  while (digits < line.size() && hex_value(line[digits]) >= 0) {
    if (digits == 15) return fail("chunk size too large");
    size = size * 16 + static_cast<std::uint64_t>(hex_value(line[digits]));
    ++digits;
  }
  if (digits == 0) return fail("invalid chunk size");
  const std::string_view rest = trim(line.substr(digits));
  if (!rest.empty() && rest.front() != ';') return fail("invalid chunk size");
  if (size == 0) {
    head_bytes_ = 0;  // trailers get their own 64 KiB budget
    state_ = State::Trailers;
  } else {
    remaining_ = size;
    state_ = State::ChunkData;
  }
  return true;
}

bool ResponseParser::finish_on_eof() {
  if (state_ == State::Body && until_close_) state_ = State::Done;
  return done();
}

bool local_failure(int error_number) {
  switch (error_number) {
    case -1:
    case EMFILE:
    case ENFILE:
    case ENOBUFS:
    case ENOMEM:
    case EADDRNOTAVAIL:
    case EADDRINUSE:
      return true;
    default:
      return false;
  }
}

labour_outcome_kind_t classify(Ending ending, const ResponseParser& parser, int error_number) {
  switch (ending) {
    case Ending::Complete:
      return LABOUR_OUTCOME_HTTP;
    case Ending::Malformed:
      return LABOUR_OUTCOME_MALFORMED_RESPONSE;
    case Ending::Eof:
      if (parser.done()) return LABOUR_OUTCOME_HTTP;
      if (parser.failed()) return LABOUR_OUTCOME_MALFORMED_RESPONSE;
      if (!parser.started()) return LABOUR_OUTCOME_EOF_BEFORE_RESPONSE;
      // A close inside the head leaves no usable response: treat it as malformed.
      return parser.head_complete() ? LABOUR_OUTCOME_TRUNCATED_BODY : LABOUR_OUTCOME_MALFORMED_RESPONSE;
    case Ending::ReadError:
      if (error_number == ECONNRESET || error_number == EPIPE || error_number == ECONNABORTED)
        return parser.started() ? LABOUR_OUTCOME_RESET_MID_RESPONSE : LABOUR_OUTCOME_RESET_BEFORE_RESPONSE;
      return LABOUR_OUTCOME_OTHER_ERROR;
    case Ending::ConnectError:
      if (error_number == ECONNREFUSED) return LABOUR_OUTCOME_CONNECT_REFUSED;
      // A listener that dies while the handshake completes resets it.
      if (error_number == ECONNRESET || error_number == ECONNABORTED)
        return LABOUR_OUTCOME_RESET_BEFORE_RESPONSE;
      if (error_number == ETIMEDOUT) return LABOUR_OUTCOME_CONNECT_TIMEOUT;
      return LABOUR_OUTCOME_OTHER_ERROR;
    case Ending::ConnectTimeout:
      return LABOUR_OUTCOME_CONNECT_TIMEOUT;
    case Ending::Timeout:
      return parser.started() ? LABOUR_OUTCOME_TOTAL_TIMEOUT : LABOUR_OUTCOME_FIRST_BYTE_TIMEOUT;
  }
  return LABOUR_OUTCOME_OTHER_ERROR;
}

std::string outcome_key(labour_outcome_kind_t kind, int http_status) {
  switch (kind) {
    case LABOUR_OUTCOME_HTTP:
      return "http_" + std::to_string(http_status);
    case LABOUR_OUTCOME_CONNECT_REFUSED:
      return "connect_refused";
    case LABOUR_OUTCOME_CONNECT_TIMEOUT:
      return "connect_timeout";
    case LABOUR_OUTCOME_RESET_BEFORE_RESPONSE:
      return "reset_before_response";
    case LABOUR_OUTCOME_RESET_MID_RESPONSE:
      return "reset_mid_response";
    case LABOUR_OUTCOME_EOF_BEFORE_RESPONSE:
      return "eof_before_response";
    case LABOUR_OUTCOME_TRUNCATED_BODY:
      return "truncated_body";
    case LABOUR_OUTCOME_FIRST_BYTE_TIMEOUT:
      return "first_byte_timeout";
    case LABOUR_OUTCOME_TOTAL_TIMEOUT:
      return "total_timeout";
    case LABOUR_OUTCOME_MALFORMED_RESPONSE:
      return "malformed_response";
    case LABOUR_OUTCOME_OTHER_ERROR:
      return "other_error";
    case LABOUR_OUTCOME_CLIENT_ABORT:
      return "client_abort";
    case LABOUR_OUTCOME_HELD:
      return "held";
  }
  return "other_error";
}

}  // namespace labour::engine
