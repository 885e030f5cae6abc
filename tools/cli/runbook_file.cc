#include "tools/cli/runbook_file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/loader/runbook_loader.h"
#include "tools/cli/terminal.h"

namespace tminus::cli {

bool ReadFile(const std::string& path, std::string* text, std::string* error) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    *error = std::strerror(errno);
    return false;
  }
  if (S_ISDIR(st.st_mode)) {
    *error = "it is a directory";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = std::strerror(errno);
    return false;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) {
    *error = "read failed";
    return false;
  }
  *text = std::move(buffer).str();
  return true;
}

bool WriteFileAtomically(const std::string& path, const std::string& text, std::string* error) {
  struct stat st {};
  if (stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    *error = "it is a directory";
    return false;
  }
  const std::string temporary = path + ".tmp-" + std::to_string(::getpid());
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    *error = std::strerror(errno);
    return false;
  }
  size_t written = 0;
  bool ok = true;
  while (ok && written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) ok = false;
    else written += static_cast<size_t>(n);
  }
  if (ok && ::fsync(fd) != 0) ok = false;
  if (!ok) *error = std::strerror(errno);
  if (::close(fd) != 0 && ok) {
    ok = false;
    *error = std::strerror(errno);
  }
  if (ok && ::rename(temporary.c_str(), path.c_str()) != 0) {
    ok = false;
    *error = std::strerror(errno);
  }
  if (!ok) ::unlink(temporary.c_str());
  return ok;
}

CheckedRunbook CheckRunbookFile(const std::string& path, const ValidateOptions& options,
                                bool strict) {
  CheckedRunbook c;
  c.path = path;
  if (!ReadFile(path, &c.text, &c.read_error)) return c;
  c.readable = true;
  c.runbook = LoadRunbook(c.text, &c.diagnostics);
  ValidateRunbook(c.runbook, options, &c.diagnostics);
  if (strict) {
    Diagnostics promoted;
    for (const Diagnostic& d : c.diagnostics.all()) promoted.Error(d.loc, d.message);
    c.diagnostics = std::move(promoted);
  }
  c.diagnostics.SortByLocation();
  return c;
}

std::optional<Instant> ParseT0(const std::string& text, std::string* error) {
  std::string why;
  std::optional<Instant> t0 = ParseAbsoluteTime(text, &why);
  if (!t0) *error = "--t0 '" + text + "' is not an absolute time: " + why;
  return t0;
}

void PrintDiagnostics(const CheckedRunbook& checked, std::ostream& out, bool color) {
  Style style;
  style.color = color;
  for (const Diagnostic& d : checked.diagnostics.all()) {
    const std::string label = d.severity == Severity::kError ? style.Red("error:")
                                                             : style.Yellow("warning:");
    out << style.Bold(checked.path + ":" + std::to_string(d.loc.line) + ":" +
                      std::to_string(d.loc.column) + ":")
        << " " << label << " " << d.message << "\n";
  }
}

std::unique_ptr<CheckedRunbook> LoadRunbookFor(const char* command, const std::string& file,
                                               const std::optional<std::string>& t0_flag,
                                               bool show_warnings, const Output& io,
                                               std::optional<Instant>* t0, int* exit_code) {
  ValidateOptions options;
  if (t0_flag) {
    std::string error;
    options.t0 = ParseT0(*t0_flag, &error);
    if (!options.t0) {
      io.err << "tminus " << command << ": " << error << "\n";
      *exit_code = kExitUsage;
      return nullptr;
    }
  }
  *t0 = options.t0;
  auto c = std::make_unique<CheckedRunbook>(CheckRunbookFile(file, options, /*strict=*/false));
  if (!c->readable) {
    io.err << "tminus " << command << ": cannot read '" << file << "': " << c->read_error << "\n";
    *exit_code = kExitUsage;
    return nullptr;
  }
  if (show_warnings || c->diagnostics.has_errors()) PrintDiagnostics(*c, io.err, io.color_err);
  if (c->diagnostics.has_errors()) {
    io.err << "tminus " << command << ": " << file << " is not valid; fix the errors above first\n";
    *exit_code = kExitInvalid;
    return nullptr;
  }
  return c;
}

}  // namespace tminus::cli
