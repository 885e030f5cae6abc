// Helpers for tests that build runbooks from inline YAML.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "engine/base/diagnostic.h"
#include "engine/loader/runbook_loader.h"
#include "engine/validate/validator.h"

namespace tminus::testing {

struct Checked {
  Runbook runbook;
  Diagnostics diagnostics;

  std::string Dump() const {
    std::string out;
    for (const Diagnostic& d : diagnostics.all()) {
      out += std::to_string(d.loc.line) + ":" + std::to_string(d.loc.column) + ": " +
             SeverityName(d.severity) + ": " + d.message + "\n";
    }
    return out;
  }
  // True when a diagnostic of `severity` at line:column contains `text`.
  bool Has(Severity severity, int line, int column, const std::string& text) const {
    for (const Diagnostic& d : diagnostics.all()) {
      if (d.severity == severity && d.loc.line == line && (column == 0 || d.loc.column == column) &&
          d.message.find(text) != std::string::npos) {
        return true;
      }
    }
    return false;
  }
  bool HasError(int line, int column, const std::string& text) const {
    return Has(Severity::kError, line, column, text);
  }
  bool HasWarning(int line, int column, const std::string& text) const {
    return Has(Severity::kWarning, line, column, text);
  }
};

inline Checked Check(const std::string& yaml, const ValidateOptions& options = {}) {
  Checked c;
  c.runbook = LoadRunbook(yaml, &c.diagnostics);
  ValidateRunbook(c.runbook, options, &c.diagnostics);
  c.diagnostics.SortByLocation();
  return c;
}

// A minimal valid header: version, name, roles and a local target-free setup.
inline std::string Header() {
  return "runbook: 1\n"
         "name: test\n"
         "roles:\n"
         "  lead: [alice]\n"
         "  dba: [bob, carol]\n";
}

}  // namespace tminus::testing
