// The pieces every file in the agent's state directory is made of: a frame that says what
// the file is and lets a reader tell a whole file from a damaged one, and file operations
// that are durable once they return (the data and the directory entry are on disk).
//
// A framed file is
//   tminus-agent-state 1 KIND\n
//   sha256 HEX length N\n
//   BODY (N bytes)
// so a file cut short, overwritten with something else, edited by hand or written by a
// newer agent is recognised as such instead of being half-read.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tminus::agent {

// The version this agent writes and the only one it reads.
inline constexpr int kStateFormatVersion = 1;

// The first line of every state file: "tminus-agent-state 1 KIND".
std::string StateFileHeader(absl::string_view kind);
// OK when `line` (without its newline) is the header of a `kind` file of this version;
// DATA_LOSS saying what it is instead ("not a tminus-agent state file", "version 2 (this
// agent reads version 1)", "kind 'acknowledged', expected 'attempt'").
absl::Status CheckStateFileHeader(absl::string_view line, absl::string_view kind);

// `body` in the frame above.
std::string FrameStateFile(absl::string_view kind, absl::string_view body);
// The body of a framed `kind` file, or DATA_LOSS saying why it cannot be trusted
// ("truncated: 12 of 480 bytes", "checksum mismatch", ...).
absl::StatusOr<std::string> UnframeStateFile(absl::string_view kind, absl::string_view text);

// The SHA-256 of `data` in lower-case hex.
std::string Sha256Hex(absl::string_view data);

// The whole file (at most 64 MiB, far more than two capped output tails).
absl::StatusOr<std::string> ReadStateFile(const std::string& path);

// Replaces `path` with `content` so that a crash at any moment leaves either the old file
// or the new one, never a mix: the content goes to a temporary file in the same directory
// (created 0600), which is fsynced and renamed over `path`, then the directory is fsynced.
absl::Status ReplaceFileDurably(const std::string& path, absl::string_view content);
// Appends `line` with a single write, then fdatasyncs. A crash can cut only this last line.
absl::Status AppendDurably(const std::string& path, absl::string_view line);
// Removes `path` (already absent is fine) and fsyncs its directory.
absl::Status RemoveDurably(const std::string& path);
// Makes renames, creations and removals in `dir` durable.
absl::Status SyncDirectory(const std::string& dir);

// True for the name of a temporary file ReplaceFileDurably left behind when the process
// died mid-write (".NAME.tmp-*"): incomplete by definition, never to be read.
bool IsTemporaryName(absl::string_view name);

}  // namespace tminus::agent
