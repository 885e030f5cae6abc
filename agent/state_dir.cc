#include "agent/state_dir.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <utility>

#include <dirent.h>
#include <fcntl.h>
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/dispatch_translate.h"
#include "agent/state_file.h"

namespace tminus::agent {
namespace {

constexpr const char* kAttemptKind = "attempt";
constexpr const char* kAcknowledgedKind = "acknowledged";
constexpr const char* kAttemptSuffix = ".attempt";
// Hex digits of SHA-256 in an entry of the acknowledged file and in attempt file names.
constexpr size_t kEntryChecksumHex = 16;
constexpr size_t kMaxLabelInName = 48;

bool EndsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Keeps the first parse error, instead of protobuf's default of logging it to stderr.
class FirstError : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, int column, const std::string& message) override {
    if (text_.empty()) text_ = absl::StrCat("line ", line + 1, ": ", message);
  }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

template <typename Message>
absl::Status ParseText(const std::string& text, Message* message) {
  google::protobuf::TextFormat::Parser parser;
  FirstError errors;
  parser.RecordErrorsTo(&errors);
  // A field added by a later agent of the same format version is not damage.
  parser.AllowUnknownField(true);
  if (!parser.ParseFromString(text, message)) {
    return absl::DataLossError(absl::StrCat("its record does not parse (",
                                            errors.text().empty() ? "?" : errors.text(), ")"));
  }
  return absl::OkStatus();
}

// An entry of the acknowledged file: "CHECKSUM DISPATCH-ID-IN-ONE-LINE-OF-TEXT-FORMAT".
std::string AcknowledgedEntry(const v1::DispatchId& id) {
  google::protobuf::TextFormat::Printer printer;
  printer.SetSingleLineMode(true);  // strings are escaped, so no newline gets in
  std::string text;
  printer.PrintToString(id, &text);
  return absl::StrCat(Sha256Hex(text).substr(0, kEntryChecksumHex), " ", text);
}

bool ParseAcknowledgedEntry(const std::string& line, v1::DispatchId* id) {
  const size_t space = line.find(' ');
  if (space != kEntryChecksumHex) return false;
  const std::string text = line.substr(space + 1);
  if (Sha256Hex(text).substr(0, kEntryChecksumHex) != line.substr(0, space)) return false;
  return ParseText(text, id).ok() && !id->step_id().empty();
}

// Finished attempts in the order they finished, then running ones in the order they
// started: the order in which the agent lists and redelivers them.
bool RecordOrder(const v1::AttemptRecord& a, const v1::AttemptRecord& b) {
  if (a.has_result() != b.has_result()) return a.has_result();
  if (a.has_result() && a.result().finished_unix_ms() != b.result().finished_unix_ms()) {
    return a.result().finished_unix_ms() < b.result().finished_unix_ms();
  }
  if (a.started_unix_ms() != b.started_unix_ms()) return a.started_unix_ms() < b.started_unix_ms();
  return AttemptKey(a.id()) < AttemptKey(b.id());
}

std::vector<std::string> ListDirectory(const std::string& dir, int* error) {
  std::vector<std::string> names;
  DIR* handle = ::opendir(dir.c_str());
  if (handle == nullptr) {
    *error = errno;
    return names;
  }
  while (const dirent* entry = ::readdir(handle)) {
    const std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(handle);
  std::sort(names.begin(), names.end());
  *error = 0;
  return names;
}

absl::Status MakeDirectory(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) == 0 || errno == EEXIST) return absl::OkStatus();
  return absl::InternalError(absl::StrCat("cannot create ", dir, ": ", std::strerror(errno)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<StateDir>> StateDir::Open(const std::string& path_arg,
                                                         StateDirOptions options) {
  std::string path = path_arg;
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  if (path.empty()) return absl::InvalidArgumentError("--state-dir is empty; give a directory");
  const std::string named = absl::StrCat("the state directory ", path);
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create ", named, ": ", std::strerror(errno)));
  }
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot use ", named, ": ", std::strerror(errno)));
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(named, " is not a directory"));
  }

  const std::string lock_path = path + "/lock";
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(named, " is not writable: cannot open ", lock_path, ": ", std::strerror(errno)));
  }
  // flock rather than a PID file: the kernel drops the lock when its holder dies, however it
  // dies, so a crash never leaves a stale lock behind. O_CLOEXEC keeps it out of the
  // attempts' processes, which would otherwise hold it after the agent died.
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    char buffer[32] = {};
    const ssize_t got = ::pread(fd, buffer, sizeof buffer - 1, 0);
    ::close(fd);
    if (error != EWOULDBLOCK) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot lock ", lock_path, ": ", std::strerror(error)));
    }
    int holder = 0;
    const bool known =
        got > 0 && absl::SimpleAtoi(absl::StripAsciiWhitespace(buffer), &holder) && holder > 0;
    return absl::FailedPreconditionError(
        absl::StrCat(named, " is in use by another tminus-agent",
                     known ? absl::StrCat(" (PID ", holder, ")") : std::string(),
                     "; each agent needs a state directory of its own"));
  }
  const std::string pid = absl::StrCat(::getpid(), "\n");
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    const int error = errno;
    ::close(fd);
    return absl::FailedPreconditionError(
        absl::StrCat(named, " is not writable: cannot write ", lock_path, ": ", std::strerror(error)));
  }
  // The lock file may be writable where new files cannot be made (a directory made
  // read-only since): find out now rather than at the first result.
  std::string probe = path + "/.write-check.tmp-XXXXXX";
  const int probe_fd = ::mkostemp(probe.data(), O_CLOEXEC);
  if (probe_fd < 0) {
    const int error = errno;
    ::close(fd);
    return absl::FailedPreconditionError(
        absl::StrCat(named, " is not writable: cannot create a file in it: ", std::strerror(error)));
  }
  ::close(probe_fd);
  ::unlink(probe.c_str());
  auto state = std::unique_ptr<StateDir>(new StateDir(path, fd, options));
  if (absl::Status made = MakeDirectory(state->AttemptsDir()); !made.ok()) return made;
  return state;
}

StateDir::StateDir(std::string path, int lock_fd, StateDirOptions options)
    : path_(std::move(path)), lock_fd_(lock_fd), options_(options) {}

StateDir::~StateDir() { ::close(lock_fd_); }

std::string StateDir::AttemptPath(const v1::DispatchId& id) const {
  // Readable (the step and attempt) and unique (a hash of the whole id).
  std::string label;
  for (const char c : id.step_id().substr(0, kMaxLabelInName)) {
    label.push_back(
        absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ? c : '_');
  }
  return absl::StrCat(AttemptsDir(), "/", label, ".", id.rollback() ? "rollback" : "", id.attempt(),
                      ".", Sha256Hex(AttemptKey(id)).substr(0, kEntryChecksumHex), kAttemptSuffix);
}

absl::StatusOr<StateDir::Contents> StateDir::Load() {
  Contents contents;
  // Leftovers of writes the previous process did not finish: incomplete by definition.
  for (const std::string& dir : {path_, AttemptsDir()}) {
    int error = 0;
    for (const std::string& name : ListDirectory(dir, &error)) {
      if (!IsTemporaryName(name)) continue;
      if (::unlink((dir + "/" + name).c_str()) == 0) {
        contents.notes.push_back(absl::StrCat("removed ", dir, "/", name,
                                              ", a write the previous process did not finish"));
      }
    }
  }
  LoadAcknowledged(&contents);
  if (absl::Status loaded = LoadAttempts(&contents); !loaded.ok()) return loaded;
  return contents;
}

void StateDir::LoadAcknowledged(Contents* contents) {
  ack_lines_.clear();
  ack_file_exists_ = false;
  const std::string file = AcknowledgedPath();
  struct stat st;
  if (::lstat(file.c_str(), &st) != 0 && errno == ENOENT) return;
  absl::StatusOr<std::string> text = ReadStateFile(file);
  if (!text.ok()) {
    MoveAside(path_, "acknowledged", std::string(text.status().message()), &contents->notes);
    return;
  }
  const size_t header_end = text->find('\n');
  absl::Status header = header_end == std::string::npos
                            ? absl::DataLossError("no complete first line")
                            : CheckStateFileHeader(text->substr(0, header_end), kAcknowledgedKind);
  if (!header.ok()) {
    MoveAside(path_, "acknowledged", std::string(header.message()), &contents->notes);
    contents->notes.push_back(
        "no acknowledged ids are remembered from before the restart: a dispatch the "
        "coordinator sends again after its result was journaled would run again");
    return;
  }
  size_t good = 0, bad = 0;
  bool torn = false;
  for (size_t at = header_end + 1; at < text->size();) {
    const size_t end = text->find('\n', at);
    if (end == std::string::npos) {
      torn = true;  // a crash during the last append: that ack never completed
      break;
    }
    const std::string line = text->substr(at, end - at);
    at = end + 1;
    v1::DispatchId id;
    if (ParseAcknowledgedEntry(line, &id)) {
      ack_lines_.push_back(line);
      ++good;
    } else {
      ++bad;
    }
  }
  bool rewrite = torn;
  if (torn) {
    contents->notes.push_back(absl::StrCat("ignored the incomplete last entry of ", file,
                                           ", cut short when the previous process stopped"));
  }
  if (bad > 0) {
    MoveAside(path_, "acknowledged",
              absl::StrCat(bad, " of its ", good + bad, " entries are damaged; the other ", good,
                           " are kept"),
              &contents->notes);
    rewrite = true;
  }
  ack_file_exists_ = !rewrite;
  while (ack_lines_.size() > options_.remembered_acks) {
    ack_lines_.pop_front();
    rewrite = true;
  }
  if (rewrite) {
    if (absl::Status written = RewriteAcknowledged(); !written.ok()) {
      contents->notes.push_back(std::string(written.message()));
    }
  }
  for (const std::string& line : ack_lines_) {
    v1::DispatchId id;
    ParseAcknowledgedEntry(line, &id);
    contents->acknowledged.push_back(std::move(id));
  }
}

absl::Status StateDir::LoadAttempts(Contents* contents) {
  const std::string dir = AttemptsDir();
  int error = 0;
  const std::vector<std::string> names = ListDirectory(dir, &error);
  if (error != 0)
    return absl::InternalError(absl::StrCat("cannot list ", dir, ": ", std::strerror(error)));
  std::set<std::string> acknowledged;
  for (const v1::DispatchId& id : contents->acknowledged) acknowledged.insert(AttemptKey(id));
  for (const std::string& name : names) {
    if (!EndsWith(name, kAttemptSuffix)) continue;  // not ours: left alone
    const std::string file = dir + "/" + name;
    absl::StatusOr<std::string> text = ReadStateFile(file);
    if (!text.ok()) {
      MoveAside(dir, name, std::string(text.status().message()), &contents->notes);
      continue;
    }
    absl::StatusOr<std::string> body = UnframeStateFile(kAttemptKind, *text);
    v1::AttemptRecord record;
    absl::Status parsed = body.ok() ? ParseText(*body, &record) : body.status();
    if (parsed.ok() && record.id().step_id().empty()) {
      parsed = absl::DataLossError("it names no attempt");
    }
    if (parsed.ok() && AttemptPath(record.id()) != file) {
      parsed = absl::DataLossError(absl::StrCat("it holds attempt ", AttemptLabel(record.id()),
                                                ", whose file has another name"));
    }
    if (!parsed.ok()) {
      MoveAside(dir, name, std::string(parsed.message()), &contents->notes);
      continue;
    }
    if (acknowledged.count(AttemptKey(record.id())) != 0) {
      // The agent died between remembering the ack and removing the file.
      absl::Status removed = RemoveDurably(file);
      contents->notes.push_back(
          removed.ok() ? absl::StrCat("removed ", file, ": its result had been acknowledged")
                       : std::string(removed.message()));
      continue;
    }
    contents->attempts.push_back(std::move(record));
  }
  std::sort(contents->attempts.begin(), contents->attempts.end(), RecordOrder);
  return absl::OkStatus();
}

void StateDir::MoveAside(const std::string& dir, const std::string& file, const std::string& why,
                         std::vector<std::string>* notes) {
  const std::string from = dir + "/" + file;
  const std::string damaged = path_ + "/damaged";
  std::string to = damaged + "/" + file;
  absl::Status status = MakeDirectory(damaged);
  struct stat st;
  for (int n = 1; status.ok() && ::lstat(to.c_str(), &st) == 0; ++n) {
    to = absl::StrCat(damaged, "/", file, ".", n);
  }
  if (status.ok() && ::rename(from.c_str(), to.c_str()) != 0) {
    status = absl::InternalError(absl::StrCat("cannot rename it: ", std::strerror(errno)));
  }
  if (status.ok()) status = SyncDirectory(dir);
  if (status.ok()) status = SyncDirectory(damaged);
  if (!status.ok()) {
    notes->push_back(absl::StrCat("ignored the damaged state file ", from, " (", why,
                                  "); it could not be moved aside: ", status.message()));
    return;
  }
  notes->push_back(absl::StrCat("moved the damaged state file ", from, " to ", to, ": ", why));
}

absl::Status StateDir::Save(const v1::AttemptRecord& record) {
  std::string body;
  if (!google::protobuf::TextFormat::PrintToString(record, &body)) {
    return absl::InternalError(
        absl::StrCat("cannot write the record of ", AttemptLabel(record.id())));
  }
  return ReplaceFileDurably(AttemptPath(record.id()), FrameStateFile(kAttemptKind, body));
}

absl::Status StateDir::Forget(const v1::DispatchId& id) { return RemoveDurably(AttemptPath(id)); }

absl::Status StateDir::Acknowledge(const v1::DispatchId& id) {
  if (options_.remembered_acks == 0) return absl::OkStatus();
  const std::string entry = AcknowledgedEntry(id);
  if (!ack_file_exists_ || ack_lines_.size() + 1 > 2 * options_.remembered_acks) {
    // No file yet (or one a failed append may have left uneven), or time to compact.
    ack_lines_.push_back(entry);
    while (ack_lines_.size() > options_.remembered_acks) ack_lines_.pop_front();
    return RewriteAcknowledged();
  }
  absl::Status appended = AppendDurably(AcknowledgedPath(), entry + "\n");
  if (!appended.ok()) {
    ack_file_exists_ = false;  // the next one rewrites the file whole
    return appended;
  }
  ack_lines_.push_back(entry);
  return absl::OkStatus();
}

absl::Status StateDir::RewriteAcknowledged() {
  std::string content = StateFileHeader(kAcknowledgedKind) + "\n";
  for (const std::string& line : ack_lines_) absl::StrAppend(&content, line, "\n");
  absl::Status written = ReplaceFileDurably(AcknowledgedPath(), content);
  ack_file_exists_ = written.ok();
  return written;
}

}  // namespace tminus::agent
