// Incremental HTTP/1.x response parser and outcome classification. Fed whatever bytes the
// socket delivers; never trusts them: garbage, half lines, oversized heads, bad chunk sizes
// and bodies that never end all end in a defined state, with bounded memory.
#pragma once

#include <labour/plugin_api.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace labour::engine {

class ResponseParser {
 public:
  static constexpr std::size_t kMaxHeadBytes = 64 * 1024;  // status line + headers
  static constexpr std::size_t kMaxChunkLine = 4096;       // chunk-size line incl. extensions
  static constexpr std::size_t kBodyKeep = 64 * 1024;      // body bytes kept for the judge

  enum class State { StatusLine, Headers, Body, ChunkSize, ChunkData, ChunkDataEnd, Trailers, Done, Error };

  // Starts a new response; head_request: the request was HEAD (no body follows).
  void reset(bool head_request = false);

  // Consumes bytes until the response is complete or malformed; returns how many bytes
  // were used (fewer than `size` only when the state became Done or Error).
  std::size_t feed(const char* data, std::size_t size);

  // The peer closed the connection: a body delimited by the close is complete now.
  // Returns true if the response is complete.
  bool finish_on_eof();

  State state() const { return state_; }
  bool done() const { return state_ == State::Done; }
  bool failed() const { return state_ == State::Error; }
  bool started() const { return bytes_seen_ > 0; }       // any response byte arrived
  bool head_complete() const { return head_complete_; }  // the final head was parsed
  int status() const { return status_; }
  // Whether the connection may carry another request after this response.
  bool keep_alive() const { return keep_alive_ && !extra_bytes_; }
  std::uint64_t body_length() const { return body_length_; }
  std::string_view body() const { return body_; }  // first kBodyKeep bytes
  const char* error() const { return error_; }
  // Bytes arrived after the end of the response (no request was pipelined): the stream
  // is out of step, so the connection must not be reused.
  void note_extra_bytes() { extra_bytes_ = true; }
  bool extra_bytes() const { return extra_bytes_; }  // bytes came after the complete response

 private:
  bool fail(const char* why);
  bool on_line(std::string_view line);  // a complete CRLF/LF-terminated line, without it
  bool on_status_line(std::string_view line);
  bool on_header(std::string_view line);
  bool on_head_end();
  bool on_chunk_size(std::string_view line);
  void keep_body(const char* data, std::size_t size);

  State state_ = State::StatusLine;
  bool head_request_ = false;
  bool head_complete_ = false;
  bool keep_alive_ = false;
  bool extra_bytes_ = false;
  bool http10_ = false;
  bool connection_close_ = false, connection_keep_alive_ = false;
  bool chunked_ = false, has_length_ = false, other_encoding_ = false, until_close_ = false;
  int status_ = 0;
  std::uint64_t content_length_ = 0;
  std::uint64_t remaining_ = 0;  // of the Content-Length body or of the current chunk
  std::uint64_t body_length_ = 0;
  std::uint64_t bytes_seen_ = 0;
  std::size_t head_bytes_ = 0;  // of the status line and headers (and of trailers)
  std::string line_;            // the current, incomplete line
  std::string body_;
  const char* error_ = "";
};

// How a request ended at transport level, as seen by the connection.
enum class Ending {
  Complete,        // the parser is done
  Malformed,       // the parser failed
  Eof,             // orderly close from the peer while reading
  ReadError,       // read/write error (ec says which)
  ConnectError,    // connect failed (ec says which)
  ConnectTimeout,  // connect did not finish in time
  Timeout,         // the request's timeout expired
};

// The outcome for an ending, given what the parser saw (finish_on_eof already applied).
// error_number: the errno of a ReadError/ConnectError (0 if unknown).
labour_outcome_kind_t classify(Ending ending, const ResponseParser& parser, int error_number = 0);

// True for the errnos that mean labour itself ran out of something (descriptors, buffers,
// ports, memory): an other_error the server did not cause. -1: the socket could not be made.
bool local_failure(int error_number);

// "http_200", "connect_refused", ...: the stable outcome keys of the results document.
std::string outcome_key(labour_outcome_kind_t kind, int http_status);

}  // namespace labour::engine
