// results.tsv: one row per evaluation, tab-separated, with a fixed header.
//
// Appending is atomic with respect to other evaluations: the file is opened
// with O_APPEND, locked with flock(LOCK_EX), checked, and the row (with the
// header when the file is new or empty) goes out in a single write(). A file
// whose header differs from ours, whose rows do not have one field per
// column, or whose last line is unfinished is damaged: it is reported and left
// exactly as it is, never rewritten or truncated. A write that fails half-way
// (a full disk) is undone: the file is cut back to the size it had, under
// the same lock, so a row is either all there or not there at all.
#pragma once

#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lathe::harness {

// The columns, in order: experiment, commit, time, then the metrics, then
// status and description.
std::span<const std::string_view> results_columns();

// `s` with tabs, carriage returns and newlines turned into spaces, so that
// it fits in one field.
std::string tsv_field(std::string_view s);

// Empty when `text` is a well-formed results file (possibly empty) for
// `columns`; otherwise what is wrong, naming the line.
std::string check_results_text(std::string_view text, std::span<const std::string_view> columns);

struct AppendOutcome {
  bool appended = false;
  std::string problem; // why not, when !appended
  bool repaired_partial_row = false; // a row cut by a killed writer was removed first
};

// Appends one row (fields in column order, each passed through tsv_field()).
// PRECONDITION: fields.size() == columns.size().
AppendOutcome append_result_row(const std::filesystem::path& file, std::span<const std::string> fields,
                                std::span<const std::string_view> columns = results_columns());

// The rows of a well-formed file as column -> value maps, oldest first.
// Empty when the file does not exist; throws std::runtime_error when it is
// damaged or unreadable.
std::vector<std::map<std::string, std::string>> read_result_rows(const std::filesystem::path& file,
                                                                 std::span<const std::string_view> columns = results_columns());

} // namespace lathe::harness
