#include "watch/report.h"

#include <set>

#include <fmt/format.h>

#include "core/number_format.h"
#include "s3m_version.h"
#include "watch/page_assets.h"
#include "watch/svg_chart.h"

namespace s3m::watch {

namespace {

using nlohmann::json;

json TallyJson(const store::Tally& t) { return {{"files", t.files}, {"bytes", t.bytes}}; }

std::string Count(int64_t n) { return FormatCount(n); }
std::string Bytes(int64_t n) { return FormatBytes(n); }

std::string Cell(const std::string& text, bool number = false) {
  return fmt::format("<td{}>{}</td>", number ? " class=\"n\"" : "", EscapeXml(text));
}

std::string Table(const std::vector<std::string>& head, const std::vector<std::string>& rows) {
  std::string out = "<table><tr>";
  static const std::set<std::string> kNumeric = {"Files", "Data", "Deleted", "Data deleted", "In error",
                                                 "Amount", "Received"};
  for (const auto& h : head) out += (kNumeric.count(h) ? "<th class=\"n\">" : "<th>") + EscapeXml(h) + "</th>";
  out += "</tr>";
  for (const auto& r : rows) out += "<tr>" + r + "</tr>";
  return out + "</table>";
}

}  // namespace

std::string LeftReason(const store::LeftTally& left) {
  using store::FileState;
  switch (left.state) {
    case FileState::kDiscovered:
      return left.archived ? "archived: waits for a restore (the next migrate requests it)"
                           : "not downloaded yet: the next migrate takes it";
    case FileState::kGlacierRestoreRequested:
    case FileState::kGlacierRestoring:
      return "archive restore under way: downloaded when it is readable";
    case FileState::kDownloading:
    case FileState::kDownloaded:
      return "download interrupted: the next migrate resumes it";
    case FileState::kVerified:
      return left.size_only ? "verified by size only (no checksum or usable ETag): kept in S3; "
                              "--delete-size-only-verified deletes them"
                            : "verified and kept in S3 (--keep-source or delete_after_verify = false, "
                              "or the delete had not run yet)";
    case FileState::kError:
      return "in error (see the errors): `s3migrate retry` tries them again";
    case FileState::kDeleted:
      return "migrated";
  }
  return "";
}

json ReportJson(const ReportData& data) {
  const json& status = data.watch.status;
  json out;
  out["generator"] = fmt::format("s3migrate {}", S3M_VERSION);
  out["generated_at"] = data.watch.generated_at;
  out["database"] = data.watch.database;
  out["destination"] = data.watch.destination;
  out["totals"] = status["totals"];
  out["states"] = status["states"];
  out["buckets"] = status["buckets"];
  json methods = json::array();
  for (const auto& m : data.figures.methods) {
    methods.push_back({{"method", m.method.empty() ? "unrecorded" : m.method},
                       {"state", std::string(store::FileStateName(m.state))},
                       {"files", m.tally.files},
                       {"bytes", m.tally.bytes}});
  }
  out["verified_by"] = methods;
  json left = json::array();
  for (const auto& l : data.figures.left) {
    left.push_back({{"state", std::string(store::FileStateName(l.state))},
                    {"archived", l.archived},
                    {"size_only", l.size_only},
                    {"files", l.tally.files},
                    {"bytes", l.tally.bytes},
                    {"reason", LeftReason(l)}});
  }
  out["left_in_s3"] = left;
  json not_migrated = json::array();
  for (const auto& b : status["buckets"]) {
    if (b.value("noncurrent_versions", 0) + b.value("delete_markers", 0) > 0) {
      not_migrated.push_back({{"bucket", b["name"]},
                              {"noncurrent_versions", b["noncurrent_versions"]},
                              {"delete_markers", b["delete_markers"]}});
    }
  }
  out["not_migrated_versions"] = not_migrated;
  json restores = json::array();
  for (const auto& r : data.figures.restores) {
    restores.push_back({{"storage_class", r.storage_class}, {"tier", r.tier}, {"files", r.tally.files},
                        {"bytes", r.tally.bytes}});
  }
  const store::CostSpent& c = data.spent;
  out["costs_spent"] = {{"currency", "USD"},
                        {"restores_requested", restores},
                        {"restores", c.restores},
                        {"get_requests", c.get_requests},
                        {"list_requests", c.list_requests},
                        {"requests", c.requests},
                        {"downloaded", TallyJson(c.downloaded)},
                        {"transfer_out", c.transfer_out},
                        {"total", c.total},
                        {"prices", status["cost_estimate"]["prices"]}};
  out["cost_to_finish"] = status["cost_estimate"];
  json runs = json::array();
  for (const auto& r : data.figures.runs) {
    runs.push_back({{"started_at", r.started_at},
                    {"last_sample_at", r.last_sample_at},
                    {"bytes_received", r.bytes_received},
                    {"samples", r.samples}});
  }
  auto opt = [](const std::optional<std::string>& t) { return t ? json(*t) : json(nullptr); };
  out["timings"] = {{"runs", runs},
                    {"first_verified_at", opt(data.figures.first_verified_at)},
                    {"last_deleted_at", opt(data.figures.last_deleted_at)}};
  json errors = json::array();
  for (const auto& e : data.watch.errors) {
    errors.push_back({{"bucket", e.bucket}, {"key", e.key}, {"message", e.error_message.value_or("")},
                      {"retry_command", RetryCommand(e)}});
  }
  out["errors"] = {{"total", data.watch.errors_total}, {"sample", errors}};
  return out;
}

std::string ReportHtml(const ReportData& data) {
  const json r = ReportJson(data);
  std::string body;
  const json& totals = r["totals"];
  const json& states = r["states"];
  body += fmt::format(
      "<section class=\"cards\">{}{}{}{}{}</section>",
      fmt::format("<div class=\"card\"><div class=\"label\">Objects</div><div class=\"value\">{}</div></div>",
                  Count(totals["files"])),
      fmt::format("<div class=\"card\"><div class=\"label\">Data</div><div class=\"value\">{}</div></div>",
                  Bytes(totals["bytes"])),
      fmt::format("<div class=\"card\"><div class=\"label\">Deleted from S3</div><div class=\"value\">{}</div></div>",
                  Count(states["deleted"]["files"])),
      fmt::format("<div class=\"card\"><div class=\"label\">In error</div><div class=\"value\">{}</div></div>",
                  Count(states["error"]["files"])),
      fmt::format("<div class=\"card\"><div class=\"label\">Spent (estimate)</div><div class=\"value\">{}</div></div>",
                  FormatUsd(r["costs_spent"]["total"].get<double>())));

  std::vector<std::string> rows;
  for (const auto& [name, t] : states.items()) {
    rows.push_back(Cell(name) + Cell(Count(t["files"]), true) + Cell(Bytes(t["bytes"]), true));
  }
  body += "<h2>What moved</h2>" + Table({"State", "Files", "Data"}, rows);
  rows.clear();
  for (const auto& b : r["buckets"]) {
    const json& st = b["states"];
    rows.push_back(Cell(b["name"]) + Cell(b["scan_state"]) + Cell(Count(st["deleted"]["files"]), true) +
                   Cell(Bytes(st["deleted"]["bytes"]), true) + Cell(Count(st["error"]["files"]), true));
  }
  body += "<h2>By bucket</h2>" + Table({"Bucket", "Listing", "Deleted", "Data deleted", "In error"}, rows);

  rows.clear();
  for (const auto& m : r["verified_by"]) {
    rows.push_back(Cell(m["method"]) + Cell(m["state"] == "deleted" ? "deleted from S3" : "kept in S3") +
                   Cell(Count(m["files"]), true) + Cell(Bytes(m["bytes"]), true));
  }
  body += "<h2>Verified how</h2>" + Table({"Method", "Then", "Files", "Data"}, rows);

  rows.clear();
  for (const auto& l : r["left_in_s3"]) {
    rows.push_back(Cell(l["state"]) + Cell(Count(l["files"]), true) + Cell(Bytes(l["bytes"]), true) +
                   Cell(l["reason"]));
  }
  for (const auto& v : r["not_migrated_versions"]) {
    rows.push_back(Cell("older versions") +
                   Cell(Count(v["noncurrent_versions"].get<int64_t>() + v["delete_markers"].get<int64_t>()), true) +
                   Cell("") +
                   Cell(fmt::format("bucket {}: noncurrent versions and delete markers are not migrated",
                                    v["bucket"].get<std::string>())));
  }
  body += "<h2>What stays in S3, and why</h2>" +
          (rows.empty() ? std::string("<p>Nothing: every recorded object was migrated.</p>")
                        : Table({"State", "Files", "Data", "Why"}, rows));

  const json& spent = r["costs_spent"];
  const json& finish = r["cost_to_finish"];
  rows = {Cell("Restores") + Cell(FormatUsd(spent["restores"].get<double>()), true) +
              Cell(fmt::format("{} objects restored", Count(data.spent.restored.files))),
          Cell("Requests") + Cell(FormatUsd(spent["requests"].get<double>()), true) +
              Cell(fmt::format("{} GET/HEAD, {} LIST", Count(spent["get_requests"]), Count(spent["list_requests"]))),
          Cell("Data transfer out") + Cell(FormatUsd(spent["transfer_out"].get<double>()), true) +
              Cell(Bytes(spent["downloaded"]["bytes"]) + " downloaded"),
          "<th>Spent</th>" + Cell(FormatUsd(spent["total"].get<double>()), true) + Cell(""),
          "<th>To finish</th>" + Cell(FormatUsd(finish["total"].get<double>()), true) +
              Cell("with " + finish["configured_tier"].get<std::string>() + " restores")};
  body += "<h2>Costs (USD, estimated at list prices)</h2>" + Table({"Item", "Amount", ""}, rows);

  rows.clear();
  for (const auto& run : r["timings"]["runs"]) {
    rows.push_back(Cell(run["started_at"]) + Cell(run["last_sample_at"]) + Cell(Bytes(run["bytes_received"]), true));
  }
  body += "<h2>Timings</h2>" + Table({"Run started", "Last sample", "Received"}, rows);
  body += fmt::format("<p>First copy verified: {}; last object deleted: {}.</p>",
                      EscapeXml(r["timings"]["first_verified_at"].is_string() ? r["timings"]["first_verified_at"].get<std::string>() : "never"),
                      EscapeXml(r["timings"]["last_deleted_at"].is_string() ? r["timings"]["last_deleted_at"].get<std::string>() : "never"));

  body += "<h2>Charts</h2><div id=\"charts\">";
  for (const Chart& chart : ChartsFromSamples(data.watch.samples)) body += RenderSvgChart(chart);
  body += "</div>";

  if (data.watch.errors_total > 0) {
    rows.clear();
    for (const auto& e : r["errors"]["sample"]) {
      rows.push_back(Cell(e["bucket"]) + Cell(e["key"]) + Cell(e["message"]) +
                     "<td><code>" + EscapeXml(e["retry_command"]) + "</code></td>");
    }
    body += fmt::format("<h2>Errors ({} in all; retry them all with <code>s3migrate retry</code>)</h2>",
                        Count(data.watch.errors_total)) +
            Table({"Bucket", "Key", "Cause", "Retry this one"}, rows);
  }
  return fmt::format(
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>s3migrate report {}</title>"
      "<style>{}</style></head><body><header><h1>s3migrate report</h1><span class=\"muted\">{} — {}</span>"
      "</header><main>{}</main><footer class=\"muted\">{}; state database {}; destination {}.</footer>"
      "</body></html>\n",
      EscapeXml(data.watch.generated_at), PageStyle(), EscapeXml(data.watch.generated_at),
      EscapeXml(data.watch.database), body, EscapeXml(r["generator"]), EscapeXml(data.watch.database),
      EscapeXml(data.watch.destination));
}

}  // namespace s3m::watch
